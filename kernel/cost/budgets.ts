/**
 * Budgets over time windows (the policy's `budgets:`): what a unit, a name, a tree or the whole
 * kernel may spend in a day or a month. A turn reserves its estimate before its request is sent
 * and settles what it really spent when the reply is in (as the rate limiter does for tokens a
 * minute): a request is admitted while spent + reserved + twice its estimate fits the limit, or,
 * when nothing else of that count is in flight, while anything is left — so processes racing one
 * budget overspend it by at most the one request that was alone on it. One that is refused is
 * paused (`blocked (budget)`, loop/budget-pause.ts), not killed, and resumes when the window rolls
 * or a person raises the budget. The counting itself is the ledger's (budget-counts.ts).
 */
import { costOf, priceOf } from '../../drivers/llm/prices.js';
import { providerOf } from '../sched/model-pool.js';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import type { Clock } from '../../sys/clock.js';
import type { Proc } from '../proc/proc.js';
import type { BudgetSpec } from './budget-spec.js';
import { BudgetLedger, type BudgetEventState, capOf, type Count, type LedgerHost, limitsOf, reservedOf, sharedKey, spentOf } from './budget-counts.js';

export type { Count } from './budget-counts.js';

export interface Spend {
  usd: number;
  tokens: number;
}

/** What a turn holds between its reservation and its settling. */
export interface Grant {
  counts: Count[];
  estimate: Spend;
}

