/**
 * Whole-reply requests on a thread of their own. A turn on a remote model spent ~100–150 µs of the
 * kernel's thread in its HTTP client (the request's bytes into the socket, the reply's parse, the
 * pool; TLS on a real provider adds more): time every other agent waits behind, and with hundreds
 * of agents answered at once, most of the spread between the first one's next turn and the
 * last's (a fleet's makespan over the ideal is about agents × the kernel's thread a turn). Here
 * the kernel's thread only hands a request over and takes its reply back, in batches (what one
 * task of the loop asks goes in one message; the thread answers what one turn of its loop read in
 * one), and the HTTP work runs on another core. bench/delay: the kernel's thread a turn over HTTP
 * ~310–380 µs → ~200–230 (`delay.http_thread_us_per_turn`; the process's CPU the same).
 *
 * The thread keeps a pool as http-post.ts's (the same options), reads each reply whole as
 * http-whole.ts does, and says when an answer began (the deadlines' first byte). An abort is the
 * caller's at once (it rejects with the signal's reason, as requestWhole does) and the thread drops
 * the request. A transport error comes back with what transport-error.ts reads of it (code, errno,
 * address, port, its causes, an AggregateError's errors). A thread that dies fails what it held as
 * a connection reset (retried) and the next request starts another. A thread that could not start
 * at all (a Worker refused, undici not loaded in it) says so in `startFailure`: its caller
 * (http-post.ts) then reads whole replies on its own thread, and the requests it held are retried.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { param } from '../../sys/param.js';
import type { Progress } from './deadline.js';
import { WORKER_SOURCE } from './http-thread-source.js';
import type { WholeReply } from './http-whole.js';

/** A transport error as it crossed from the thread: what transport-error.ts reads of it. */
interface PlainError {
  name: string;
  message: string;
  stack: string;
  code?: string | number;
  errno?: string | number;
  syscall?: string;
  address?: string;
  hostname?: string;
  port?: number;
  cause?: PlainError;
  errors?: PlainError[];
}

type FromThread =
  { ready: true } | { id: number; began: true } | { id: number; reply: WholeReply } | { id: number; error: PlainError };
type ToThread =
  | { id: number; method: 'GET' | 'POST'; url: string; headers: Record<string, string>; body: string | Buffer | null }
  | { abort: number };

interface Pending {
  resolve(reply: WholeReply): void;
  reject(error: unknown): void;
  progress: Progress | undefined;
  signal: AbortSignal;
  onAbort(): void;
}

/** Errors revived as their own class (an `instanceof TypeError` reads the same on either side). */
const STANDARD: Record<string, ErrorConstructor> = { TypeError, RangeError, SyntaxError };

/** The error the thread sent, made an Error again (its class, fields, causes and an AggregateError's errors). */
export function revive(plain: PlainError): Error {
  const cause = plain.cause === undefined ? undefined : { cause: revive(plain.cause) };
  const Class = STANDARD[plain.name] ?? Error;
  const error =
    plain.errors === undefined
      ? new Class(plain.message, cause)
      : new AggregateError(plain.errors.map(revive), plain.message, cause);
  error.name = plain.name;
  error.stack = plain.stack;
  const fields = error as unknown as Record<string, unknown>;
  for (const key of ['code', 'errno', 'syscall', 'address', 'hostname', 'port'] as const) {
    if (plain[key] !== undefined) fields[key] = plain[key];
  }
  return error;
}

export class HttpThread {
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private outbox: ToThread[] = [];
  private flushing = false;
  private booted: Promise<void> = Promise.resolve();
  private onBoot: () => void = () => undefined;
  private up = false;
  /** Why the thread could not start (it never said it was up); null while it has not failed so. */
  startFailure: Error | null = null;

  /** `undici`: the module the thread loads (its path; the package's own, found when the thread starts, by default). */
  constructor(
    private readonly poolOptions: object,
    private readonly undici?: string,
  ) {}

