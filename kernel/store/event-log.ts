/**
 * The event log in SQLite: ids in commit order (the cursor of every follower), the JSON made at the
 * commit (write-batch.ts), pages and search for the web view (event-pages.ts,
 * event-search.ts). One facet of the store (api.ts's EventLog).
 */
import type { KernelEvent } from '../../protocol/events.js';
import type { EventLog } from './api.js';
import { type EventRow, eventsAfter, eventsBefore, lastEventId, type UsageRow, usageRows } from './event-pages.js';
import { findEvents, indexAll, searchTree, type TreeSearch } from './event-search.js';
import type { StoredEvent } from './records.js';
import type { SqliteStore } from './sqlite.js';

type ResultEvent = Extract<KernelEvent, { type: 'result' }>;

export class SqliteEventLog implements EventLog {
  /** The store's queue of events: its JSON is made at the commit, off the path of the reply that emitted it. Bound: the kernel's event bus calls it as it is. */
  readonly add: (event: KernelEvent) => void;

  constructor(private readonly store: SqliteStore) {
    this.add = store.writeEvent;
  }

  async of(pids: readonly number[], tail?: number): Promise<KernelEvent[]> {
    return (await this.stored(pids, tail)).map((e) => e.event);
  }

  async stored(pids: readonly number[], tail?: number): Promise<StoredEvent[]> {
    if (pids.length === 0) return [];
    const marks = pids.map(() => '?').join(',');
    const sql = `SELECT id, json FROM events_read WHERE pid IN (${marks}) ORDER BY id DESC`;
    // No LIMIT -1 for "all": PostgreSQL refuses a negative limit.
    const rows = await (tail === undefined
      ? this.store.rows<EventRow>(sql, ...pids)
      : this.store.rows<EventRow>(`${sql} LIMIT ?`, ...pids, tail));
    return rows.reverse().map((r) => ({ id: r.id, json: r.json, event: JSON.parse(r.json) as KernelEvent }));
  }

  async recent(tail: number): Promise<KernelEvent[]> {
    const rows = await this.store.rows<{ json: string }>('SELECT json FROM events_read ORDER BY id DESC LIMIT ?', tail);
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
    const [row] = await this.store.rows<{ json: string }>(
      `SELECT json FROM events WHERE pid = ? AND substr(json, 1, 200) LIKE '%"type":"result"%' AND substr(json, 1, 200) LIKE ?
       AND substr(json, 1, 200) LIKE ? AND json_extract(json, '$.turn') = ? AND json_extract(json, '$.seq') = ? ORDER BY id DESC LIMIT 1`,
      pid,
      `%"turn":${turn},%`,
      `%"seq":${seq},%`,
      turn,
      seq,
    );
    const event = row ? (JSON.parse(row.json) as KernelEvent) : undefined;
    return event && isIt(event) ? event : undefined;
  }

  before(options: { pid: number | null; before: number | null; limit: number }): Promise<EventRow[]> {
    return eventsBefore(this.store, options);
  }

  after(after: number, limit: number): Promise<EventRow[]> {
    return eventsAfter(this.store, after, limit);
  }

  lastId(): Promise<number> {
    return lastEventId(this.store);
  }

  usage(scan: number): Promise<UsageRow[]> {
    return usageRows(this.store, scan);
  }

  async search(
    text: string,
    options: { pid: number | null; before: number | null; limit: number },
  ): Promise<EventRow[]> {
    return findEvents(this.store, text, options);
  }

  async searchTree(text: string, query: TreeSearch): Promise<EventRow[]> {
    return searchTree(this.store, text, query);
  }

  indexAll(chunk: number, stepMs?: number): Promise<void> {
    return indexAll(this.store, chunk, stepMs);
  }
}
