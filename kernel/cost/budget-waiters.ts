/**
 * Requests a budget refused only because others in flight hold its room (their prompts and replies'
 * bounds): each waits for a settle of the count that refused it, and is woken as soon as what it
 * needs fits what the settle left free — those that fit, in the order they came, each taking its
 * reservation from what is left — or when nothing of that count is in flight any more (it then goes,
 * or is refused until the window rolls). A window that rolls, a raise or a reset wake them all.
 */
import { capOf, type Count, limitsOf, reservedOf, spentOf } from './budget-counts.js';
import type { RequestCost } from './request-cost.js';

interface Waiter {
  cost: Pick<RequestCost, 'admit' | 'reserve'>;
  wake(): void;
}

export class RoomWaiters {
  private readonly byCount = new Map<Count, Waiter[]>();

  /**
   * Wait for room on `count`; the function returned stops waiting. The settle it waits for may have
   * come between the refusal and now (a few awaits): then it is woken at once, in a microtask.
   */
  add(count: Count, cost: Waiter['cost'], wake: () => void): () => void {
    const waiter: Waiter = { cost, wake };
    if (this.fitting(count, [waiter]).length > 0) {
      let cancelled = false;
      queueMicrotask(() => cancelled || wake());
      return () => (cancelled = true);
    }
    let list = this.byCount.get(count);
    if (!list) this.byCount.set(count, (list = []));
    list.push(waiter);
    return () => this.remove(count, waiter);
  }

  /** A request of `count` settled: wake those that fit now. */
  settled(count: Count): void {
    const list = this.byCount.get(count);
    if (!list) return;
    const woken = this.fitting(count, list);
    for (const waiter of woken) this.remove(count, waiter);
    for (const waiter of woken) waiter.wake();
  }

  /** Those of `waiters` the count has room for now, first come first, each taking its reservation from what is left; all when nothing is in flight. */
  private fitting(count: Count, waiters: readonly Waiter[]): Waiter[] {
    if (count.inFlight === 0) return [...waiters];
    const limits = limitsOf(count);
    const free = limits.map((l) => capOf(count, l) - spentOf(count, l.unit) - reservedOf(count, l.unit));
    const out: Waiter[] = [];
    for (const waiter of waiters) {
      if (!limits.every((l, i) => (free[i] ?? 0) >= waiter.cost.admit[l.unit])) continue;
      out.push(waiter);
      limits.forEach((l, i) => (free[i] = (free[i] ?? 0) - waiter.cost.reserve[l.unit]));
    }
    return out;
  }

  /** Every waiter of a budget's counts (its window rolled, a person raised or reset it). */
  wakeBudget(name: string): void {
    for (const [count, list] of [...this.byCount]) {
      if (count.budget.name !== name) continue;
      this.byCount.delete(count);
      for (const waiter of list) waiter.wake();
    }
  }

  private remove(count: Count, waiter: Waiter): void {
    const list = this.byCount.get(count);
    if (!list) return;
    const at = list.indexOf(waiter);
    if (at !== -1) list.splice(at, 1);
    if (list.length === 0) this.byCount.delete(count);
  }
}
