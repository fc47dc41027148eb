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
  ) {}

  /**
   * The other nodes whose store exists in the database, as the database has them now: not the list
   * of the last heartbeat, which misses a node that joined since (a key it just took, a process it
   * just started).
   */
  private async stores(): Promise<string[]> {
    const found = await this.db.query<{ name: string }>(
      'SELECT n.name FROM aos_nodes n JOIN pg_namespace s ON s.nspname = $2 || n.name WHERE n.name <> $1 ORDER BY n.name',
      [this.self, nodeSchema('')],
    );
    return found.rows.map((r) => r.name);
  }

  /** The node whose store holds this process (a row in its `table` keyed by `column`), or null. */
  async ownerOf(key: number | string, table: 'processes' | 'approvals' = 'processes'): Promise<string | null> {
    const column = table === 'processes' ? 'pid' : 'id';
    for (const node of await this.stores()) {
      const hit = await this.db.query(`SELECT 1 FROM ${q(nodeSchema(node))}.${table} WHERE ${column} = $1 LIMIT 1`, [
        key,
      ]);
      if ((hit.rowCount ?? 0) > 0) return node;
    }
    return null;
  }

  /** The other node whose store has this webhook (its token and path), or null. */
  async webhookOwner(token: string, path: string): Promise<string | null> {
    for (const node of await this.stores()) {
      const hit = await this.db.query(
        `SELECT 1 FROM ${q(nodeSchema(node))}.webhooks WHERE token = $1 AND path = $2 LIMIT 1`,
        [token, path],
      );
      if ((hit.rowCount ?? 0) > 0) return node;
    }
    return null;
  }

  /**
   * Another node whose store holds this idempotency key, unexpired: the request it came with and the
   * process it started. Null when none does.
   */
  async keyHolder(
    scope: string,
    key: string,
    now = Date.now(),
  ): Promise<{ node: string; args: string; pid: number; created: number } | null> {
    for (const node of await this.stores()) {
      const hit = await this.db.query<{ args: string; pid: number; created_at: number }>(
        `SELECT args, pid, created_at FROM ${q(nodeSchema(node))}.idempotency WHERE scope = $1 AND key = $2 AND expires_at > $3`,
        [scope, key, now],
      );
      const row = hit.rows[0];
      if (row)
        return {
          node,
          args: (storedRow({ args: row.args }) as { args: string }).args,
          pid: Number(row.pid),
          created: Number(row.created_at),
        };
    }
    return null;
  }

  /** Every other node's processes (not ended ones unless `all`), as `ps` rows naming their node. */
  async rows(options: { all?: boolean; now?: number } = {}): Promise<ProcRow[]> {
    const now = options.now ?? Date.now();
    const out: ProcRow[] = [];
    for (const node of await this.stores()) {
      const where = options.all ? '' : "WHERE state NOT IN ('exited', 'killed')";
      const rows = await this.db.query<PsColumns>(
        `SELECT ${PS} FROM ${q(nodeSchema(node))}.processes ${where} ORDER BY pid`,
      );
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
  async events(
    node: string,
    pids: readonly number[],
    options: { tail?: number; after?: number },
  ): Promise<Array<{ id: number; json: string }>> {
    const s = q(nodeSchema(node));
    if (options.after !== undefined) {
      const rows = await this.db.query<{ id: number; json: string }>(
        `SELECT id, json FROM ${s}.events_read WHERE pid = ANY($1) AND id > $2 ORDER BY id LIMIT 1000`,
        [pids, options.after],
      );
      return rows.rows.map((r) => storedRow(r) as { id: number; json: string });
    }
    const limit = options.tail === undefined ? '' : 'LIMIT $2';
    const rows = await this.db.query<{ id: number; json: string }>(
      `SELECT id, json FROM ${s}.events_read WHERE pid = ANY($1) ORDER BY id DESC ${limit}`,
      options.tail === undefined ? [pids] : [pids, options.tail],
    );
    return rows.rows.reverse().map((r) => storedRow(r) as { id: number; json: string });
  }

  /**
   * The last `tail` events of these pids on `node` (all of them without a tail), and a follow that
   * goes on from there — across an adoption too (`TreeFollow`). Read in one statement, so the count
   * of events up to the tail's last is of the same rows.
   */
  async eventsToFollow(
    node: string,
    root: number,
    pids: readonly number[],
    tail?: number,
  ): Promise<{ rows: Array<{ id: number; json: string }>; follow: TreeFollow }> {
    const s = q(nodeSchema(node));
    const limit = tail === undefined ? '' : 'LIMIT $2';
    const found = await this.db.query<{ id: number; json: string; upto: string }>(
      `WITH t AS (SELECT id, json FROM ${s}.events_read WHERE pid = ANY($1) ORDER BY id DESC ${limit})
       SELECT id, json, (SELECT count(*) FROM ${s}.events_read WHERE pid = ANY($1) AND id <= (SELECT MAX(id) FROM t)) AS upto FROM t ORDER BY id DESC`,
      tail === undefined ? [pids] : [pids, tail],
    );
    const rows = found.rows.reverse().map((r) => storedRow({ id: r.id, json: r.json }) as { id: number; json: string });
    const upto = Number(found.rows[0]?.upto ?? 0);
    return { rows, follow: new TreeFollow(this, node, root, rows.at(-1)?.id ?? 0, upto) };
  }

  /**
   * Events other nodes committed since the last call, per node, oldest first (at most 1000 a node a
   * call): `cursors` keeps each node's last id. A node seen for the first time starts at its newest
   * event (nothing of its past is returned).
   */
  async eventsSince(
    cursors: Map<string, number>,
  ): Promise<Array<{ node: string; rows: Array<{ id: number; pid: number; json: string }> }>> {
    const out: Array<{ node: string; rows: Array<{ id: number; pid: number; json: string }> }> = [];
    for (const node of await this.stores()) {
      const s = q(nodeSchema(node));
      const after = cursors.get(node);
      if (after === undefined) {
        const top = await this.db.query<{ id: string | null }>(`SELECT MAX(id) AS id FROM ${s}.events`);
        cursors.set(node, Number(top.rows[0]?.id ?? 0));
        continue;
      }
      const rows = await this.db.query<{ id: number; pid: number; json: string }>(
        `SELECT id, pid, json FROM ${s}.events_read WHERE id > $1 ORDER BY id LIMIT 1000`,
        [after],
      );
      if (rows.rows.length === 0) continue;
      const read = rows.rows.map(
        (r) =>
          storedRow({ id: Number(r.id), pid: Number(r.pid), json: r.json }) as {
            id: number;
            pid: number;
            json: string;
          },
      );
      cursors.set(node, read.at(-1)?.id ?? after);
      out.push({ node, rows: read });
    }
    return out;
  }

  /** How many of a process's events `node`'s store holds before event `id` (where a tree moved there, which of its history this is). */
  async eventOrdinal(node: string, pid: number, id: number): Promise<number> {
    const n = await this.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${q(nodeSchema(node))}.events WHERE pid = $1 AND id < $2`,
      [pid, id],
    );
    return Number(n.rows[0]?.n ?? 0);
  }

  /** These processes' states on other nodes, those found there. */
  async states(pids: readonly number[]): Promise<Map<number, { state: string; code: number | null }>> {
    const out = new Map<number, { state: string; code: number | null }>();
    if (pids.length === 0) return out;
    for (const node of await this.stores()) {
      const rows = await this.db.query<{ pid: number; state: string; exit_code: number | null }>(
        `SELECT pid, state, exit_code FROM ${q(nodeSchema(node))}.processes WHERE pid = ANY($1)`,
        [pids],
      );
      for (const r of rows.rows)
        out.set(Number(r.pid), { state: r.state, code: r.exit_code === null ? null : Number(r.exit_code) });
    }
    return out;
  }

  /** Whether `node`'s store has this process. */
  async has(node: string, pid: number): Promise<boolean> {
    const hit = await this.db.query(`SELECT 1 FROM ${q(nodeSchema(node))}.processes WHERE pid = $1 LIMIT 1`, [pid]);
    return (hit.rowCount ?? 0) > 0;
  }

  /** The node whose store holds this process now, this one included (a tree moves when its node dies). */
  async holderOf(pid: number): Promise<string | null> {
    if (await this.has(this.self, pid)) return this.self;
    return this.ownerOf(pid);
  }

  /** The id of the n-th event (from 1) of these pids on `node`, in order; 0 for the 0th. */
  async nthEventId(node: string, pids: readonly number[], n: number): Promise<number> {
    if (n <= 0) return 0;
    const row = await this.db.query<{ id: number }>(
      `SELECT id FROM ${q(nodeSchema(node))}.events_read WHERE pid = ANY($1) ORDER BY id OFFSET $2 LIMIT 1`,
      [pids, n - 1],
    );
    return Number(row.rows[0]?.id ?? 0);
  }
}

/**
 * `logs -f` of a process in another node's store, polled, wherever its tree goes: a tree adopted
 * from a dead node moves to the adopter's schema with its events renumbered (in their old order),
 * so a follow that finds the process gone from its node looks for it again (this node included)
 * and goes on after as many of its events as it has already seen there — no event shown twice, none
 * lost.
 */
export class TreeFollow {
  constructor(
    private readonly remote: RemoteNodes,
    private node: string,
    private readonly root: number,
    /** The last event id seen on `node`. */
    private after: number,
    /** How many events of the followed pids are at or before `after` (what the follow has seen, counted). */
    private seen: number,
  ) {}

  /** The node whose store it reads now. */
  get at(): string {
    return this.node;
  }

  /**
   * Events of the watched pids after the last seen, oldest first. `watched` grows only by children
   * whose first event comes after the last seen, so `seen` counts the same rows wherever they are.
   */
  async poll(watched: readonly number[]): Promise<Array<{ id: number; json: string }>> {
    for (let moves = 0; ; moves++) {
      const rows = await this.remote.events(this.node, watched, { after: this.after });
      if (rows.length > 0) {
        this.after = rows.at(-1)?.id ?? this.after;
        this.seen += rows.length;
        return rows;
      }
      if (moves > 0 || (await this.remote.has(this.node, this.root))) return [];
      const holder = await this.remote.holderOf(this.root);
      if (holder === null || holder === this.node) return [];
      this.after = await this.remote.nthEventId(holder, watched, this.seen);
      this.node = holder;
    }
  }
}
