/**
 * Budgets over time windows (the policy's `budgets:`): what a unit, a name, a tree or the whole
 * kernel may spend in a day or a month. Every model request reserves what it can cost before it is
 * sent — its prompt, counted before it leaves, and its reply's bound, the max output tokens it
 * carries to the provider (request-cost.ts) — and settles what the provider reported when the reply
 * is in. A request is admitted while spent + reserved + its prompt fits the limit: whatever the
 * number of racers, a budget is overrun by at most one reply's bound (the last admitted, whose
 * prompt fit). One refused because the limit is spent is paused (`blocked (budget)`,
 * loop/budget-pause.ts), not killed, and resumes when the window rolls or a person raises the budget;
 * one refused only because requests in flight hold the room waits for them to settle
 * (budget-waiters.ts). The counting itself is the ledger's (budget-counts.ts); a person's raise or
 * reset, budget-admin.ts's.
 */
import { priceOf } from '../../drivers/llm/prices.js';
import type { ModelRequest, ModelUsage } from '../../drivers/llm/types.js';
import { providerOf } from '../sched/model-pool.js';
import { AosError } from '../../sys/errno.js';
import type { Clock } from '../../sys/clock.js';
import type { Proc } from '../proc/proc.js';
import type { BudgetLimit, BudgetSpec } from './budget-spec.js';
import {
  BudgetLedger,
  type BudgetEventState,
  capOf,
  type Count,
  type LedgerHost,
  limitsOf,
  reservedOf,
  spentOf,
} from './budget-counts.js';
import { raiseBudget, resetBudget } from './budget-admin.js';
import { RoomWaiters } from './budget-waiters.js';
import { PromptScale, type RequestCost, type Spend, spendOf } from './request-cost.js';

export type { Count } from './budget-counts.js';
export type { RequestCost, Spend } from './request-cost.js';

/** What a request holds between its reservation and its settling. */
export interface Grant {
  counts: Count[];
  cost: RequestCost;
}

/** A request a budget refused: which count, when its window rolls, and whether it waits for the window or for requests in flight to settle. */
export class BudgetSpent extends Error {
  readonly budget: string;
  readonly key: string;
  readonly until: number;
  constructor(
    readonly count: Count,
    readonly waitsFor: 'window' | 'settle',
    readonly cost: RequestCost,
    message: string,
  ) {
    super(message);
    this.budget = count.budget.name;
    this.key = count.key;
    this.until = count.end;
  }
}

export interface BudgetsHost extends LedgerHost {
  /** Wake a process paused on a budget (it queues again and reserves anew). */
  wake(proc: Proc): void;
}

/** A model a dollar budget can count: priced in the table (AOS_PRICES too), or a replay tape (free). */
export function isPriced(model: string): boolean {
  return providerOf(model) === 'replay' || priceOf(model) !== undefined;
}

/** Why a count refuses a request, in the figures `aos budget` shows. */
function refusal(count: Count, limit: BudgetLimit, cost: RequestCost): string {
  const fmt = (n: number): string => (limit.unit === 'usd' ? `$${n.toFixed(4)}` : `${Math.round(n)} tokens`);
  const held = reservedOf(count, limit.unit);
  const inFlight = count.inFlight > 0 ? `, ${fmt(held)} held by ${count.inFlight} request(s) in flight` : '';
  return `budget ${count.budget.name} (${count.key}, ${limit.period}): ${fmt(spentOf(count, limit.unit))} of ${fmt(capOf(count, limit))} spent${inFlight}; this request's prompt needs ${fmt(cost.admit[limit.unit])}`;
}

export class Budgets {
  private readonly ledger: BudgetLedger;
  /** Processes paused on a budget, by the budget's name, each with the count that refused it (null: not said). */
  private readonly paused = new Map<string, Map<Proc, Count | null>>();
  private readonly waiters = new RoomWaiters();
  private readonly scale = new PromptScale();
  private cancelRoll: (() => void) | null = null;

  constructor(
    private readonly host: BudgetsHost,
    clock: Clock,
  ) {
    this.ledger = new BudgetLedger(host, clock);
  }

  /** The budgets in force (at start, and when the policy is reloaded): counts of those still there are kept. */
  async setSpecs(specs: readonly BudgetSpec[]): Promise<void> {
    this.any = specs.length > 0;
    await this.ledger.load(specs);
    for (const name of [...this.paused.keys()]) if (!specs.some((s) => s.name === name)) this.resumeAll(name);
    this.armRoll();
  }

  /** Whether the policy has budgets (setSpecs sets it): a field, as a request in a kernel without any runs no budget code. */
  any = false;

  get budgets(): readonly BudgetSpec[] {
    return this.ledger.specs;
  }

  /** The counts a request of this process (null: of no process, an eval) goes to now. */
  countsOf(payer: Proc | null): Count[] {
    return this.ledger.countsOf(payer);
  }

  current(name: string): Count[] {
    return this.ledger.current(name);
  }

  emit(count: Count, state: BudgetEventState, pid: number): void {
    this.ledger.emit(count, state, pid);
  }

  /** The fraction left of the tightest limit over this process; null when no budget matches it. */
  headroom(proc: Proc): number | null {
    let least: number | null = null;
    for (const count of this.ledger.countsOf(proc)) {
      for (const limit of limitsOf(count)) {
        const cap = capOf(count, limit);
        const left = (cap - spentOf(count, limit.unit) - reservedOf(count, limit.unit)) / cap;
        least = least === null ? left : Math.min(least, left);
      }
    }
    return least;
  }

