/**
 * PostgreSQL from the kernel's thread: its one connection (the `pg` client) runs on a thread of
 * its own (bridge-thread.ts), and a request — a list of statements run back to back, in a
 * transaction it begins, goes on with or ends — is one round trip to that thread, however many
 * rows it writes. An answer is had one of two ways (`send`):
 * - awaited (`answer`): the kernel's thread goes on meanwhile. The store's group commits go so.
 * - waited for on the kernel's thread (`wait`, and `run`, which is send-and-wait) with
 *   `Atomics.wait`, the way synckit makes a worker's promise synchronous: the store's interface
 *   still has synchronous reads (api.ts names them), and `flush()` commits for such a read.
 * Either way the thread answers in the order it was asked, and a wait on the kernel's thread takes
 * the answers to earlier awaited requests as they come (each is then settled, as awaited).
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
 *   within a second and a half — by a wait, or by a watchdog while a request is awaited —,
 *   replaced, and its open commit looked up the same way.
 */
import { receiveMessageOnPort } from 'node:worker_threads';
import { BEAT, FLAG, Thread } from './bridge-thread.js';

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

/** A request sent: its answer awaited, or waited for on the kernel's thread. Both reject (throw) with a PgError. */
export interface PgPending {
  readonly answer: Promise<PgResult[]>;
  wait(): PgResult[];
}

/** The thread beats every 50 ms; silent this long, it is taken for dead (a false alarm costs a new connection, never a write). */
const THREAD_SILENT_MS = 1_500;
/** ...but a thread that has not beaten yet is starting (an isolate, the pg module): it gets this long. */
const THREAD_START_MS = 15_000;
/** How often an awaited request's thread is checked on. */
const WATCH_MS = 200;

interface Reply {
  id: number;
  results?: PgResult[];
  committed?: boolean;
  /** The thread looked up the commit lost with an earlier thread (the request carried `unknown`). */
  looked?: boolean;
  error?: { message: string; code: string };
}

class Request {
  outcome: { results: PgResult[] } | { error: PgError } | null = null;
  /** Its commit's transaction, being looked up (the thread was lost under it), and why it was lost. */
  lookup: { xact: bigint; why: string } | null = null;
  readonly answer: Promise<PgResult[]>;
  private settle!: { resolve(results: PgResult[]): void; reject(error: PgError): void };

  constructor(
    public id: number,
    /** It ends a transaction: a thread lost under it has its commit looked up, not guessed at. */
    readonly commits: boolean,
    public deadline: number,
  ) {
    this.answer = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    // A request waited for on the kernel's thread throws there; its promise nobody awaits is not an unhandled rejection.
    this.answer.catch(() => undefined);
  }

  done(results: PgResult[]): void {
    this.outcome = { results };
    this.settle.resolve(results);
  }

  fail(error: PgError): void {
    this.outcome = { error };
    this.settle.reject(error);
  }
}

export class PgBridge {
  private thread: Thread;
  private nextId = 1;
  private closed = false;
  /** A commit whose outcome is not known yet (its thread was lost under it): looked up before anything else runs. */
  private unknown: bigint | null = null;
  /** Requests sent and not answered yet, oldest first (the thread answers in order). */
  private readonly pending = new Map<number, Request>();
  private watchdog: NodeJS.Timeout | null = null;
  /** The thread's heartbeat as last seen, and when it last moved. */
  private beat = 0;
  private beatAt = Date.now();

  constructor(private readonly options: PgBridgeOptions) {
    this.thread = new Thread(options, this.onReply);
  }

  /** Run these statements on the connection, waiting for the answer on the kernel's thread; throws PgError. */
  run(steps: readonly PgStep[], tx: TxMode = 'none'): PgResult[] {
    return this.send(steps, tx).wait();
  }

  /** Send these statements: the answer awaited, or waited for (see above). */
  send(steps: readonly PgStep[], tx: TxMode = 'none'): PgPending {
    if (this.closed) throw new PgError('the PostgreSQL store is closed', 'ECLOSED');
    const request = this.post(tx === 'commit' || tx === 'beginCommit', steps.length, {
      steps,
      tx,
      ...(this.unknown === null ? {} : { unknown: String(this.unknown) }),
    });
    return { answer: request.answer, wait: () => this.block(request) };
  }

