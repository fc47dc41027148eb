/**
 * PostgreSQL answered synchronously: the store's interface reads and commits synchronously (its
 * SQLite backend does, and a turn depends on it), so the PostgreSQL backend runs its one
 * connection (the `pg` client) on a thread of its own and waits for each answer with
 * `Atomics.wait` — the way synckit makes a worker's promise synchronous. A request is a list of
 * statements run back to back on that connection, optionally inside a transaction it opens, keeps
 * open or commits: a group commit is one round trip to the thread, however many rows it writes.
 *
 * A database that does not answer within `timeoutMs` fails the request (the store keeps its writes
 * and retries); a late answer is recognised by its id and dropped. A connection the server ended is
 * opened again at the next request. Nothing here knows what the statements mean.
 */
import { createRequire } from 'node:module';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';

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

/** What a request does with a transaction: none, open one (or go on in the open one), or end the open one with a commit / rollback. */
export type TxMode = 'none' | 'open' | 'commit' | 'rollback';

export interface PgBridgeOptions {
  connectionString: string;
  applicationName: string;
  /** Statements in this session run with this search_path first (the store's schema). */
  searchPath?: string;
  /** A request not answered in this long fails (EDBTIMEOUT). */
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

/** Plain JavaScript evaluated as is: the same from dist, under tsx and in a test runner. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const pg = require(workerData.pg);
const o = workerData.options;
const types = {
  getTypeParser(oid, format) {
    // int8 and numeric (counts, sums, ids, milliseconds) as numbers: every value aos keeps is below 2^53.
    if ((oid === 20 || oid === 1700) && format !== 'binary') return (v) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};
let client = null;
let opening = null;
let inTx = false;
function connect() {
  if (client) return Promise.resolve(client);
  if (opening) return opening;
  const c = new pg.Client({
    connectionString: o.connectionString,
    application_name: o.applicationName,
    statement_timeout: o.statementTimeoutMs,
    idle_in_transaction_session_timeout: o.idleTxMs,
    connectionTimeoutMillis: o.timeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: 1000,
    types,
  });
  c.on('error', () => { if (client === c) { client = null; inTx = false; } });
  c.on('end', () => { if (client === c) { client = null; inTx = false; } });
  opening = c.connect()
    .then(() => (o.searchPath ? c.query('SET search_path TO ' + o.searchPath) : undefined))
    .then(() => { client = c; return c; })
    .catch((e) => { c.end().catch(() => {}); throw e; })
    .finally(() => { opening = null; });
  return opening;
}
function fail(e) {
  return { message: String(e && e.message || e), code: String(e && e.code || 'EDB') };
}
let port = null;
let flag = null;
let chain = Promise.resolve();
async function handle(m) {
  let reply;
  try {
    const c = await connect();
    const results = [];
    if (m.tx !== 'none' && !inTx && m.tx !== 'rollback') { await c.query('BEGIN'); inTx = true; }
    try {
      for (const s of m.steps) {
        const r = await c.query({ text: s.sql, values: s.params, rowMode: s.array ? 'array' : undefined });
        if (s.mustTouch && !r.rowCount) { const e = new Error(s.mustTouch.message); e.code = s.mustTouch.code; throw e; }
        results.push({ rows: r.rows, count: r.rowCount || 0 });
      }
      if (m.tx === 'commit' && inTx) { inTx = false; await c.query('COMMIT'); }
      if (m.tx === 'rollback' && inTx) { inTx = false; await c.query('ROLLBACK'); }
    } catch (e) {
      if (inTx) { inTx = false; await c.query('ROLLBACK').catch(() => {}); }
      throw e;
    }
    reply = { id: m.id, results };
  } catch (e) {
    reply = { id: m.id, error: fail(e) };
  }
  port.postMessage(reply);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}
parentPort.on('message', (m) => {
  if (m.port) { port = m.port; flag = new Int32Array(m.flag); return; }
  if (m.close) {
    chain = chain.then(() => (client ? client.end() : undefined)).catch(() => {}).then(() => parentPort.close());
    return;
  }
  chain = chain.then(() => handle(m));
});
`;

export class PgBridge {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: PgBridgeOptions) {
    const pgPath = createRequire(import.meta.url).resolve('pg');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { pg: pgPath, options } });
    this.worker.unref();
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.port.unref();
    this.worker.postMessage({ port: channel.port2, flag: this.flag.buffer }, [channel.port2]);
  }

  /** Run these statements on the connection, waiting for the answer; throws PgError. */
  run(steps: readonly PgStep[], tx: TxMode = 'none'): PgResult[] {
    if (this.closed) throw new PgError('the PostgreSQL store is closed', 'ECLOSED');
    const id = this.nextId++;
    Atomics.store(this.flag, 0, 0);
    this.worker.postMessage({ id, steps, tx });
    const deadline = Date.now() + this.options.timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new PgError(`the database did not answer within ${this.options.timeoutMs} ms`, 'EDBTIMEOUT');
      }
      Atomics.wait(this.flag, 0, 0, left);
      Atomics.store(this.flag, 0, 0);
      // Every answer waiting (a late one of a request that timed out goes before ours, and is dropped).
      for (let got = receiveMessageOnPort(this.port); got; got = receiveMessageOnPort(this.port)) {
        const reply = got.message as { id: number; results?: PgResult[]; error?: { message: string; code: string } };
        if (reply.id !== id) continue;
        if (reply.error) throw new PgError(reply.error.message, reply.error.code);
        return reply.results ?? [];
      }
    }
  }

  /** Close the connection and end the thread (what was sent before is answered first). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ close: true });
    const timer = setTimeout(() => void this.worker.terminate(), 2_000);
    await exited;
    clearTimeout(timer);
    this.port.close();
  }
}
