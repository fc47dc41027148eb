/**
 * The ledger of budgets over time: one count per budget, per what it counts (`kernel`,
 * `unit:digest`, `process:web-1`, `tree:7`) and per window (`daily:2026-11-25`, `monthly:2026-11`)
 * — dollars and tokens spent, reserved by turns in flight, raised by a person — stored with the
 * commit of what changed it, and the 80 % / 100 % marks said once a window (an event, an audit record).
 */
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import type { Clock } from '../../sys/clock.js';
import type { EventBus } from '../../protocol/events.js';
import type { AuditInput, KernelStore, SpendRecord } from '../store/api.js';
import type { Proc } from '../proc/proc.js';
import type { BudgetLimit, BudgetPeriod, BudgetSpec } from './budget-spec.js';
import { windowOf } from './windows.js';

export interface Count {
  budget: BudgetSpec;
  key: string;
  window: string;
  end: number;
  usd: number;
  tokens: number;
  raisedUsd: number;
  raisedTokens: number;
  reservedUsd: number;
  reservedTokens: number;
  inFlight: number;
  /** 0 none, 1 warned (80 %), 2 reached (100 %). */
  warned: number;
}

export type BudgetEventState = 'warning' | 'exhausted' | 'paused' | 'resumed' | 'raised' | 'reset';

export interface LedgerHost {
  readonly store: KernelStore;
  readonly events: EventBus;
  audit(input: AuditInput): void;
  /** A process's ancestors, its parent first and its tree's root last (a unit or process budget on one covers it; a tree budget matches the root's name). */
  lineage(proc: Proc): ReadonlyArray<{ name: string; unit: string | null }>;
}

const countKey = (budget: string, key: string, window: string): string => `${budget}\u0000${key}\u0000${window}`;
const periodOf = (window: string): BudgetPeriod => (window.startsWith('daily:') ? 'daily' : 'monthly');

export function capOf(count: Count, limit: BudgetLimit): number {
  return limit.amount + (limit.unit === 'usd' ? count.raisedUsd : count.raisedTokens);
}

export function spentOf(count: Count, unit: BudgetLimit['unit']): number {
  return unit === 'usd' ? count.usd : count.tokens;
}

export function reservedOf(count: Count, unit: BudgetLimit['unit']): number {
  return unit === 'usd' ? count.reservedUsd : count.reservedTokens;
}

/** The limits of a count's window (a daily count: the daily ones). */
export function limitsOf(count: Count): BudgetLimit[] {
  const period = periodOf(count.window);
  return count.budget.limits.filter((l) => l.period === period);
}

export class BudgetLedger {
  specs: readonly BudgetSpec[] = [];
  private readonly counts = new Map<string, Count>();
  /** Ancestors never change: asked once per process. */
  private readonly lineages = new WeakMap<Proc, ReadonlyArray<{ name: string; unit: string | null }>>();

  constructor(
    private readonly host: LedgerHost,
    readonly clock: Clock,
  ) {}

  /** The budgets in force; what the store counted in their current windows is read back. */
  async load(specs: readonly BudgetSpec[]): Promise<void> {
    this.specs = specs;
    for (const [k, count] of this.counts) if (!specs.some((s) => s.name === count.budget.name)) this.counts.delete(k);
    const now = this.clock.now();
    const windows = [...new Set(specs.flatMap((s) => s.limits.map((l) => windowOf(l.period, now, s.tz).id)))];
    for (const row of await this.host.store.spend.windows(windows)) {
      const spec = specs.find((s) => s.name === row.budget);
      const k = countKey(row.budget, row.key, row.window);
      if (!spec || this.counts.has(k)) continue;
      const count = this.fresh(spec, row.key, windowOf(periodOf(row.window), now, spec.tz));
      this.counts.set(k, {
        ...count,
        usd: row.usd,
        tokens: row.tokens,
        raisedUsd: row.raised_usd,
        raisedTokens: row.raised_tokens,
        warned: row.warned,
      });
    }
  }

  spec(name: string): BudgetSpec {
    const spec = this.specs.find((s) => s.name === name);
    if (!spec)
      throw new AosError(
        'ENOENT',
        `no budget named ${name}${this.specs.length ? ` (there are: ${this.specs.map((s) => s.name).join(', ')})` : ': the policy has no budgets: section'}`,
      );
    return spec;
  }

  /**
   * What a budget counts a request of this process under: none when it does not match it, one per
   * matching name or unit of its own and (unless `subtree: false`) of its ancestors'. A request that
   * is no process's (an eval) goes to the kernel's budgets only.
   */
  keysOf(spec: BudgetSpec, payer: Proc | null): string[] {
    if (spec.scope === 'kernel') return [spec.shared ? sharedKey(spec) : 'kernel:'];
    if (payer === null) return [];
    const subjects = this.subjectsOf(spec, payer).filter((s) => !spec.match || spec.match.test(s));
    if (subjects.length === 0) return [];
    if (spec.shared) return [sharedKey(spec)];
    return spec.scope === 'tree' ? [`tree:${payer.tree}`] : [...new Set(subjects)].map((s) => `${spec.scope}:${s}`);
  }

