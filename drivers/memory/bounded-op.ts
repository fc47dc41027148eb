/**
 * One memory operation under its time limit and its process's kill signal. The work gets a signal
 * that aborts with either, and runs under it (request-signal.ts): the chromadb client's requests,
 * which take no signal of ours, end with the operation rather than outlive it.
 */
import { AosError } from '../../sys/errno.js';
import { underSignal } from '../request-signal.js';

/** `work` bounded to `timeoutMs` and by `signal`; `onTimeout` runs when the limit passed, before the work's signal aborts. */
export function boundedOp<T>(
  timeoutMs: number,
  signal: AbortSignal | undefined,
  onTimeout: () => void,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      const reason: unknown = signal?.reason;
      const error =
        reason instanceof AosError ? reason : new AosError('EINTR', 'interrupted: the process is being killed');
      controller.abort(error);
      reject(error);
    };
    const timer = setTimeout(() => {
      const error = new AosError('ETIMEDOUT', `memory operation took longer than ${Math.round(timeoutMs / 1000)} s`);
      onTimeout();
      controller.abort(error);
      reject(error);
    }, timeoutMs);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    underSignal(controller.signal, () => work(controller.signal))
      .then(resolve, reject)
      .finally(() => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      });
  });
}
