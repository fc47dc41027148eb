/** One provider call under the caller's signal and the driver's own deadline. */
import { fromTransportError, ProviderError, timeoutError } from './provider-error.js';

export interface DeadlineCall {
  /** Driver id, for messages. */
  model: string;
  /** The caller's signal (the kernel aborts it on kill or shutdown). */
  signal: AbortSignal;
  timeoutMs: number;
  /** Scrubbed from any message. */
  secret?: string;
}

/**
 * Run `attempt` with a signal that aborts when the caller's does or when `timeoutMs` passes, and
 * settle as soon as either happens even if `attempt` ignores its signal. A caller abort rejects
 * with the caller's `signal.reason` (as the replay driver does); the deadline rejects with a
 * ProviderError `timeout`; a fetch failure becomes `network`/`timeout`; ProviderErrors pass through.
 */
export async function withDeadline<T>(call: DeadlineCall, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
  call.signal.throwIfAborted();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(timeoutError(call.model, call.timeoutMs));
  }, call.timeoutMs);
  const onCallerAbort = (): void => controller.abort(call.signal.reason);
  call.signal.addEventListener('abort', onCallerAbort, { once: true });
  let stopRace = (): void => {};
  const aborted = new Promise<never>((_resolve, reject) => {
    const onAbort = (): void => reject(new Error('aborted'));
    controller.signal.addEventListener('abort', onAbort, { once: true });
    stopRace = () => controller.signal.removeEventListener('abort', onAbort);
  });
  // The race loser must not surface as an unhandled rejection.
  aborted.catch(() => {});
  try {
    return await Promise.race([attempt(controller.signal), aborted]);
  } catch (error) {
    if (call.signal.aborted) throw call.signal.reason;
    if (timedOut) throw timeoutError(call.model, call.timeoutMs);
    if (error instanceof ProviderError) throw error;
    throw fromTransportError(call.model, error, call.secret) ?? error;
  } finally {
    clearTimeout(timer);
    stopRace();
    call.signal.removeEventListener('abort', onCallerAbort);
  }
}