  private subjectsOf(spec: BudgetSpec, proc: Proc): string[] {
    let lineage = this.lineages.get(proc);
    if (lineage === undefined) this.lineages.set(proc, (lineage = this.host.lineage(proc)));
    if (spec.scope === 'tree')
      return [proc.tree === proc.pid ? proc.pcb.name : (lineage.at(-1)?.name ?? proc.pcb.name)];
    const chain = spec.subtree ? [proc.pcb, ...lineage] : [proc.pcb];
    return chain.flatMap((p) => {
      const subject = spec.scope === 'unit' ? p.unit : p.name;
      return subject === null ? [] : [subject];
    });
  }

  private fresh(spec: BudgetSpec, key: string, window: { id: string; end: number }): Count {
    return {
      budget: spec,
      key,
      window: window.id,
      end: window.end,
      usd: 0,
      tokens: 0,
      raisedUsd: 0,
      raisedTokens: 0,
      reservedUsd: 0,
      reservedTokens: 0,
      inFlight: 0,
      warned: 0,
    };
  }

  /** The count of `spec` for `key` in the window of `period` now (made when new). */
  count(spec: BudgetSpec, key: string, period: BudgetPeriod, now = this.clock.now()): Count {
    const window = windowOf(period, now, spec.tz);
    const k = countKey(spec.name, key, window.id);
    let count = this.counts.get(k);
    if (!count) this.counts.set(k, (count = this.fresh(spec, key, window)));
    return count;
  }

  /** The counts a request goes to now (one per budget, key it matches and period it limits). */
  countsOf(payer: Proc | null): Count[] {
    const now = this.clock.now();
    const out: Count[] = [];
    for (const spec of this.specs) {
      for (const key of this.keysOf(spec, payer)) {
        for (const period of new Set(spec.limits.map((l) => l.period))) out.push(this.count(spec, key, period, now));
      }
    }
    return out;
  }

  /** A budget's counts of its current windows. */
  current(name: string): Count[] {
    const spec = this.spec(name);
    const now = this.clock.now();
    const windows = new Set(spec.limits.map((l) => windowOf(l.period, now, spec.tz).id));
    return [...this.counts.values()].filter((c) => c.budget.name === name && windows.has(c.window));
  }

  /** The windows ended by now go (their rows stay in the store). */
  dropEnded(): void {
    const now = this.clock.now();
    for (const [k, count] of this.counts) if (count.end <= now) this.counts.delete(k);
  }

  /** The earliest end of these budgets' current windows, after now. */
  nextEnd(budgets: readonly string[]): number | null {
    const now = this.clock.now();
    const ends = [...this.counts.values()]
      .filter((c) => budgets.includes(c.budget.name) && c.end > now)
      .map((c) => c.end);
    return ends.length ? Math.min(...ends) : null;
  }

  /** The count as the store keeps it, written with the commit of what changed it; then its 80 % and 100 % marks. */
  changed(count: Count, marks: 'spent' | 'refused' | 'lowered' = 'spent'): void {
    this.crossed(count, marks);
    const now = this.clock.now();
    this.host.store.spend.put((): SpendRecord => ({
      budget: count.budget.name,
      key: count.key,
      window: count.window,
      usd: count.usd,
      tokens: count.tokens,
      raised_usd: count.raisedUsd,
      raised_tokens: count.raisedTokens,
      warned: count.warned,
      updated_at: now,
    }));
  }

  /**
   * The 80 % and 100 % marks, each said once a window: passed by what was spent, or the 100 % one
   * when the count refused a request for good (a budget stops short of its limit: the last prompt
   * did not fit). A raise or a reset below a mark lowers it, so it may be said again.
   */
  private crossed(count: Count, marks: 'spent' | 'refused' | 'lowered'): void {
    let share = 0;
    for (const limit of limitsOf(count)) share = Math.max(share, spentOf(count, limit.unit) / capOf(count, limit));
    const level = marks === 'refused' ? 2 : share >= 1 ? 2 : share >= param.budgetWarnAt ? 1 : 0;
    if (marks === 'lowered' && level < count.warned) count.warned = level;
    // Each mark passed is said, the warning first, even when one turn passes both.
    for (let mark = count.warned + 1; mark <= level; mark++) {
      count.warned = mark;
      this.emit(count, mark === 2 ? 'exhausted' : 'warning', 0);
      const at = `${Math.round(share * 100)}% spent${marks === 'refused' && mark === 2 ? ', and the next request does not fit what is left' : ''}`;
      this.host.audit({
        pid: 0,
        call: 'BUDGET',
        subject: `${count.budget.name} ${count.key} ${count.window}`,
        decision: mark === 2 ? 'deny' : 'allow',
        rule: `budget ${count.budget.name}`,
        decided_by: 'policy',
        reason: at,
      });
    }
  }

  emit(count: Count, state: BudgetEventState, pid: number): void {
    const usd = limitsOf(count).find((l) => l.unit === 'usd');
    const tokens = limitsOf(count).find((l) => l.unit === 'tokens');
    this.host.events.emit({
      type: 'budget',
      pid,
      budget: count.budget.name,
      key: count.key,
      window: count.window,
      state,
      spent_usd: count.usd,
      spent_tokens: count.tokens,
      ...(usd ? { limit_usd: capOf(count, usd) } : {}),
      ...(tokens ? { limit_tokens: capOf(count, tokens) } : {}),
    });
  }
}

/** The key of a shared budget's one count. */
export function sharedKey(spec: BudgetSpec): string {
  return spec.scope === 'kernel' ? 'kernel' : `${spec.scope}:${spec.pattern ?? '*'}`;
}
