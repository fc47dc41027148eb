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
 * The move runs on a connection of its own, awaited: the kernel's thread goes on with its turns,
 * its clients and its heartbeat meanwhile (a tree of 100,000 events took 1.8 s to move, which the
 * kernel's thread stood still for when the move ran on the store's synchronous connection: a
 * tree some times larger would have had the adopter itself declared dead, and outrun the store's
 * statement timeout). Nothing the kernel commits meanwhile touches the tree (its processes are not
 * here yet); the ids the two stores each count are given to the moved rows from ranges reserved
 * here first (events, webhooks) or from the table's own sequence (the journal), in their old order.
 * What a tree shares with its node (its threads' entries, units, channels) stays.
 */
import type { SqlDb } from '../sql.js';
import type { PgSession, PostgresStoreOptions, StoreMoves } from './options.js';

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

/** Tables whose ids this node counts in memory: the moved rows get ids from a range reserved first, in their old order. */
const RESERVED = ['events', 'webhooks'] as const;

export interface MoveCheck {
  /** A statement that must find a row for the move to commit: the other node, still dead, locked for this move. */
  sql: string;
  params: unknown[];
}

/** Where a move takes the ids this node counts in memory: the first of `count` new ones. */
export interface IdRanges {
  events(count: number): number;
  webhooks(count: number): number;
}

export class PgMoves implements StoreMoves {
  private readonly columns = new Map<string, string[]>();

  constructor(
    private readonly options: PostgresStoreOptions,
    /** The store's event ids: the first of `count` new ones, which it counts on after. */
    private readonly store: { reserveEvents(count: number): number },
    /** The store's own connection (synchronous: nothing of the kernel's runs in between). */
    private readonly db: SqlDb,
  ) {}

  /** A session for one move: the store's schema first, endable by a fence (the store's application_name). */
  private async connect(): Promise<PgSession> {
    if (!this.options.session)
      throw new Error('this store cannot move trees: it was opened without a session of its own');
    return this.options.session();
  }

  /** A table's columns here (not generated ones), in order: the same names are read from the other schema. */
  private async columnsOf(client: PgSession, table: string): Promise<string[]> {
    let found = this.columns.get(table);
    if (!found) {
      const rows = await client.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND is_generated = 'NEVER' ORDER BY ordinal_position",
        [this.options.schema, table],
      );
      found = rows.rows.map((r) => quote(String(r.column_name)));
      this.columns.set(table, found);
    }
    return found;
  }

  async liveTrees(from: string): Promise<number[]> {
    const client = await this.connect();
    try {
      const rows = await client.query(
        `SELECT DISTINCT tree FROM ${quote(from)}.processes WHERE state NOT IN ('exited', 'killed') ORDER BY tree`,
      );
      return rows.rows.map((r) => Number(r.tree));
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async take(
    from: string,
    tree: number,
    check: MoveCheck,
    reserve: { webhooks(count: number): number },
  ): Promise<{ pids: number[]; live: number } | null> {
    let firstEvent: number | null = null;
    const ids: IdRanges = {
      events: (count) => (firstEvent = this.store.reserveEvents(count)),
      webhooks: (count) => reserve.webhooks(count),
    };
    const client = await this.connect();
    const src = quote(from);
    let taken: { pids: number[]; live: number } | null = null;
    try {
      await client.query('BEGIN');
      const guard = this.options.guard;
      if (guard) {
        const held = await client.query(guard.sql, guard.params as unknown[]);
        if (held.rows.length === 0)
          throw Object.assign(new Error(guard.mustTouch?.message ?? 'this node no longer holds its epoch'), {
            code: guard.mustTouch?.code,
          });
      }
      const still = await client.query(check.sql, check.params);
      if (still.rows.length === 0) return await rollback(client, null);
      // The root may have been removed (aos rm of an ended root); any row of the tree is its lock then.
      const lock = await client.query(
        `SELECT pid FROM ${src}.processes WHERE tree = $1 ORDER BY pid LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [tree],
      );
      if (lock.rows.length === 0) return await rollback(client, null);
      const rows = (await client.query(`SELECT pid, state FROM ${src}.processes WHERE tree = $1 ORDER BY pid`, [tree]))
        .rows as Array<{ pid: unknown; state: string }>;
      const pids = rows.map((r) => Number(r.pid));
      const list = JSON.stringify(pids);
      const inList = (column: string): string =>
        `${column} IN (SELECT value::bigint FROM json_array_elements_text($1::json) AS v(value))`;
      const cols = (await this.columnsOf(client, 'processes')).join(', ');
      await client.query(`INSERT INTO processes (${cols}) SELECT ${cols} FROM ${src}.processes WHERE tree = $1`, [
        tree,
      ]);
      for (const [table, column] of BY_PID) {
        const c = (await this.columnsOf(client, table)).join(', ');
        // No ON CONFLICT: a row that cannot move fails the move (retried, and said), never dropped with its source.
        await client.query(`INSERT INTO ${table} (${c}) SELECT ${c} FROM ${src}.${table} WHERE ${inList(column)}`, [
          list,
        ]);
      }
      for (const [table, column] of KEYED) {
        const c = (await this.columnsOf(client, table)).join(', ');
        await client.query(
          `INSERT INTO ${table} (${c}) SELECT ${c} FROM ${src}.${table} WHERE ${inList(column)} ON CONFLICT DO NOTHING`,
          [list],
        );
      }
      for (const table of RESERVED) {
        const count = Number(
          (await client.query(`SELECT count(*) AS n FROM ${src}.${table} WHERE ${inList('pid')}`, [list])).rows[0]?.n ??
            0,
        );
        if (count === 0) continue;
        // Ids no row here has or will be given: the node counts on after them.
        const first = ids[table](count);
        const c = (await this.columnsOf(client, table)).filter((name) => name !== '"id"').join(', ');
        await client.query(
          `INSERT INTO ${table} (id, ${c}) SELECT $2::bigint - 1 + row_number() OVER (ORDER BY id), ${c} FROM ${src}.${table} WHERE ${inList('pid')}`,
          [list, first],
        );
      }
      // The journal's ids come from its own sequence, in the rows' old order (each nextval after the last).
      const jc = (await this.columnsOf(client, 'journal')).filter((name) => name !== '"id"').join(', ');
      await client.query(
        `INSERT INTO journal (id, ${jc}) SELECT nextval(pg_get_serial_sequence('journal', 'id')), ${jc}
         FROM (SELECT ${jc} FROM ${src}.journal WHERE ${inList('pid')} ORDER BY id) AS moved`,
        [list],
      );
      for (const [table, column] of [
        ...BY_PID,
        ...KEYED,
        ['events', 'pid'],
        ['webhooks', 'pid'],
        ['journal', 'pid'],
        ['processes', 'pid'],
      ] as const) {
        await client.query(`DELETE FROM ${src}.${table} WHERE ${inList(column)}`, [list]);
      }
      taken = { pids, live: rows.filter((r) => r.state !== 'exited' && r.state !== 'killed').length };
      await client.query('COMMIT');
      this.reindexFrom(firstEvent);
      return taken;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      // A COMMIT whose answer was lost with its connection may have landed: the tree's rows here say so.
      if (taken && (await this.landed(taken.pids[0] as number).catch(() => false))) {
        this.reindexFrom(firstEvent);
        return taken;
      }
      throw error;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * The search index is filled in id order up to its newest entry (event-search.ts): a search made
   * while the tree moved may have indexed events after the moved ones, and would never go back for
   * them. Whatever it indexed from the first moved id on is dropped, to be indexed again, with them.
   */
  private reindexFrom(first: number | null): void {
    if (first === null) return;
    try {
      this.db.prepare('DELETE FROM events_fts WHERE id >= ?').run(first);
    } catch {
      // The store is failing (its own retries say so); the moved events are then found by no search until it is reindexed.
    }
  }

  /** Whether a process's row is in this store (a move that failed at its COMMIT may have landed). */
  private async landed(pid: number): Promise<boolean> {
    const client = await this.connect();
    try {
      return (await client.query('SELECT 1 FROM processes WHERE pid = $1', [pid])).rows.length > 0;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

async function rollback<T>(client: PgSession, value: T): Promise<T> {
  await client.query('ROLLBACK');
  return value;
}
