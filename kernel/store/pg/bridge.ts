/**
 * PostgreSQL answered synchronously: the store's interface reads and commits synchronously (its
 * SQLite backend does, and a turn depends on it), so the PostgreSQL backend runs its one
 * connection (the `pg` client) on a thread of its own and waits for each answer with
 * `Atomics.wait` — the way synckit makes a worker's promise synchronous. A request is a list of
 * statements run back to back on that connection, in a transaction it begins, goes on with or
 * ends: a group commit is one round trip to the thread, however many rows it writes.
 *
 * What may go wrong, and what each answer then means:
 * - Every statement has a deadline on the thread (the client's query_timeout, the server's
 *   statement_timeout); a connection that misses it is dropped and the next request opens another.
 * - A transaction goes on only on the session that began it: a request that continues one whose
 *   session was lost (the server ended it, the link broke) fails (ETXLOST), never commits half.
 * - A COMMIT whose answer was lost (the link broke under it) is not guessed at: the thread looks up
 *   the transaction (pg_xact_status of the id it took at BEGIN) on a new connection and answers
 *   committed or not. So a failed commit never landed, and a retry never writes a row twice.
 * - The thread says it is alive in shared memory; one that stops (killed, out of memory) is seen
 *   within a second and a half, replaced, and its open commit looked up the same way.
 */
import { createRequire } from 'node:module';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { WORKER_SOURCE } from './bridge-thread.js';

export interface PgStep {
  sql: string;
  params?: unknown[];
  /** Rows as arrays of values (better-sqlite3's `raw`), not objects. */
  array?: boolean;
  /** The step must touch at least one row, else the request fails with this error (and its transaction rolls back). */
  mustTouch?: { code: string; message: string };
}

export interface PgResult {
  rows: unknown[];
  count: number;
}

/**
 * What a request does with a transaction: none (each statement commits alone), `begin` one and
 * leave it open, go on in the open one (`continue`), end it with a `commit` (after its statements;
 * `beginCommit`: a whole transaction in one request) or a `rollback`.
 */
export type TxMode = 'none' | 'begin' | 'continue' | 'commit' | 'beginCommit' | 'rollback';

export interface PgBridgeOptions {
  connectionString: string;
  applicationName: string;
  /** Statements in this session run with this search_path first (the store's schema). */
  searchPath?: string;
  /** A statement not answered in this long fails (its connection is dropped). */
  timeoutMs: number;
  /** The server aborts a statement that runs longer (statement_timeout). */
  statementTimeoutMs: number;
  /** The server aborts a transaction left idle this long (idle_in_transaction_session_timeout). */
  idleTxMs: number;
}

/** An error the database or the link gave back, with its SQLSTATE (or a node code such as ECONNREFUSED) as `code`. */
export class PgError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Shared words: [0] the answer flag, [1] the thread's heartbeat; the bigint after them the open transaction's id. */
const FLAG = 0;
const BEAT = 1;
/** The thread beats every 50 ms; silent this long, it is taken for dead (a false alarm costs a new connection, never a write). */
const THREAD_SILENT_MS = 1_500;
/** ...but a thread that has not beaten yet is starting (an isolate, the pg module): it gets this long. */
const THREAD_START_MS = 15_000;

interface Reply {
  id: number;
  results?: PgResult[];
  committed?: boolean;
  error?: { message: string; code: string };
}

/** The thread that holds the connection, and how to reach it. */
class Thread {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly shared = new SharedArrayBuffer(16);
  readonly words = new Int32Array(this.shared, 0, 2);
  readonly xact = new BigInt64Array(this.shared, 8, 1);
  /** Why the thread ended, when it threw. */
  error: Error | null = null;

  constructor(options: PgBridgeOptions) {
    const pgPath = createRequire(import.meta.url).resolve('pg');
    // Plain JavaScript: none of this process's loaders or flags (--import tsx, --input-type=module) apply to it.
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { pg: pgPath, options, shared: this.shared },
    });
    // A thread that dies is seen by its heartbeat (the kernel's thread is waiting, not listening); its error is said then.
    this.worker.on('error', (error) => (this.error = error));
    this.worker.unref();
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.port.unref();
    this.worker.postMessage({ port: channel.port2 }, [channel.port2]);
  }

  end(): void {
    void this.worker.terminate();
    this.port.close();
  }
}

