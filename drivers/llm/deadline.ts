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

/**
 * The attempt's three deadlines, each calling `fail` when it passes; `progress` moves them, `stop`
 * clears them. First byte and whole reply share one timer (it fires at the first-byte deadline, and
 * is set again for the rest of the reply): a reply that begins changes no timer.
 */
function armDeadlines(
  call: DeadlineCall,
  signal: AbortSignal,
  fail: (error: ProviderError) => void,
): { progress: Progress; stop(): void } {
  const { firstByteMs, replyMs, idleMs } = call.deadlines;
  let begun = false;
  const whole = (): void => fail(replyError(call));
  const firstByte = (): void => {
    timer = setTimeout(whole, replyMs - firstByteMs);
    if (!begun) void isThere(call, signal).then((there) => there || begun || fail(deadError(call, 'silent')));
  };
  let timer: NodeJS.Timeout = firstByteMs < replyMs ? setTimeout(firstByte, firstByteMs) : setTimeout(whole, replyMs);
  let idle: NodeJS.Timeout | undefined;
  const began = (): void => {
    begun = true;
  };
  const data = (): void => {
    begun = true;
    if (idle === undefined) idle = setTimeout(() => fail(idleError(call)), idleMs);
    else idle.refresh();
  };
  return {
    progress: { began, data },
    stop: () => {
      clearTimeout(timer);
      if (idle !== undefined) clearTimeout(idle);
    },
  };
}

/** Who waits on a caller's signal (a process's: it lives as long as the process): one listener a signal, not one an attempt. */
const watchers = new WeakMap<AbortSignal, Set<() => void>>();

function onAbortOf(signal: AbortSignal, onAbort: () => void): () => void {
  let waiting = watchers.get(signal);
  if (waiting === undefined) {
    const all = new Set<() => void>();
    signal.addEventListener('abort', () => [...all].forEach((f) => f()), { once: true });
    watchers.set(signal, all);
    waiting = all;
  }
  const set = waiting;
  set.add(onAbort);
  return () => void set.delete(onAbort);
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
  let endRace: (reason: unknown) => void = () => {};
  const aborted = new Promise<never>((_resolve, reject) => (endRace = reject));
  // The race loser must not surface as an unhandled rejection.
  aborted.catch(() => {});
  const cut = (reason: unknown): void => {
    if (controller.signal.aborted) return;
    controller.abort(reason);
    endRace(new Error('aborted'));
  };
  const deadlines = armDeadlines(call, controller.signal, (error) => {
    if (controller.signal.aborted) return;
    failure = error;
    cut(error);
  });
  attempts.set(controller.signal, deadlines.progress);
  const unwatch = onAbortOf(call.signal, () => cut(call.signal.reason));
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
    unwatch();
  }
}
