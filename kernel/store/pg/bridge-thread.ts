/**
 * The PostgreSQL store's connection thread (bridge.ts sends it requests and says what its answers
 * mean): one `pg` client, requests run one at a time in the order they came, a heartbeat and the
 * open transaction's id in shared memory for the kernel's thread to read while it waits.
 */
import { createRequire } from 'node:module';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';

/** Plain JavaScript evaluated as is: the same from dist, under tsx and in a test runner. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const pg = require(workerData.pg);
const o = workerData.options;
const shared = new Int32Array(workerData.shared, 0, 2);
const xact = new BigInt64Array(workerData.shared, 8, 1);
// A beat now, and with every answer: a thread that has answered is not starting (bridge.ts gives a
// thread that never beat 15 s). On a loaded machine the first 50 ms tick came after the first answer,
// and a thread killed then was waited on to the request's deadline instead of its heartbeat's 1.5 s.
Atomics.add(shared, 1, 1);
setInterval(() => Atomics.add(shared, 1, 1), 50).unref();
const types = {
  getTypeParser(oid, format) {
    // int8 and numeric (counts, sums, ids, milliseconds) as numbers: every value aos keeps is below 2^53.
    if ((oid === 20 || oid === 1700) && format !== 'binary') return (v) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};
let client = null;
let inTx = false;
function drop(c) {
  if (client === c) { client = null; inTx = false; }
  try { c.connection && c.connection.stream && c.connection.stream.destroy(); } catch {}
  c.end().catch(() => {});
}
async function connect() {
  if (client) return client;
  const c = new pg.Client({
    connectionString: o.connectionString,
    application_name: o.applicationName,
    statement_timeout: o.statementTimeoutMs,
    idle_in_transaction_session_timeout: o.idleTxMs,
    query_timeout: o.timeoutMs,
    connectionTimeoutMillis: o.timeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: 1000,
    types,
  });
  c.on('error', () => drop(c));
  c.on('end', () => { if (client === c) { client = null; inTx = false; } });
  try {
    await c.connect();
    if (o.searchPath) await c.query('SET search_path TO ' + o.searchPath);
  } catch (e) { drop(c); throw e; }
  client = c;
  return c;
}
/** An error of the link (no SQLSTATE, or the server's own connection classes): the connection is not trusted again. */
function linkError(e) {
  const code = String((e && e.code) || '');
  return !/^[0-9A-Z]{5}$/.test(code) || /^(08|57P)/.test(code);
}
async function q(c, text, values, rowMode) {
  try {
    return await c.query({ text, values, rowMode });
  } catch (e) {
    if (linkError(e)) drop(c);
    throw e;
  }
}
function fail(code, message) { const e = new Error(message); e.code = code; return e; }
/** After a COMMIT whose answer was lost: did it commit? Asked on a new connection until the server knows. */
async function outcome(id) {
  const until = Date.now() + 4 * o.timeoutMs;
  for (;;) {
    try {
      const c = await connect();
      const r = await q(c, 'SELECT pg_xact_status($1::xid8) AS s', [id]);
      const s = r.rows[0] && r.rows[0].s;
      if (s === 'committed') return true;
      if (s === 'aborted' || s === null) return false;
    } catch {}
    if (Date.now() > until) throw fail('EDBUNKNOWN', 'the database did not say whether a commit landed');
    await new Promise((r) => setTimeout(r, 100));
  }
}
async function handle(m) {
  const results = [];
  if (m.resolve) return { results: [], committed: await outcome(m.resolve) };
  // A commit whose outcome was lost with an earlier thread is looked up before anything else runs.
  if (m.unknown) {
    const landed = await outcome(m.unknown);
    looked = true;
    if (landed) throw fail('ECOMMITTED', 'a commit thought lost had landed');
  }
  const c = await connect();
  const begins = m.tx === 'begin' || m.tx === 'beginCommit';
  if (begins && inTx) { inTx = false; await q(c, 'ROLLBACK').catch(() => {}); }
  if ((m.tx === 'continue' || m.tx === 'commit' || m.tx === 'rollback') && !inTx) {
    if (m.tx === 'rollback') return { results };
    throw fail('ETXLOST', 'the transaction was lost with its connection (the server ended the session or the link broke)');
  }
  if (begins) {
    await q(c, 'BEGIN');
    inTx = true;
    const id = await q(c, 'SELECT pg_current_xact_id()::text AS id');
    xact[0] = BigInt(id.rows[0].id);
  }
  try {
    for (const s of m.steps) {
      const r = await q(c, s.sql, s.params, s.array ? 'array' : undefined);
      if (s.mustTouch && !r.rowCount) throw fail(s.mustTouch.code, s.mustTouch.message);
      results.push({ rows: r.rows, count: r.rowCount || 0 });
    }
  } catch (e) {
    if (inTx && client === c) { inTx = false; await q(c, 'ROLLBACK').catch(() => {}); }
    throw e;
  }
  if (m.tx === 'rollback') { inTx = false; await q(c, 'ROLLBACK').catch(() => {}); }
  if (m.tx === 'commit' || m.tx === 'beginCommit') {
    inTx = false;
    const id = xact[0];
    try {
      await q(c, 'COMMIT');
    } catch (e) {
      if (!linkError(e)) throw e;
      // Sent, and the answer lost: look it up.
      if (!(await outcome(String(id)))) throw fail('ETXLOST', 'the commit did not land (its connection broke)');
    }
  }
  if (!inTx) xact[0] = 0n;
  return { results };
}
let port = null;
let chain = Promise.resolve();
let looked = false;
parentPort.on('message', (m) => {
  if (m.port) { port = m.port; return; }
  if (m.close) {
    chain = chain.then(() => (client ? client.end() : undefined)).catch(() => {}).then(() => process.exit(0));
    return;
  }
  chain = chain.then(async () => {
    let reply;
    looked = false;
    try {
      reply = { id: m.id, ...(await handle(m)) };
    } catch (e) {
      reply = { id: m.id, error: { message: String((e && e.message) || e), code: String((e && e.code) || 'EDB') } };
    }
    if (looked) reply.looked = true;
    port.postMessage(reply);
    Atomics.add(shared, 1, 1);
    Atomics.store(shared, 0, 1);
    Atomics.notify(shared, 0);
  });
});
`;

/** Shared words: [0] the answer flag, [1] the thread's heartbeat; the bigint after them the open transaction's id. */
export const FLAG = 0;
export const BEAT = 1;

/** The thread that holds the connection, and how to reach it. */
export class Thread {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly shared = new SharedArrayBuffer(16);
  readonly words = new Int32Array(this.shared, 0, 2);
  readonly xact = new BigInt64Array(this.shared, 8, 1);
  /** Why the thread ended, when it threw. */
  error: Error | null = null;

  /** `onReply`: an answer that came while nobody waited on the kernel's thread (a request awaited). */
  constructor(options: object, onReply: (reply: unknown) => void) {
    const pgPath = createRequire(import.meta.url).resolve('pg');
    // Plain JavaScript: none of this process's loaders or flags (--import tsx, --input-type=module) apply to it.
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { pg: pgPath, options, shared: this.shared },
    });
    // A thread that dies is seen by its heartbeat; its error is said then.
    this.worker.on('error', (error) => (this.error = error));
    this.worker.unref();
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.port.on('message', onReply);
    // After the listener, which refs the port: only a request awaited keeps the program alive (bridge.ts refs it then).
    this.port.unref();
    this.worker.postMessage({ port: channel.port2 }, [channel.port2]);
  }

  end(): void {
    void this.worker.terminate();
    this.port.close();
  }
}
