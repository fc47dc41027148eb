/**
 * Whether a write's directory changes (creating its aside file, renaming it over the target) run
 * synchronously or through the thread pool. On a local file system both take tens of µs from the
 * cache, and the thread pool's round trip costs more CPU than the work (measured here, a create
 * and a rename: ext4 ~100 µs of CPU synchronously against ~230 µs through the pool; tmpfs ~25
 * against ~100). But a directory change can wait on the file system's journal, or on a network
 * file system's server, for milliseconds, and a synchronous one stalls every other process for
 * that long. So they run synchronously while they stay fast here — their moving average (each
 * one weighing 1/16) at most `averageMs`, and no single one over 20 times that — and through the
 * thread pool for the next 30 s once they are not; then one is timed synchronously again.
 */

/** Each change's weight in the moving average. */
const WEIGHT = 1 / 16;
/** A single change this many times the average's bound sends the next ones to the thread pool at once. */
const SINGLE_FACTOR = 20;
/** How long changes go through the thread pool once they were slow. */
export const SLOW_BACKOFF_MS = 30_000;

export class DirChanges {
  private average = 0;
  private poolUntil = -Infinity;
  /** Times they were found slow (for tests and diagnostics). */
  slowSpells = 0;

  /** `averageMs` 0: always the thread pool. `now`: a clock in ms (tests). */
  constructor(
    private readonly averageMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether the next change may run synchronously. */
  get sync(): boolean {
    return this.averageMs > 0 && this.now() >= this.poolUntil;
  }

  /** Runs `change` synchronously, timed; a slow one (or a slow average) sends the next ones to the pool. */
  timed<T>(change: () => T): T {
    const started = this.now();
    try {
      return change();
    } finally {
      this.took(this.now() - started);
    }
  }

  /** Counts a synchronous change that took `ms`. */
  took(ms: number): void {
    const resumed = this.poolUntil > -Infinity;
    // The first after a slow spell starts near the bound: one more slow change is enough to go back.
    if (resumed) {
      this.average = this.averageMs * (1 - WEIGHT);
      this.poolUntil = -Infinity;
    }
    this.average += (ms - this.average) * WEIGHT;
    if (ms > this.averageMs * SINGLE_FACTOR || this.average > this.averageMs) {
      this.poolUntil = this.now() + SLOW_BACKOFF_MS;
      this.slowSpells++;
    }
  }
}