export class PgBridge {
  private thread: Thread;
  private nextId = 1;
  private closed = false;
  /** A commit whose outcome is not known yet (its thread was lost under it): looked up before anything else. */
  private unknown: bigint | null = null;

  constructor(private readonly options: PgBridgeOptions) {
    this.thread = new Thread(options);
  }

  /** Run these statements on the connection, waiting for the answer; throws PgError. */
  run(steps: readonly PgStep[], tx: TxMode = 'none'): PgResult[] {
    if (this.closed) throw new PgError('the PostgreSQL store is closed', 'ECLOSED');
    if (this.unknown !== null) this.settleUnknown();
    const reply = this.ask({ steps, tx }, tx === 'commit' || tx === 'beginCommit');
    return reply.results ?? [];
  }

  /** A commit whose look-up failed when its thread was lost: looked up now, before anything else runs. */
  private settleUnknown(): void {
    const id = this.unknown as bigint;
    const reply = this.ask({ resolve: String(id), steps: [] }, false);
    this.unknown = null;
    // Landed after all: the store's retry of it may write its rows without a key twice (a thread lost while the database was unreachable: rare).
    if (reply.committed) throw new PgError('a commit thought lost had landed', 'ECOMMITTED');
  }

  private ask(message: Record<string, unknown>, commits: boolean): Reply {
    const t = this.thread;
    const id = this.nextId++;
    Atomics.store(t.words, FLAG, 0);
    t.worker.postMessage({ id, ...message });
    // Each statement is bounded on the thread; this bounds the whole request, with room for a lost commit's look-up.
    const steps = ((message.steps as unknown[] | undefined)?.length ?? 0) + 3;
    const deadline = Date.now() + steps * this.options.timeoutMs + 4 * this.options.timeoutMs + 2_000;
    let beat = Atomics.load(t.words, BEAT);
    let beatAt = Date.now();
    for (;;) {
      Atomics.wait(t.words, FLAG, 0, 200);
      Atomics.store(t.words, FLAG, 0);
      for (let got = receiveMessageOnPort(t.port); got; got = receiveMessageOnPort(t.port)) {
        const reply = got.message as Reply;
        if (reply.id !== id) continue;
        if (reply.error) throw new PgError(reply.error.message, reply.error.code);
        return reply;
      }
      const now = Date.now();
      const b = Atomics.load(t.words, BEAT);
      if (b !== beat) {
        beat = b;
        beatAt = now;
      }
      const dead = now - beatAt > (b === 0 ? THREAD_START_MS : THREAD_SILENT_MS);
      if (dead || now > deadline) {
        // The thread is gone or stuck: a new one, and a commit the old one may have made looked up on it.
        const open = t.xact[0] as bigint;
        t.end();
        this.thread = new Thread(this.options);
        const why = dead
          ? `the database connection thread stopped${t.error ? ` (${t.error.message})` : ''}`
          : 'the database did not answer in time';
        if (!commits || open === 0n) throw new PgError(why, 'EDBTIMEOUT');
        let landed: boolean;
        try {
          landed = this.ask({ resolve: String(open), steps: [] }, false).committed === true;
        } catch {
          this.unknown = open;
          throw new PgError(`${why}, and whether its commit landed is not known yet`, 'EDBUNKNOWN');
        }
        if (landed) return { id, results: [] };
        throw new PgError(why, 'EDBTIMEOUT');
      }
    }
  }

  /** Close the connection and end the thread (what was sent before is answered first). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const t = this.thread;
    const exited = new Promise<void>((resolve) => t.worker.once('exit', () => resolve()));
    t.worker.postMessage({ close: true });
    const timer = setTimeout(() => void t.worker.terminate(), 2_000);
    await exited;
    clearTimeout(timer);
    t.port.close();
  }
}
