/**
 * The one wait a process may be parked in: woken (`ready`), timed out at its deadline, or
 * interrupted by a kill. `ready` and `timeout` settle in the waker's stack and the process goes on
 * from there (loop/calls.ts): a wake('ready') is its caller's last step, a timeout a timer's. An
 * interrupt comes mid-way through a kill: it settles after it. Proc (proc.ts) holds one.
 */
import { Waking } from '../../sys/waking.js';

export type WakeReason = 'ready' | 'timeout' | 'interrupt';

export class Parking {
  private waker: ((reason: WakeReason) => void) | null = null;
  private deadlineTimer: NodeJS.Timeout | null = null;

  /** Park until woken, the deadline, or `signal`; `onWake` runs first when it ends, however it ends. */
  park(signal: AbortSignal, deadline: number, onWake: () => void): Waking<WakeReason> {
    if (signal.aborted) return Waking.of<WakeReason>('interrupt');
    const woken = new Waking<WakeReason>();
    const onAbort = (): boolean => this.wake('interrupt');
    this.waker = (reason) => {
      signal.removeEventListener('abort', onAbort);
      onWake();
      if (reason === 'interrupt') queueMicrotask(() => woken.resolve(reason));
      else woken.resolve(reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    this.deadlineTimer = setTimeout(() => this.wake('timeout'), Math.max(0, deadline - Date.now()));
    return woken;
  }

  /** Returns false when nothing was parked. */
  wake(reason: WakeReason): boolean {
    const waker = this.waker;
    if (!waker) return false;
    this.waker = null;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    waker(reason);
    return true;
  }
}
