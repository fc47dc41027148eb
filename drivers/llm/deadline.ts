/**
 * One provider call under the caller's signal and the driver's deadlines (sys/model-limits.ts,
 * AOS_LIMITS): the answer must begin within first_byte_s, or the server is asked whether it is there
 * at all (the probe: any HTTP answer) — nothing there, and the call fails at once, not retried, so a
 * dead endpoint is said within a minute; a server that is there (a model still thinking, a whole
 * reply still being written) is waited for. A stream that has begun may go idle_s without a byte;
 * the attempt takes reply_s at most, whole. Each failure names the endpoint and the setting.
 *
 * The attempt tells its deadlines when the answer begins and as it arrives through
 * progressOf(its signal): http-post.ts for the OpenAI-compatible driver, gemini.ts for the SDK's.
 */
import type { ModelDeadlines } from '../../sys/model-limits.js';
import {
  deadError,
  type DeadlineSubject,
  idleError,
  isConnectTimeout,
  replyError,
  withEndpoint,
} from './deadline-errors.js';
import { ProviderError } from './provider-error.js';
import { fromTransportError } from './transport-error.js';

export interface DeadlineCall extends DeadlineSubject {
  /** The caller's signal (the kernel aborts it on kill or shutdown). */
  signal: AbortSignal;
  deadlines: ModelDeadlines;
  /** A small request to the same server: resolves on any HTTP answer, rejects when none comes (or the signal aborts). */
  probe(signal: AbortSignal): Promise<unknown>;
  /** Scrubbed from any message. */
  secret?: string;
}

/** What an attempt tells its deadlines. */
export interface Progress {
  /** The answer's status and headers arrived: the server is there. */
  began(): void;
  /** A piece of a streamed answer arrived (any bytes: a keep-alive comment too). */
  data(): void;
}

const attempts = new WeakMap<AbortSignal, Progress>();

/** The deadlines of the attempt that `signal` (withDeadline's) belongs to; undefined for another signal. */
export function progressOf(signal: AbortSignal): Progress | undefined {
  return attempts.get(signal);
}

/** Probes in flight and the endpoints that answered one lately (until when): a thousand slow calls to one server probe it once. */
const probing = new Map<string, Promise<boolean>>();
const answered = new Map<string, number>();

/** Whether the server answers anything at all within the probe's limit. */
async function isThere(call: DeadlineCall, signal: AbortSignal): Promise<boolean> {
  if ((answered.get(call.endpoint) ?? 0) > Date.now()) return true;
  let probe = probing.get(call.endpoint);
  if (probe === undefined) {
    const { probeMs } = call.deadlines;
    probe = call.probe(AbortSignal.timeout(probeMs)).then(
      () => (answered.set(call.endpoint, Date.now() + probeMs), true),
      () => (answered.delete(call.endpoint), false),
    );
    probing.set(call.endpoint, probe);
    void probe.finally(() => probing.delete(call.endpoint));
  }
  if (signal.aborted) return false;
  // The caller's abort does not wait for a probe others may share.
  let stop = (): void => {};
  const gone = new Promise<boolean>((resolve) => {
    stop = () => resolve(false);
    signal.addEventListener('abort', stop, { once: true });
  });
  try {
    return await Promise.race([probe, gone]);
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

/** The attempt's three deadlines, each calling `fail` when it passes; `progress` moves them, `stop` clears them. */
function armDeadlines(
  call: DeadlineCall,
  signal: AbortSignal,
  fail: (error: ProviderError) => void,
): { progress: Progress; stop(): void } {
  const { deadlines } = call;
  let begun = false;
  let firstByte: NodeJS.Timeout | undefined = setTimeout(() => {
    firstByte = undefined;
    void isThere(call, signal).then((there) => there || begun || fail(deadError(call, 'silent')));
  }, deadlines.firstByteMs);
  let idle: NodeJS.Timeout | undefined;
  const whole = setTimeout(() => fail(replyError(call)), deadlines.replyMs);
  const began = (): void => {
    begun = true;
    clearTimeout(firstByte);
  };
  const data = (): void => {
    began();
    if (idle === undefined) idle = setTimeout(() => fail(idleError(call)), deadlines.idleMs);
    else idle.refresh();
  };
  return { progress: { began, data }, stop: () => [firstByte, idle, whole].forEach((timer) => clearTimeout(timer)) };
}

/**
 * Run `attempt` with a signal that aborts when the caller's does or a deadline passes, and settle as
 * soon as either happens even if `attempt` ignores its signal. A caller abort rejects with the
 * caller's `signal.reason`; a deadline with its ProviderError `timeout`; a transport failure becomes
 * `network`/`timeout`; ProviderErrors pass through. Every ProviderError names the endpoint.
 */
export async function withDeadline<T>(call: DeadlineCall, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
  call.signal.throwIfAborted();
  const controller = new AbortController();
  let failure: ProviderError | null = null;
  const deadlines = armDeadlines(call, controller.signal, (error) => {
    if (controller.signal.aborted) return;
    failure = error;
    controller.abort(error);
  });
  attempts.set(controller.signal, deadlines.progress);
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
    deadlines.stop();
    if (call.signal.aborted) throw call.signal.reason;
    if (failure !== null) throw failure;
    if (error instanceof ProviderError) throw withEndpoint(error, call.endpoint);
    // Node's fetch (the Gemini SDK's) gives up connecting after 10 s: nothing there either, and it is as dead as a silent one.
    if (isConnectTimeout(error) && !(await isThere(call, call.signal)))
      throw call.signal.aborted ? call.signal.reason : deadError(call, 'connect');
    const transport = fromTransportError(call.model, error, call.secret);
    throw transport === undefined ? error : withEndpoint(transport, call.endpoint);
  } finally {
    deadlines.stop();
    attempts.delete(controller.signal);
    stopRace();
    call.signal.removeEventListener('abort', onCallerAbort);
  }
}
