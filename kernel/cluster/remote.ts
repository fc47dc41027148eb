/**
 * Other nodes' processes as this node reads them (issue 36, item 3: one view from anywhere): each
 * node's store is a schema of the cluster's database (`aos/<node>`), so `ps` and `logs` read the
 * other nodes' committed rows directly — nothing is asked of those nodes, and a dead node's
 * processes are still listed. Only what changes a process (kill, send, stop, an approval's answer)
 * is asked of the node that runs it (requests.ts).
 */
import { psRowFromColumns, type PsColumns, storedRow } from '../store/api.js';
import type { ProcRow } from '../../protocol/views.js';
import type { Db } from './db.js';

/** The PostgreSQL schema a node's store lives in: `aos/<name>`, a quoted name (node names are letters, digits, '.', '_', '-': 63 bytes at most). */
export function nodeSchema(node: string): string {
  return `aos/${node}`;
}

const q = (schema: string): string => `"${schema.replaceAll('"', '""')}"`;

const PS = `pid, ppid, name, role, state, model, priority, turns, syscalls, prompt_tokens, output_tokens, cost,
  created_at, started_at, ended_at, exit_code, exit_reason, wait, model_mix`;

export class RemoteNodes {
  constructor(
    private readonly db: Db,
    private readonly self: string,
    /** The nodes as of the last heartbeat. */
    private readonly names: () => readonly string[],
  ) {}

  /** The other nodes whose store exists in the database. */
  private async stores(): Promise<string[]> {
    const others = this.names().filter((n) => n !== this.self);
    if (others.length === 0) return [];
    const found = await this.db.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)', [others.map(nodeSchema)]);
    const have = new Set(found.rows.map((r) => r.nspname));
    return others.filter((n) => have.has(nodeSchema(n)));
  }

  /** The node whose store holds this process (a row in its `table` keyed by `column`), or null. */
  async ownerOf(key: number | string, table: 'processes' | 'approvals' = 'processes'): Promise<string | null> {
    const column = table === 'processes' ? 'pid' : 'id';
    for (const node of await this.stores()) {
      const hit = await this.db.query(`SELECT 1 FROM ${q(nodeSchema(node))}.${table} WHERE ${column} = $1 LIMIT 1`, [key]);
      if ((hit.rowCount ?? 0) > 0) return node;
    }
    return null;
  }

  /** Every other node's processes (not ended ones unless `all`), as `ps` rows naming their node. */
  async rows(options: { all?: boolean; now?: number } = {}): Promise<ProcRow[]> {
    const now = options.now ?? Date.now();
    const out: ProcRow[] = [];
    for (const node of await this.stores()) {
      const where = options.all ? '' : "WHERE state NOT IN ('exited', 'killed')";
      const rows = await this.db.query<PsColumns>(`SELECT ${PS} FROM ${q(nodeSchema(node))}.processes ${where} ORDER BY pid`);
      for (const r of rows.rows) out.push({ ...psRowFromColumns(storedRow(r) as PsColumns, now), node });
    }
    return out.sort((a, b) => a.pid - b.pid);
  }

  /** A process of `node` and (with `tree`) its descendants, as `ps` rows. */
  async tree(node: string, pid: number, tree: boolean): Promise<ProcRow[]> {
    const s = q(nodeSchema(node));
    const sql = tree
      ? `WITH RECURSIVE t(pid) AS (SELECT pid FROM ${s}.processes WHERE pid = $1 UNION SELECT p.pid FROM ${s}.processes p JOIN t ON p.ppid = t.pid)
         SELECT ${PS} FROM ${s}.processes WHERE pid IN (SELECT pid FROM t) ORDER BY pid`
      : `SELECT ${PS} FROM ${s}.processes WHERE pid = $1`;
    const rows = await this.db.query<PsColumns>(sql, [pid]);
    const now = Date.now();
    return rows.rows.map((r) => ({ ...psRowFromColumns(storedRow(r) as PsColumns, now), node }));
  }

  /** Events of these processes in `node`'s store, oldest first: the newest `tail`, or those after `after`. */
  async events(node: string, pids: readonly number[], options: { tail?: number; after?: number }): Promise<Array<{ id: number; json: string }>> {
    const s = q(nodeSchema(node));
    if (options.after !== undefined) {
      const rows = await this.db.query<{ id: number; json: string }>(`SELECT id, json FROM ${s}.events_read WHERE pid = ANY($1) AND id > $2 ORDER BY id LIMIT 1000`, [pids, options.after]);
      return rows.rows.map((r) => storedRow(r) as { id: number; json: string });
    }
    const limit = options.tail === undefined ? '' : 'LIMIT $2';
    const rows = await this.db.query<{ id: number; json: string }>(
      `SELECT id, json FROM ${s}.events_read WHERE pid = ANY($1) ORDER BY id DESC ${limit}`,
      options.tail === undefined ? [pids] : [pids, options.tail],
    );
    return rows.rows.reverse().map((r) => storedRow(r) as { id: number; json: string });
  }
}