/** A turn a budget refused: which count is spent, and when its window rolls. */
export class BudgetSpent extends Error {
  constructor(
    readonly budget: string,
    readonly key: string,
    readonly until: number,
    message: string,
  ) {
    super(message);
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

export class Budgets {
  private readonly ledger: BudgetLedger;
  /** Processes paused on a budget, by the budget's name. */
  private readonly paused = new Map<string, Set<Proc>>();
  private cancelRoll: (() => void) | null = null;

  constructor(
    private readonly host: BudgetsHost,
    clock: Clock,
  ) {
    this.ledger = new BudgetLedger(host, clock);
  }

  /** The budgets in force (at start, and when the policy is reloaded): counts of those still there are kept. */
  async setSpecs(specs: readonly BudgetSpec[]): Promise<void> {
    await this.ledger.load(specs);
    for (const name of [...this.paused.keys()]) if (!specs.some((s) => s.name === name)) this.resumeAll(name);
    this.armRoll();
  }

  get any(): boolean {
    return this.ledger.specs.length > 0;
  }

  get budgets(): readonly BudgetSpec[] {
    return this.ledger.specs;
  }

  countsOf(proc: Proc): Count[] {
    return this.ledger.countsOf(proc);
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

  /** A turn's estimate: its process's turns so far on average (or the first-turn guesses), at `model`'s prices. */
  estimate(proc: Proc, model: string): Spend {
    const c = proc.pcb.counters;
    const prompt = c.turns > 0 ? Math.ceil(c.promptTokens / c.turns) : param.firstTurnTokenEstimate;
    const output = c.turns > 0 ? Math.ceil(c.outputTokens / c.turns) : param.budgetFirstOutputEstimate;
    return { tokens: prompt + output, usd: costOf(model, { prompt, output }) };
  }

  /** Reserve a turn's estimate on every count it goes to; BudgetSpent when one refuses it; null when none applies. */
  reserve(proc: Proc, model: string): Grant | null {
    const counts = this.ledger.countsOf(proc);
    if (counts.length === 0) return null;
    const dollars = counts.find((c) => limitsOf(c).some((l) => l.unit === 'usd'));
    if (dollars && !isPriced(model)) {
      throw new AosError('EINVAL', `model ${model} has no price, and budget ${dollars.budget.name} counts dollars: price it in AOS_PRICES (a spend is never counted as $0)`);
    }
    const estimate = this.estimate(proc, model);
    for (const count of counts) {
      for (const limit of limitsOf(count)) {
        const cap = capOf(count, limit);
        const spent = spentOf(count, limit.unit);
        const fits = spent + reservedOf(count, limit.unit) + 2 * estimate[limit.unit] <= cap || (count.inFlight === 0 && spent < cap);
        if (fits) continue;
        const what = limit.unit === 'usd' ? `$${spent.toFixed(4)} of $${cap}` : `${spent} of ${cap} tokens`;
        throw new BudgetSpent(count.budget.name, count.key, count.end, `budget ${count.budget.name} (${count.key}, ${limit.period}) is spent: ${what}; paused until ${new Date(count.end).toISOString()} or aos budget raise`);
      }
    }
    for (const count of counts) {
      count.reservedUsd += estimate.usd;
      count.reservedTokens += estimate.tokens;
      count.inFlight++;
    }
    return { counts, estimate };
  }

  /** What the turn spent (its counters' growth), in place of its reservation. */
  settle(grant: Grant, spent: Spend): void {
    for (const count of grant.counts) {
      count.reservedUsd = Math.max(0, count.reservedUsd - grant.estimate.usd);
      count.reservedTokens = Math.max(0, count.reservedTokens - grant.estimate.tokens);
      count.inFlight = Math.max(0, count.inFlight - 1);
      count.usd += spent.usd;
      count.tokens += spent.tokens;
      this.ledger.changed(count);
    }
  }

  /** A process a budget refused waits for it (loop/budget-pause.ts parks it; its wake comes from here). */
  pausedOn(budget: string, proc: Proc): void {
    let set = this.paused.get(budget);
    if (!set) this.paused.set(budget, (set = new Set()));
    set.add(proc);
    this.armRoll();
  }

  /** It no longer waits (woken, or ended). */
  forget(proc: Proc): void {
    for (const set of this.paused.values()) set.delete(proc);
  }

  pausedPids(budget: string): number[] {
    return [...(this.paused.get(budget) ?? [])].map((p) => p.pid).sort((a, b) => a - b);
  }

  private resumeAll(budget: string): void {
    const set = this.paused.get(budget);
    if (!set) return;
    this.paused.delete(budget);
    for (const proc of set) this.host.wake(proc);
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
    const spec = this.ledger.spec(name);
    const keys = key !== null ? [key] : [...new Set(this.ledger.current(name).map((c) => c.key))];
    if (keys.length === 0) {
      if (!spec.shared) throw new AosError('EINVAL', `budget ${name} has counted nothing yet in this window: name what to raise with --key (${spec.scope}:<name>)`);
      keys.push(sharedKey(spec));
    }
    const changed: Count[] = [];
    for (const k of keys) {
      for (const period of new Set(spec.limits.map((l) => l.period))) {
        const count = this.ledger.count(spec, k, period);
        count.raisedUsd += by.usd;
        count.raisedTokens += by.tokens;
        this.ledger.changed(count);
        this.ledger.emit(count, 'raised', 0);
        changed.push(count);
      }
    }
    const amount = [by.usd ? `$${by.usd}` : '', by.tokens ? `${by.tokens} tokens` : ''].filter(Boolean).join(' and ');
    this.host.audit({ pid: 0, call: 'BUDGET', subject: `${name}${key ? ` ${key}` : ''}`, decision: 'allow', rule: `budget ${name}`, decided_by: 'person', reason: `raised by ${amount} (${who})` });
    this.resumeAll(name);
    return changed;
  }

  /** `aos budget reset`: the current windows' spend back to nothing (a person's decision, audited); the paused go on. */
  reset(name: string, key: string | null, who: string): Count[] {
    const counts = this.ledger.current(name).filter((c) => key === null || c.key === key);
    for (const count of counts) {
      Object.assign(count, { usd: 0, tokens: 0 });
      this.ledger.changed(count);
      this.ledger.emit(count, 'reset', 0);
    }
    this.host.audit({ pid: 0, call: 'BUDGET', subject: `${name}${key ? ` ${key}` : ''}`, decision: 'allow', rule: `budget ${name}`, decided_by: 'person', reason: `reset (${who})` });
    this.resumeAll(name);
    return counts;
  }

  close(): void {
    this.cancelRoll?.();
    this.cancelRoll = null;
  }
}
