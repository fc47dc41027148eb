/**
 * A dead node's process trees taken over by a live node (issue 36: adoption). A tree's rows —
 * its processes (ended ones too: its history goes with it), transcripts, pending results, events,
 * messages and timers to it, webhook routes, journal, pending approvals, thread links and the
 * idempotency keys that started its processes — move
 * from the dead node's schema into this store's in ONE transaction, which commits only while:
 *
 * - this node holds its epoch (the store's guard, first in every transaction);
 * - the other node is still dead, and no other node is moving its trees: its row locked FOR UPDATE
 *   SKIP LOCKED (`check`), so one adopter at a time moves a dead node's trees, another skips it
 *   this round, and a restart of that node (whose join takes the row too) waits or wins;
 * - nobody else took the tree: its root's row is locked FOR UPDATE SKIP LOCKED, so two adopters
 *   never both move it, and one that finds it locked takes another.
 *
 * Ids the two stores each count (events, webhooks, the journal) are given new ones here, in their
 * old order. What a tree shares with its node (its threads' entries, units, channels) stays.
 */
import type { StoreMoves } from '../api.js';
import type { SqlDb } from '../sql.js';

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** Rows of a tree's processes, by the column naming the process. */
const BY_PID: ReadonlyArray<[table: string, column: string]> = [
  ['transcript', 'pid'],
  ['turn_results', 'pid'],
  ['messages', 'to_pid'],
  ['timers', 'pid'],
  ['approvals', 'pid'],
  ['thread_links', 'pid'],
];

/**
 * Rows keyed by something else, naming a process of the tree: its idempotency keys (a retry of the
 * request that started it, asked of the adopter, finds them). A key this node already has for the
 * same scope is this node's own work and stays; the moved one is dropped with its source.
 */
const KEYED: ReadonlyArray<[table: string, column: string]> = [['idempotency', 'pid']];

/** Tables whose ids this store counts itself: the moved rows get new ones after its highest, in their old order. */
const RENUMBERED: ReadonlyArray<[table: string, column: string]> = [
  ['events', 'pid'],
  ['webhooks', 'pid'],
  ['journal', 'pid'],
];

export interface MoveCheck {
  /** A statement that must find a row for the move to commit: the other node, still dead, locked for this move. */
  sql: string;
  params: unknown[];
}

export class PgMoves implements StoreMoves {
  private readonly columns = new Map<string, string[]>();

  constructor(
    private readonly db: SqlDb,
    private readonly schema: string,
    /** Commit what is queued first (the ids counted in memory are then the committed ones), and count on after the moved ones. */
    private readonly settle: { flush(): boolean; movedEvents(lastId: number): void },
  ) {}

  /** A table's columns here (not generated ones), in order: the same names are read from the other schema. */
  private columnsOf(table: string): string[] {
    let found = this.columns.get(table);
    if (!found) {
      const rows = this.db
        .prepare("SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? AND is_generated = 'NEVER' ORDER BY ordinal_position")
        .all(this.schema, table) as Array<{ column_name: string }>;
      found = rows.map((r) => quote(r.column_name));
      this.columns.set(table, found);
    }
    return found;
  }

  liveTrees(from: string): number[] {
    const rows = this.db
      .prepare(`SELECT DISTINCT tree FROM ${quote(from)}.processes WHERE state NOT IN ('exited', 'killed') ORDER BY tree`)
      .all() as Array<{ tree: number }>;
    return rows.map((r) => r.tree);
  }

  take(from: string, tree: number, check: MoveCheck): { pids: number[]; live: number } | null {
    if (!this.settle.flush()) return null;
    const src = quote(from);
    let moved: { pids: number[]; live: number } | null = null;
    try {
      this.db.transaction(() => {
        const still = this.db.prepare(check.sql).all(...check.params);
        if (still.length === 0) throw new MoveRefused('the node is no longer dead');
        // The root may have been removed (aos rm of an ended root); any row of the tree is its lock then.
        const lock = this.db.prepare(`SELECT pid FROM ${src}.processes WHERE tree = ? ORDER BY pid LIMIT 1 FOR UPDATE SKIP LOCKED`).all(tree);
        if (lock.length === 0) throw new MoveRefused('another node took the tree');
        const rows = this.db.prepare(`SELECT pid, state FROM ${src}.processes WHERE tree = ? ORDER BY pid`).all(tree) as Array<{ pid: number; state: string }>;
        const pids = rows.map((r) => r.pid);
        const list = JSON.stringify(pids);
        const inList = (column: string): string => `${column} IN (SELECT value::bigint FROM json_array_elements_text(?::json) AS v(value))`;
        const cols = this.columnsOf('processes').join(', ');
        this.db.prepare(`INSERT INTO processes (${cols}) SELECT ${cols} FROM ${src}.processes WHERE tree = ?`).run(tree);
        for (const [table, column] of BY_PID) {
          const c = this.columnsOf(table).join(', ');
          // No ON CONFLICT: a row that cannot move fails the move (retried, and said), never dropped with its source.
          this.db.prepare(`INSERT INTO ${table} (${c}) SELECT ${c} FROM ${src}.${table} WHERE ${inList(column)}`).run(list);
        }
        for (const [table, column] of KEYED) {
          const c = this.columnsOf(table).join(', ');
          this.db.prepare(`INSERT INTO ${table} (${c}) SELECT ${c} FROM ${src}.${table} WHERE ${inList(column)} ON CONFLICT DO NOTHING`).run(list);
        }
        for (const [table, column] of RENUMBERED) {
          const rest = this.columnsOf(table).filter((c) => c !== '"id"');
          const c = rest.join(', ');
          this.db
            .prepare(
              `INSERT INTO ${table} (id, ${c}) SELECT (SELECT COALESCE(MAX(id), 0) FROM ${table}) + row_number() OVER (ORDER BY id), ${c}
               FROM ${src}.${table} WHERE ${inList(column)}`,
            )
            .run(list);
        }
        // The journal's own inserts take ids from its identity: after the moved ones.
        this.db.prepare("SELECT setval(pg_get_serial_sequence('journal', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM journal), 1))").get();
        for (const [table, column] of [...BY_PID, ...KEYED, ...RENUMBERED, ['processes', 'pid'] as const]) {
          this.db.prepare(`DELETE FROM ${src}.${table} WHERE ${inList(column)}`).run(list);
        }
        moved = { pids, live: rows.filter((r) => r.state !== 'exited' && r.state !== 'killed').length };
      })();
    } catch (error) {
      if (error instanceof MoveRefused) return null;
      throw error;
    } finally {
      // Whatever became of the move (a commit whose answer was lost may have landed), new events count on after every id here.
      try {
        this.settle.movedEvents((this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM events').get() as { id: number }).id);
      } catch {
        // Read again at the next move; the store's retry of a clashing event fails it alone, never silently.
      }
    }
    return moved;
  }
}

class MoveRefused extends Error {}
