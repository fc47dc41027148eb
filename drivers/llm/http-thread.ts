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
 * a connection reset (retried) and the next request starts another.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
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

  constructor(private readonly poolOptions: object) {}

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
      if (this.pending.size === 0) this.thread().ref();
      this.pending.set(id, { resolve, reject, progress, signal, onAbort });
      this.send({ id, method, url, headers, body });
    });
  }

  /**
   * Start the thread now rather than at the first request (a driver that will use it, as it is
   * made): its start (~20–40 ms, an isolate and undici) is then the driver's, not the first turn's.
   * Resolves once it has loaded its client (or stopped trying); it holds nothing open while idle.
   */
  ready(): Promise<void> {
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

  private thread(): Worker {
    if (this.worker) return this.worker;
    const undici = createRequire(import.meta.url).resolve('undici');
    // Plain JavaScript: none of this process's loaders or flags (--import tsx) apply to it.
    this.booted = new Promise((resolve) => (this.onBoot = resolve));
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { undici, pool: this.poolOptions },
    });
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
      if (live.length > 0) this.thread().postMessage(live);
    });
  }

  private received(batch: FromThread[]): void {
    for (const message of batch) {
      if ('ready' in message) {
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
    this.onBoot();
    const failure = Object.assign(new Error(`the HTTP client's thread stopped: ${why.message}`, { cause: why }), {
      code: 'ECONNRESET',
    });
    for (const [id, waiting] of [...this.pending]) {
      this.settle(id);
      waiting.reject(failure);
    }
  }
}
