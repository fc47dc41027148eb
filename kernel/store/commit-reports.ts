/**
 * Who hears how the store's commits go: the waiters of `committed()`, the listeners shown each
 * durable batch of events, the hooks run once after the next commit, and — while the disk refuses
 * commits — the store's health, said once each way (log and onHealth), with a retry every
 * param.storeRetryMs. Its own file: store.ts queues and commits; this is what is said after.
 */
import { runAsKernel } from '../../sys/blame.js';
import { param } from '../../sys/param.js';
import type { StoredEvent, StoreHooks } from './records.js';

export class CommitReports {
  private waiters: Array<() => void> = [];
  private readonly listeners = new Set<(events: readonly StoredEvent[]) => void>();
  private onceHooks: Array<() => void> = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private error: Error | null = null;

  /** `hooks`: the store's, as they are now (the kernel sets them after the open); `retry`: commit again. */
  constructor(
    private readonly hooks: () => StoreHooks,
    private readonly retry: () => void,
  ) {}

  /** Why commits fail, while they do. */
  get failure(): Error | null {
    return this.error;
  }

  onCommitted(listener: (events: readonly StoredEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  afterCommit(hook: () => void): void {
    this.onceHooks.push(hook);
  }

  /** Resolved at the next commit that works (or at close). */
  wait(resolve: () => void): void {
    this.waiters.push(resolve);
  }

  /** Events that committed while the rest of their batch was kept for a retry. */
  shown(events: readonly StoredEvent[]): void {
    if (events.length > 0) for (const listener of this.listeners) listener(events);
  }

  /** A commit worked, with these events. */
  committed(events: readonly StoredEvent[]): void {
    if (this.error) {
      const was = this.error;
      this.error = null;
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.hooks().log('info', `the kernel store commits again (it had failed: ${was.message})`);
      this.hooks().onHealth(true, null);
    }
    const hooks = this.onceHooks;
    if (hooks.length > 0) this.onceHooks = [];
    for (const hook of hooks) hook();
    this.shown(events);
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** A commit failed for the engine's reason (the writes are kept): said once, retried until one works. */
  fail(error: Error): void {
    const first = this.error === null;
    this.error = error;
    if (first) {
      this.hooks().log(
        'error',
        `the kernel store cannot commit (${error.message}); holding writes and retrying every ${param.storeRetryMs} ms`,
      );
      this.hooks().onHealth(false, error);
    }
    this.retryTimer ??= runAsKernel(() =>
      setTimeout(() => {
        this.retryTimer = null;
        this.retry();
      }, param.storeRetryMs),
    );
  }

  stopRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  /** No commit will come (the store closed): no one waits any more. */
  release(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