  /**
   * Reserve what a request can cost on every count it goes to: BudgetSpent when one refuses it,
   * EINVAL when a dollar budget cannot price its model, null when no budget covers it.
   */
  reserve(
    payer: Proc | null,
    model: string,
    request: Pick<ModelRequest, 'system' | 'messages' | 'maxOutputTokens'>,
  ): Grant | null {
    const counts = this.ledger.countsOf(payer);
    if (counts.length === 0) return null;
    const dollars = counts.find((c) => limitsOf(c).some((l) => l.unit === 'usd'));
    if (dollars && !isPriced(model)) {
      throw new AosError(
        'EINVAL',
        `model ${model} has no price, and budget ${dollars.budget.name} counts dollars: price it in AOS_PRICES (a spend is never counted as $0)`,
      );
    }
    const cost = this.scale.costOf(model, request);
    for (const count of counts) {
      for (const limit of limitsOf(count)) {
        const cap = capOf(count, limit);
        const spent = spentOf(count, limit.unit);
        const need = cost.admit[limit.unit];
        if (spent + reservedOf(count, limit.unit) + need <= cap) continue;
        // Room that only requests in flight hold comes back when they settle; a spent limit, when the window rolls.
        const waitsFor = count.inFlight > 0 && spent + need <= cap ? 'settle' : 'window';
        if (waitsFor === 'window' && count.warned < 2) this.ledger.changed(count, 'refused');
        const then =
          waitsFor === 'settle'
            ? 'the rest is held by requests in flight'
            : `it resets at ${new Date(count.end).toISOString()} (or aos budget raise)`;
        throw new BudgetSpent(count, waitsFor, cost, `${refusal(count, limit, cost)}; ${then}`);
      }
    }
    for (const count of counts) {
      count.reservedUsd += cost.reserve.usd;
      count.reservedTokens += cost.reserve.tokens;
      count.inFlight++;
    }
    return { counts, cost };
  }

  /** What the request spent (every token its provider reported, none when it reported none), in place of its reservation. */
  settle(grant: Grant, usage: ModelUsage | undefined): void {
    const { cost } = grant;
    const spent: Spend = spendOf(cost.model, usage);
    this.scale.learn(cost, usage);
    for (const count of grant.counts) {
      count.reservedUsd = Math.max(0, count.reservedUsd - cost.reserve.usd);
      count.reservedTokens = Math.max(0, count.reservedTokens - cost.reserve.tokens);
      count.inFlight = Math.max(0, count.inFlight - 1);
      // Nothing in flight holds nothing: no rounding left behind by the sums.
      if (count.inFlight === 0) Object.assign(count, { reservedUsd: 0, reservedTokens: 0 });
      count.usd += spent.usd;
      count.tokens += spent.tokens;
      this.ledger.changed(count);
    }
    for (const count of grant.counts) this.waiters.settled(count);
  }

  /** A request refused for the room its count's requests in flight hold: `wake` when a settle leaves it room. Returns how to stop waiting. */
  waitForRoom(refused: BudgetSpent, wake: () => void): () => void {
    return this.waiters.add(refused.count, refused.cost, wake);
  }

  /** A process a budget refused waits for it (loop/budget-pause.ts parks it; its wake comes from here). */
  pausedOn(budget: string, proc: Proc, count: Count | null = null): void {
    let set = this.paused.get(budget);
    if (!set) this.paused.set(budget, (set = new Map()));
    set.set(proc, count);
    this.armRoll();
  }

  /** It no longer waits (woken, or ended). */
  forget(proc: Proc): void {
    for (const set of this.paused.values()) set.delete(proc);
  }

  /**
   * The processes paused on a budget; with `count`, only those that count refused (one unit's run is
   * not paused on another unit's count, nor a monthly refusal on the day's), and those whose count is not known.
   */
  pausedPids(budget: string, count?: Pick<Count, 'key' | 'window'>): number[] {
    return [...(this.paused.get(budget) ?? [])]
      .filter(([, on]) => !count || !on || (on.key === count.key && on.window === count.window))
      .map(([p]) => p.pid)
      .sort((a, b) => a - b);
  }

  private resumeAll(budget: string): void {
    this.waiters.wakeBudget(budget);
    const set = this.paused.get(budget);
    if (!set) return;
    this.paused.delete(budget);
    for (const proc of set.keys()) this.host.wake(proc);
  }

  /** One timer, on the ledger's clock, for the earliest window end a paused process waits for. */
  private armRoll(): void {
    this.cancelRoll?.();
    this.cancelRoll = null;
    const end = this.ledger.nextEnd([...this.paused.keys()]);
    if (end === null) return;
    this.cancelRoll = this.ledger.clock.setTimer(end - this.ledger.clock.now(), () => {
      // A window ended: what waited goes on (a monthly limit still spent pauses it again at its next turn).
      this.ledger.dropEnded();
      for (const budget of [...this.paused.keys()]) this.resumeAll(budget);
      this.armRoll();
    });
  }

  /** `aos budget raise`: more for the current windows of a budget (one key, or every key it counted); the paused go on. */
  raise(name: string, key: string | null, by: Spend, who: string): Count[] {
    const changed = raiseBudget(this.ledger, this.host, name, key, by, who);
    this.resumeAll(name);
    return changed;
  }

  /** `aos budget reset`: the current windows' spend back to nothing (a person's decision, audited); the paused go on. */
  reset(name: string, key: string | null, who: string): Count[] {
    const counts = resetBudget(this.ledger, this.host, name, key, who);
    this.resumeAll(name);
    return counts;
  }

  close(): void {
    this.cancelRoll?.();
    this.cancelRoll = null;
  }
}
