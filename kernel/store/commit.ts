/**
 * The group commit: when the queued writes commit, how one commit goes, and who hears of it.
 *
 * How. A batch's transactions (write-batch.ts commitPlan: all its writes in one, or each alone when
 * one failed on its own) each go to the backend (`transact`): SQLite's is done when it returns; a
 * networked backend's is sent and its answer awaited, the kernel's thread free meanwhile — or
 * waited for on it, when `flush()` must return with the commit made. While a commit is under way
 * the writes queued since wait for the next one: never two commits at once, and a batch the
 * engine refused goes before them.
 *
 * When (GroupCommit.request). Someone waiting for a commit (an acknowledgement, the barrier before
 * a call that touches the host) gets it in the next turn of the event loop — or, while such
 * commits keep coming, param.storeCommitPaceMs after the last one, with every waiter of that
 * window — and so does a saturated loop: while turns have queued behind the turn gate for longer
 * than a quiet window, there is no quiet moment to wait for. Other writes gather until they have
 * been quiet for param.storeCommitQuietMs, and at most param.storeCommitDelayMs after the first of
 * them: a round of replies that lands over a few milliseconds (100 agents on a slow model, their
 * timers firing in several batches) is handled first and committed once after it. A batch that
 * reaches param.storeCommitMaxWrites commits at once: replies that never pause commit in pieces.
 *
 * Who hears. The waiters of the batch and the hooks run once after it, the listeners shown each
 * durable batch of events, the checkpoint thread (a count in shared memory, engine.ts), and —
 * while the engine refuses commits — the store's health, said once each way (log and onHealth),
 * with a retry every param.storeRetryMs.
 */
import { runAsKernel } from '../../sys/blame.js';
import { turnsWaitingForMs } from '../../sys/turn-gate.js';
import { param } from '../../sys/param.js';
import { asError, commitPlan, type Outcome, type Plan, type PlanHost, serialise } from './write-batch.js';
import { unstorableMessage, type WriteBatch } from './write-batch.js';
import type { StoredEvent, StoreHooks } from './records.js';

/** A transaction a backend sent and has not answered: awaited, or waited for on the kernel's thread (flush). */
export interface PendingCommit {
  readonly answer: Promise<unknown>;
  wait(): unknown;
}

export interface CommitHost extends PlanHost {
  hooks(): StoreHooks;
  /** Run `body` as one transaction: done when it returns (throws why not), or sent (its answer pending). */
  transact(body: () => void): PendingCommit | null;
  /** Counted after each commit that worked, for the thread that checkpoints (SQLite's). */
  readonly commits: Int32Array | null;
}

export class GroupCommit {
  /** What the next commit writes. */
  next: WriteBatch;
  /** The commit under way: its batch, its plan, and the transaction it waits on (a backend that answers later). */
  private current: { batch: WriteBatch; plan: Plan } | null = null;
  private waitingOn: PendingCommit | null = null;
  /** Told when the commit under way ends, committed or not (`settle`). */
  private tried: Array<() => void> = [];
  private readonly listeners = new Set<(events: readonly StoredEvent[]) => void>();
  private error: Error | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  // When: a commit is due in the next turn of the loop (or, paced, by `paced`); the quiet check while writes gather.
  private soon = false;
  private paced: NodeJS.Timeout | null = null;
  private lastWaited = Number.NEGATIVE_INFINITY;
  private waited = false;
  private timer: NodeJS.Timeout | null = null;
  private writes = 0;
  private gatherStart = 0;
  private gatherFrom = 0;

  constructor(private readonly c: CommitHost) {
    this.next = c.fresh();
  }

  /** Why commits fail, while they do. */
  get failure(): Error | null {
    return this.error;
  }

