/** The kernel's clock for schedules and budget windows: the real one, or a test's that moves when told (tested without waiting). */
export interface Clock {
  now(): number;
  /** Call `fn` in `ms`; the returned function cancels it. Never keeps the process alive. */
  setTimer(ms: number, fn: () => void): () => void;
}

/** setTimeout's longest wait; a later due time is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const timer = setTimeout(fn, Math.max(0, Math.min(ms, MAX_TIMER_MS)));
    timer.unref();
    return () => clearTimeout(timer);
  },
};
