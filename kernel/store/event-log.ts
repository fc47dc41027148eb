/**
 * The event log in SQLite: ids in commit order (the cursor of every follower), the JSON made at the
 * commit (write-batch.ts), pages and search for the web view (event-pages.ts,
 * event-search.ts). One facet of the store (api.ts's EventLog).
 */
import type { KernelEvent } from '../../protocol/events.js';
import type { EventLog } from './api.js';
import {
  type EventRow,
  eventsAfter,
  eventsBefore,
  lastEventId,
  prepared,
  type UsageRow,
  usageRows,
} from './event-pages.js';
import { indexAll, searchEvents, searchTree, type TreeSearch } from './event-search.js';
import type { StoredEvent } from './records.js';
import type { SqliteStore } from './sqlite.js';

type ResultEvent = Extract<KernelEvent, { type: 'result' }>;

export class SqliteEventLog implements EventLog {
  /** The store's queue of events: its JSON is made at the commit, off the path of the reply that emitted it. Bound: the kernel's event bus calls it as it is. */
  readonly add: (event: KernelEvent) => void;

  constructor(private readonly store: SqliteStore) {
    this.add = store.writeEvent;
  }

  of(pids: readonly number[], tail?: number): KernelEvent[] {
    return this.stored(pids, tail).map((e) => e.event);
  }

  stored(pids: readonly number[], tail?: number): StoredEvent[] {
    if (pids.length === 0) return [];
    const marks = pids.map(() => '?').join(',');
    // No LIMIT -1 for "all": PostgreSQL refuses a negative limit.
    const rows = this.store.query((db) =>
      tail === undefined
        ? (db
            .prepare(`SELECT id, json FROM events_read WHERE pid IN (${marks}) ORDER BY id DESC`)
            .all(...pids) as EventRow[])
        : (db
            .prepare(`SELECT id, json FROM events_read WHERE pid IN (${marks}) ORDER BY id DESC LIMIT ?`)
            .all(...pids, tail) as EventRow[]),
    );
    return rows.reverse().map((r) => ({ id: r.id, json: r.json, event: JSON.parse(r.json) as KernelEvent }));
  }

  recent(tail: number): KernelEvent[] {
    const rows = this.store.query(
      (db) =>
        prepared(db, 'SELECT json FROM events_read ORDER BY id DESC LIMIT ?').all(tail) as Array<{ json: string }>,
    );
    return rows.reverse().map((r) => JSON.parse(r.json) as KernelEvent);
  }

  /**
   * The whole result, as the syscall returned it. Only the head of each row (`{"ts":…,"type":
   * "result","pid":P,"turn":T,"seq":S,…`) is matched as text, never the large results after it;
   * json_extract confirms.
   */
  async result(pid: number, turn: number, seq: number): Promise<ResultEvent | undefined> {
    const isIt = (e: KernelEvent): e is ResultEvent =>
      e.type === 'result' && e.pid === pid && e.turn === turn && e.seq === seq;
    const queued = this.store.queuedEvents;
    for (let i = queued.length - 1; i >= 0; i--) {
      const event = queued[i]?.event;
      if (event && isIt(event)) return event;
    }
    const row = this.store.query(
      (db) =>
        prepared(
          db,
          `SELECT json FROM events WHERE pid = ? AND substr(json, 1, 200) LIKE '%"type":"result"%' AND substr(json, 1, 200) LIKE ?
           AND substr(json, 1, 200) LIKE ? AND json_extract(json, '$.turn') = ? AND json_extract(json, '$.seq') = ? ORDER BY id DESC LIMIT 1`,
        ).get(pid, `%"turn":${turn},%`, `%"seq":${seq},%`, turn, seq) as { json: string } | undefined,
    );
    const event = row ? (JSON.parse(row.json) as KernelEvent) : undefined;
    return event && isIt(event) ? event : undefined;
  }

  async before(options: { pid: number | null; before: number | null; limit: number }): Promise<EventRow[]> {
    return eventsBefore(this.store, options);
  }

  after(after: number, limit: number): EventRow[] {
    return eventsAfter(this.store, after, limit);
  }

  lastId(): number {
    return lastEventId(this.store);
  }

  async usage(scan: number): Promise<UsageRow[]> {
    return usageRows(this.store, scan);
  }

  async search(
    text: string,
    options: { pid: number | null; before: number | null; limit: number },
  ): Promise<EventRow[]> {
    return searchEvents(this.store, text, options);
  }

  async searchTree(text: string, query: TreeSearch): Promise<EventRow[]> {
    return searchTree(this.store, text, query);
  }

  indexAll(chunk: number, stepMs?: number): Promise<void> {
    return indexAll(this.store, chunk, stepMs);
  }
}
