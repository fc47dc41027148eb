/**
 * The kernel's store on PostgreSQL (AOS_DATABASE_URL, issue 36): the same store (store.ts: group
 * commit, health, the facets) on a connection of its own (bridge.ts) — its group commits and the
 * reads that answer clients awaited, the few reads api.ts names as synchronous waited for —, its
 * tables made from the
 * SQLite schema (pg-schema.ts) in a schema of their own — one per node, `aos_node_<name>` — so two
 * kernels on one database never read each other's rows. Pids and message ids come from sequences
 * every node shares, so no two nodes hand out the same one.
 *
 * A node's commits are fenced: each transaction first holds the node's row in the cluster's table
 * in key-share mode at the epoch the store was opened with (the `guard`); once another node declares
 * this one dead, no commit lands — the store reports itself failing and keeps its writes, and the
 * kernel stops starting work (proc/disk-guard.ts), as with a full disk.
 */
import { param } from '../../../sys/param.js';
import type { PostgresStoreOptions } from '../api.js';
import { Store } from '../store.js';
import { PgBridge, PgError } from './bridge.js';
import { postgresSchema } from './pg-schema.js';
import { PgDb } from './pg-db.js';
import { PgMoves } from './moves.js';
import { ID_BLOCK, PgIds } from './ids.js';
import { SCHEMA_VERSION } from '../schema.js';

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * Failures of the link or the server, not of a row: the store keeps its writes and retries. Only
 * what the connection said counts (a PgError): a refused or broken connection, a timeout, the
 * server shutting down, out of disk or memory (53), a lock or serialization wait, a read-only or
 * permission-less session, a fence. Anything else — bad data (22), a constraint (23), a row too
 * big for an index (54000), a JavaScript error in a row's builder — blames that one write.
 */
export function retryablePgError(error: unknown): boolean {
  if (!(error instanceof PgError)) return false;
  const { code } = error;
  if (!/^[0-9A-Z]{5}$/.test(code)) return true;
  return /^(08|53|57|58)/.test(code) || ['40001', '40P01', '55P03', '25P03', '25006', '42501'].includes(code);
}

/** Make the schema (or bring it up to date: every statement is IF NOT EXISTS), under a lock every node takes. */
function migrate(bridge: PgBridge, schema: string): string | null {
  const [, , has] = bridge.run(
    [
      { sql: "SELECT pg_advisory_xact_lock(hashtext('aos store schema'))" },
      { sql: `CREATE SCHEMA IF NOT EXISTS ${quote(schema)}` },
      { sql: "SELECT to_regclass('meta') IS NOT NULL AS has" },
    ],
    'begin',
  );
  const created = !(has?.rows[0] as { has: boolean } | undefined)?.has;
  let version = SCHEMA_VERSION;
  if (!created) {
    const [row] = bridge.run([{ sql: "SELECT value FROM meta WHERE key = 'schema'" }], 'continue');
    version = Number((row?.rows[0] as { value: string } | undefined)?.value ?? SCHEMA_VERSION);
  }
  if (version > SCHEMA_VERSION) {
    bridge.run([], 'rollback');
    throw new Error(
      `the kernel store in PostgreSQL schema ${schema} has schema ${version}, newer than this aos understands (${SCHEMA_VERSION}): upgrade aos`,
    );
  }
  bridge.run(
    [
      { sql: 'CREATE SEQUENCE IF NOT EXISTS public.aos_pids' },
      { sql: `CREATE SEQUENCE IF NOT EXISTS public.aos_message_ids INCREMENT BY ${ID_BLOCK}` },
      { sql: postgresSchema() },
      {
        sql: "INSERT INTO meta (key, value) VALUES ('schema', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        params: [String(SCHEMA_VERSION)],
      },
    ],
    'commit',
  );
  return created ? `created a new kernel store in PostgreSQL (schema ${schema})` : null;
}

export function openPostgresStore(options: PostgresStoreOptions): Store {
  const bridge = new PgBridge({
    connectionString: options.url,
    applicationName: options.applicationName,
    searchPath: `${quote(options.schema)}, public`,
    timeoutMs: param.pgStoreTimeoutMs,
    statementTimeoutMs: param.pgStoreTimeoutMs,
    idleTxMs: param.clusterIdleTxMs,
  });
  try {
    const note = migrate(bridge, options.schema);
    const db = new PgDb(bridge);
    db.guard = options.guard ?? null;
    return Store.on(options.file, {
      db,
      note,
      // Group commits are sent to the connection's thread and awaited: the kernel's thread goes on meanwhile.
      commit: (body) => db.commit(body),
      // So are the reads that answer clients (ps --all, logs, history, inspect, ...): sent behind the commits, awaited.
      read: (sql, params) => db.readLater(sql, params),
      retryable: retryablePgError,
      ids: (store) => new PgIds(store),
      moves: (store) => new PgMoves(options, store, db),
      // PostgreSQL keeps its own copies (pg_dump, base backups, a managed service's snapshots).
      backup: async () => null,
      close: () => void bridge.close(),
    });
  } catch (error) {
    void bridge.close();
    const message = error instanceof PgError || error instanceof Error ? error.message : String(error);
    throw new Error(`cannot open the kernel store in PostgreSQL (schema ${options.schema}): ${message}`, {
      cause: error,
    });
  }
}