  onCommitted(listener: (events: readonly StoredEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once everything queued before the call is durable (waits out a failing engine). */
  committed(): Promise<void> {
    const batch = !this.next.empty ? this.next : this.current?.batch;
    if (!batch || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      batch.waiters.push(resolve);
      if (batch === this.next) this.request(true);
    });
  }

  /** A write was queued; `now`: someone waits for it to be committed. */
  request(now: boolean): void {
    if (this.closed || this.error) return;
    this.writes++;
    this.waited ||= now;
    if (this.soon) return;
    if (now) {
      this.cancel();
      this.soon = true;
      const wait = this.lastWaited + param.storeCommitPaceMs - performance.now();
      if (wait > 0) this.paced = runAsKernel(() => setTimeout(this.begin, wait));
      else runAsKernel(() => setImmediate(this.begin));
    } else if (
      turnsWaitingForMs() >= param.storeCommitQuietMs ||
      (this.timer && this.writes - this.gatherFrom >= param.storeCommitMaxWrites)
    ) {
      this.cancel();
      this.soon = true;
      runAsKernel(() => setImmediate(this.begin));
    } else if (!this.timer) {
      this.gatherStart = performance.now();
      this.gatherFrom = this.writes - 1; // this write is the batch's first
      this.checkQuietAfter(this.writes);
    }
  }

  private checkQuietAfter(seen: number): void {
    this.timer = runAsKernel(() =>
      setTimeout(() => {
        this.timer = null;
        const gathered = performance.now() - this.gatherStart;
        if (this.writes !== seen && gathered + param.storeCommitQuietMs < param.storeCommitDelayMs)
          this.checkQuietAfter(this.writes);
        else this.begin();
      }, param.storeCommitQuietMs),
    );
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Commit what is queued now, unless a commit is under way (its end asks for the next). */
  readonly begin = (): void => {
    if (this.waited) this.lastWaited = performance.now();
    this.waited = false;
    this.soon = false;
    if (this.paced) clearTimeout(this.paced);
    this.paced = null;
    this.cancel();
    if (this.closed || this.current) return;
    const batch = this.next;
    this.next = this.c.fresh();
    if (batch.empty) return this.succeeded(batch);
    for (const event of serialise(batch.events)) this.c.hooks().onUnstorableEvent(event, unstorableMessage(event));
    this.current = { batch, plan: commitPlan(this.c, batch) };
    this.step(null);
  };

  /** Commit what is queued, waiting on the kernel's thread for a backend that answers later; false when the engine refused it. */
  flush(): boolean {
    if (this.closed) return true;
    // The commit under way first: what it writes goes before what is queued now.
    this.finishNow();
    this.begin();
    this.finishNow();
    return this.error === null;
  }

  /** `flush()` awaited (the kernel's thread free meanwhile): true once what is queued now is durable, false when refused (kept). */
  async settle(): Promise<boolean> {
    const mine = this.next;
    for (;;) {
      if (this.closed) return this.error === null;
      const under = this.current;
      if (under) {
        await new Promise<void>((resolve) => this.tried.push(resolve));
        if (under.batch === mine) return this.error === null;
        continue;
      }
      if (this.next !== mine) return this.error === null; // started and ended already
      this.begin();
      if (!this.current) return this.error === null;
    }
  }

  private finishNow(): void {
    for (let pending = this.waitingOn; pending; pending = this.waitingOn) {
      this.waitingOn = null;
      let answer: Error | null = null;
      try {
        pending.wait();
      } catch (error) {
        answer = asError(error);
      }
      this.step(answer);
    }
  }

  /** Go on with the commit under way, given how its last transaction went (null: it committed). */
  private step(answer: Error | null): void {
    const current = this.current as { batch: WriteBatch; plan: Plan };
    for (;;) {
      const next = current.plan.next(answer);
      if (next.done) {
        this.current = null;
        this.ended(current.batch, next.value);
        return void this.tried.splice(0).forEach((told) => told());
      }
      let pending: PendingCommit | null;
      try {
        pending = this.c.transact(next.value);
        answer = null;
      } catch (error) {
        answer = asError(error);
        continue;
      }
      if (!pending) continue;
      this.waitingOn = pending;
      const resume = (why: Error | null): void => {
        // Already taken by a wait on the kernel's thread (flush), or by nobody since the store closed.
        if (this.waitingOn !== pending) return;
        this.waitingOn = null;
        this.step(why);
      };
      pending.answer.then(
        () => resume(null),
        (error: unknown) => resume(asError(error)),
      );
      return;
    }
  }

  private ended(batch: WriteBatch, outcome: Outcome): void {
    const hooks = this.c.hooks();
    for (const [pid, error] of outcome.broken) hooks.onWriteError(pid, error);
    if (outcome.kept === null) return this.succeeded(batch);
    this.show(outcome.committed);
    if (outcome.kept !== batch) {
      outcome.kept.waiters.push(...batch.waiters);
      outcome.kept.after.push(...batch.after);
    }
    this.next = outcome.kept.before(this.next);
    this.fail(outcome.error);
  }

  private succeeded(batch: WriteBatch): void {
    if (this.c.commits && !batch.empty) {
      Atomics.add(this.c.commits, 0, 1);
      Atomics.notify(this.c.commits, 0);
    }
    if (this.error) {
      const was = this.error;
      this.error = null;
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.c.hooks().log('info', `the kernel store commits again (it had failed: ${was.message})`);
      this.c.hooks().onHealth(true, null);
    }
    for (const hook of batch.after) hook();
    this.show(batch.events);
    for (const resolve of batch.waiters) resolve();
    // Queued while this commit was under way, or by a listener above.
    if (!this.next.empty) this.request(this.next.waiters.length > 0);
  }

  private show(events: readonly StoredEvent[]): void {
    if (events.length > 0) for (const listener of this.listeners) listener(events);
  }

  /** A commit failed for the engine's reason (the writes are kept): said once, retried until one works. */
  private fail(error: Error): void {
    const first = this.error === null;
    this.error = error;
    if (first) {
      this.c
        .hooks()
        .log(
          'error',
          `the kernel store cannot commit (${error.message}); holding writes and retrying every ${param.storeRetryMs} ms`,
        );
      this.c.hooks().onHealth(false, error);
    }
    this.retryTimer ??= runAsKernel(() =>
      setTimeout(() => {
        this.retryTimer = null;
        this.begin();
      }, param.storeRetryMs),
    );
  }

  /** Commit what can be committed and stop: no commit will come, no one waits any more. False when writes were left. */
  close(): boolean {
    const flushed = this.flush();
    this.closed = true;
    this.waitingOn = null;
    for (const timer of [this.retryTimer, this.paced, this.timer]) if (timer) clearTimeout(timer);
    for (const resolve of this.next.waiters.splice(0)) resolve();
    for (const told of this.tried.splice(0)) told();
    return flushed;
  }
}