  private post(commits: boolean, steps: number, message: Record<string, unknown>): Request {
    // Each statement is bounded on the thread; this bounds the whole request, with room for a lost commit's look-up.
    const { timeoutMs } = this.options;
    const request = new Request(this.nextId++, commits, Date.now() + (steps + 7) * timeoutMs + 2_000);
    this.enter(request);
    this.thread.worker.postMessage({ id: request.id, ...message });
    return request;
  }

  private enter(request: Request): void {
    this.pending.set(request.id, request);
    this.watchdog ??= setInterval(() => {
      this.drain();
      if (this.pending.size > 0) this.check();
    }, WATCH_MS);
  }

  /** Wait on the kernel's thread until this request is answered (earlier ones' answers settle them on the way). */
  private block(request: Request): PgResult[] {
    while (request.outcome === null) {
      const { words } = this.thread;
      Atomics.wait(words, FLAG, 0, WATCH_MS);
      Atomics.store(words, FLAG, 0);
      this.drain();
      if (request.outcome === null) this.check();
    }
    if ('error' in request.outcome) throw request.outcome.error;
    return request.outcome.results;
  }

  private drain(): void {
    for (let got = receiveMessageOnPort(this.thread.port); got; got = receiveMessageOnPort(this.thread.port))
      this.onReply(got.message);
  }

  private readonly onReply = (message: unknown): void => {
    const reply = message as Reply;
    if (reply.looked) this.unknown = null;
    const request = this.pending.get(reply.id);
    if (!request) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.stopWatching();
    const lookup = request.lookup;
    if (lookup && reply.error) {
      this.unknown = lookup.xact;
      request.fail(new PgError(`${lookup.why}, and whether its commit landed is not known yet`, 'EDBUNKNOWN'));
    } else if (lookup) {
      if (reply.committed) request.done([]);
      else request.fail(new PgError(lookup.why, 'EDBTIMEOUT'));
    } else if (reply.error) request.fail(new PgError(reply.error.message, reply.error.code));
    else request.done(reply.results ?? []);
  };

  /** The thread is alive and no request is past its deadline; else a new thread, and what was sent to the old one answered. */
  private check(): void {
    const now = Date.now();
    const t = this.thread;
    const b = Atomics.load(t.words, BEAT);
    if (b !== this.beat) {
      this.beat = b;
      this.beatAt = now;
    }
    const dead = now - this.beatAt > (b === 0 ? THREAD_START_MS : THREAD_SILENT_MS);
    if (!dead && ![...this.pending.values()].some((r) => now > r.deadline)) return;
    const why = dead
      ? `the database connection thread stopped${t.error ? ` (${t.error.message})` : ''}`
      : 'the database did not answer in time';
    // The thread is gone or stuck: a new one, and a commit the old one may have made looked up on it.
    const open = t.xact[0] as bigint;
    t.end();
    this.thread = new Thread(this.options, this.onReply);
    this.beat = 0;
    this.beatAt = now;
    const lost = [...this.pending.values()];
    this.pending.clear();
    this.stopWatching();
    lost.forEach((request, i) => {
      if (request.lookup) {
        // The look-up itself was lost: whether that commit landed is asked before the next request runs.
        this.unknown = request.lookup.xact;
        request.fail(new PgError(`${why}, and whether its commit landed is not known yet`, 'EDBUNKNOWN'));
      } else if (i === 0 && request.commits && open !== 0n) {
        // The thread answers in order: only the oldest request can have had a transaction open.
        request.lookup = { xact: open, why };
        request.id = this.nextId++;
        request.deadline = now + 5 * this.options.timeoutMs + 2_000;
        this.enter(request);
        this.thread.worker.postMessage({ id: request.id, resolve: String(open), steps: [] });
      } else request.fail(new PgError(why, 'EDBTIMEOUT'));
    });
  }

  private stopWatching(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
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
    this.drain();
    t.port.close();
    this.stopWatching();
    for (const request of this.pending.values()) request.fail(new PgError('the PostgreSQL store closed', 'ECLOSED'));
    this.pending.clear();
  }
}