  /** `method` `url` on the thread; resolves with the whole reply, whatever its status; rejects as undici fails. */
  request(
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    body: string | Buffer | null,
    signal: AbortSignal,
    progress?: Progress,
  ): Promise<WholeReply> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const id = ++this.nextId;
      const onAbort = (): void => {
        if (!this.settle(id)) return;
        this.send({ abort: id });
        reject(signal.reason ?? new Error('aborted'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { resolve, reject, progress, signal, onAbort });
      const worker = this.thread();
      if (worker === null) return this.fail(id, this.startFailure as Error);
      if (this.pending.size === 1) worker.ref();
      this.send({ id, method, url, headers, body });
    });
  }

  /**
   * Start the thread now rather than at the first request (a driver that will use it, as it is
   * made): its start (~20–40 ms, an isolate and undici) is then the driver's, not the first turn's.
   * Resolves once it has loaded its client (or stopped trying); it holds nothing open while idle.
   */
  ready(): Promise<void> {
    // One that could not start is not started again (thread()); its boot promise has resolved.
    this.thread();
    return this.booted;
  }

  /** Requests handed over and not yet answered (for tests). */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Stop the thread; what it held fails as its death does. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (worker) await worker.terminate();
  }

  /** The thread, started when there is none; null when it cannot start (startFailure says why). */
  private thread(): Worker | null {
    if (this.worker) return this.worker;
    if (this.startFailure !== null) return null;
    // Plain JavaScript: none of this process's loaders or flags (--import tsx) apply to it.
    this.booted = new Promise((resolve) => (this.onBoot = resolve));
    let worker: Worker;
    try {
      worker = new Worker(WORKER_SOURCE, {
        eval: true,
        execArgv: [],
        workerData: {
          undici: this.undici ?? createRequire(import.meta.url).resolve('undici'),
          pool: this.poolOptions,
          maxReplyBytes: param.llmReplyMaxBytes,
        },
      });
    } catch (error) {
      this.startFailure = error instanceof Error ? error : new Error(String(error));
      this.onBoot();
      return null;
    }
    worker.on('message', (batch: FromThread[]) => this.received(batch));
    worker.on('error', (error) => this.ended(worker, error));
    worker.on('exit', (code) => this.ended(worker, new Error(`it exited (${code})`)));
    if (this.pending.size === 0) worker.unref();
    this.worker = worker;
    return worker;
  }

  private send(message: ToThread): void {
    this.outbox.push(message);
    if (this.flushing) return;
    this.flushing = true;
    // At the end of this task, not the loop's turn: a request handed over waits for no other
    // callback (at 100 agents × 5 × 200 ms, ~10 ms less than a setImmediate, bench/delay).
    queueMicrotask(() => {
      this.flushing = false;
      const batch = this.outbox;
      this.outbox = [];
      // A request settled before it went (aborted, or failed with a thread that died) does not go;
      // the thread ignores an abort for a request it does not hold.
      const live = batch.filter((m) => 'abort' in m || this.pending.has(m.id));
      // Aborts alone go to a thread that is there: none is started to hear them.
      const worker = live.some((m) => !('abort' in m)) ? this.thread() : this.worker;
      if (live.length > 0) worker?.postMessage(live);
    });
  }

  private received(batch: FromThread[]): void {
    for (const message of batch) {
      if ('ready' in message) {
        this.up = true;
        this.onBoot();
        continue;
      }
      const waiting = this.pending.get(message.id);
      if (waiting === undefined) continue;
      if ('began' in message) waiting.progress?.began();
      else if ('reply' in message) {
        this.settle(message.id);
        waiting.resolve(message.reply);
      } else {
        this.settle(message.id);
        waiting.reject(revive(message.error));
      }
    }
  }

  /** Forget request `id` (false: it was already settled); the thread stops holding the program open when it holds nothing. */
  private settle(id: number): boolean {
    const waiting = this.pending.get(id);
    if (waiting === undefined) return false;
    this.pending.delete(id);
    waiting.signal.removeEventListener('abort', waiting.onAbort);
    if (this.pending.size === 0) this.worker?.unref();
    return true;
  }

  private ended(worker: Worker, why: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    if (!this.up) this.startFailure = why;
    this.up = false;
    this.onBoot();
    for (const id of [...this.pending.keys()]) this.fail(id, why);
  }

  /** Request `id` fails as a connection reset (the driver retries it) because of `why`. */
  private fail(id: number, why: Error): void {
    const waiting = this.pending.get(id);
    if (waiting === undefined || !this.settle(id)) return;
    const stopped = this.startFailure === why ? 'could not start' : 'stopped';
    const failure = new Error(`the HTTP client's thread ${stopped}: ${why.message}`, { cause: why });
    waiting.reject(Object.assign(failure, { code: 'ECONNRESET' }));
  }
}
