/**
 * The cluster's connection to PostgreSQL (the `pg` client; nothing else in aos names it): a small
 * pool whose sessions say which node they are (application_name, so a fence can find them) and
 * let the server abort a transaction the node left open (a node stopped mid-commit cannot hold
 * off the fence), bigints read as numbers, and the cluster's tables made once, under a lock.
 */
import pg from 'pg';
import { param } from '../../sys/param.js';
import { maskUrlPassword } from '../../sys/url-credentials.js';
import { CLUSTER_SCHEMA, CLUSTER_SCHEMA_VERSION } from './schema.js';

export type Db = pg.Pool;
export type Tx = pg.PoolClient;

/** int8 (counts, epochs, milliseconds) as a JS number: every value aos keeps there is well below 2^53. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 && format !== 'binary') return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** A database URL as shown to people: the password left out. */
export function redactUrl(url: string): string {
  return maskUrlPassword(url);
}

/** The application_name a node's sessions carry: a fence of the node ends them by it. */
export function sessionName(node: string): string {
  return `aos:${node}`;
}

export function connectionConfig(url: string, node: string): pg.ClientConfig {
  if (!/^postgres(ql)?:\/\//.test(url))
    throw new Error(`AOS_DATABASE_URL must be a postgres:// URL (got ${redactUrl(url)})`);
  return {
    connectionString: url,
    application_name: sessionName(node),
    statement_timeout: param.clusterStatementTimeoutMs,
    idle_in_transaction_session_timeout: param.clusterIdleTxMs,
    connectionTimeoutMillis: param.clusterStatementTimeoutMs,
    // A server or link that hangs answers nothing, not even the statement timeout: the client gives up too.
    query_timeout: param.clusterStatementTimeoutMs + 1_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 1_000,
    types,
  };
}

/**
 * A session of its own for long work on a node's store (a tree's move from a dead node): the
 * node's application_name (a fence ends it with the node's other sessions), the store's schema
 * first, statements allowed clusterMoveTimeoutMs.
 */
export async function openSession(url: string, node: string, searchPath: string): Promise<pg.Client> {
  // Idle between its statements while this node's thread is busy (a synchronous commit of its store) is
  // not idle for good: a node stopped mid-move is cut off by the fence that declares it dead.
  const client = new pg.Client({
    ...connectionConfig(url, node),
    statement_timeout: param.clusterMoveTimeoutMs,
    query_timeout: param.clusterMoveTimeoutMs + 1_000,
    idle_in_transaction_session_timeout: param.clusterMoveTimeoutMs,
  });
  // A session a fence ends fails the query in hand; the event itself is not news.
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`SET search_path TO ${searchPath}`);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

export function openDb(url: string, node: string): Db {
  const pool = new pg.Pool({ ...connectionConfig(url, node), max: param.clusterPoolSize, idleTimeoutMillis: 30_000 });
  // A connection the server ended (a fence, a restart) is dropped from the pool; the next query opens another.
  pool.on('error', () => undefined);
  return pool;
}

/** Run `fn` in one transaction (rolled back when it throws). */
export async function inTx<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const tx = await db.connect();
  // A session the server ends mid-transaction (a fence) fails the query in hand; the event itself is not news.
  const ignore = (): void => undefined;
  tx.on('error', ignore);
  let broken = false;
  try {
    await tx.query('BEGIN');
    const out = await fn(tx);
    await tx.query('COMMIT');
    return out;
  } catch (error) {
    await tx.query('ROLLBACK').catch(() => (broken = true));
    throw error;
  } finally {
    tx.off('error', ignore);
    tx.release(broken);
  }
}

/** The cluster's tables, made by the first node to start (several starting at once take turns); the cluster's id. */
export async function migrate(db: Db): Promise<string> {
  return inTx(db, async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('aos cluster schema'))");
    // Made already at this version: no DDL. Its ALTERs would take the nodes' table in exclusive mode,
    // holding up every node's commits (their fence checks read it) while this node joins.
    const made = await tx.query<{ present: boolean }>("SELECT to_regclass('aos_meta') IS NOT NULL AS present");
    const have = made.rows[0]?.present
      ? await tx.query<{ value: string }>("SELECT value FROM aos_meta WHERE key = 'cluster_schema'")
      : null;
    const version = Number(have?.rows[0]?.value ?? 0);
    if (version > CLUSTER_SCHEMA_VERSION) {
      throw new Error(
        `the cluster database is at schema ${version}, newer than this aos (${CLUSTER_SCHEMA_VERSION}): upgrade aos on this node`,
      );
    }
    if (version < CLUSTER_SCHEMA_VERSION) {
      await tx.query(CLUSTER_SCHEMA);
      await tx.query(
        "INSERT INTO aos_meta (key, value) VALUES ('cluster_schema', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        [String(CLUSTER_SCHEMA_VERSION)],
      );
    }
    // The cluster's own id: what its trees' memory collections are named after (pids are the cluster's).
    await tx.query(
      "INSERT INTO aos_meta (key, value) VALUES ('cluster_id', substr(md5(random()::text || clock_timestamp()::text), 1, 12)) ON CONFLICT (key) DO NOTHING",
    );
    const id = await tx.query<{ value: string }>("SELECT value FROM aos_meta WHERE key = 'cluster_id'");
    return id.rows[0]?.value ?? '';
  });
}

/** The database's clock in milliseconds: every time the cluster compares is the server's, never a node's. */
export const NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';
