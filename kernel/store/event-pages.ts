/**
 * Events by id range, for the web view: pages of history (newest first, keyed by the store's event
 * ids so a page never shifts as events arrive) and the events after an id (a stream's resume).
 */
import type { SqlDb, SqlStatement } from './sql.js';
import type { SqliteStore } from './sqlite.js';

/** An event as stored: its id and its JSON, unparsed (the view sends it on as it is). */
export interface EventRow {
  id: number;
  json: string;
}

const cache = new WeakMap<SqlDb, Map<string, SqlStatement>>();

/** A statement prepared once per connection. */
export function prepared(db: SqlDb, sql: string): SqlStatement {
  let statements = cache.get(db);
  if (!statements) cache.set(db, (statements = new Map()));
  let statement = statements.get(sql);
  if (!statement) statements.set(sql, (statement = db.prepare(sql)));
  return statement;
}

/** Up to `limit` events older than `before` (all of them when null), of one process or of all, newest first. */
export function eventsBefore(
  store: SqliteStore,
  options: { pid: number | null; before: number | null; limit: number },
): Promise<EventRow[]> {
  const before = options.before ?? Number.MAX_SAFE_INTEGER;
  return options.pid === null
    ? store.rows('SELECT id, json FROM events_read WHERE id < ? ORDER BY id DESC LIMIT ?', before, options.limit)
    : store.rows(
        'SELECT id, json FROM events_read WHERE pid = ? AND id < ? ORDER BY id DESC LIMIT ?',
        options.pid,
        before,
        options.limit,
      );
}

/** Up to `limit` events after `after`, oldest first. */
export function eventsAfter(store: SqliteStore, after: number, limit: number): Promise<EventRow[]> {
  return store.rows('SELECT id, json FROM events_read WHERE id > ? ORDER BY id LIMIT ?', after, limit);
}

/** The newest committed event's id (0 for none). */
export async function lastEventId(store: SqliteStore): Promise<number> {
  const [row] = await store.rows<{ id: number }>('SELECT COALESCE(MAX(id), 0) AS id FROM events');
  return Number(row?.id ?? 0);
}

/** A model reply's usage, with the process's model (to price it). */
export interface UsageRow {
  id: number;
  pid: number;
  ts: string;
  model: string;
  prompt: number;
  output: number;
  cached: number;
}

/** Usage of the model replies among the newest `scan` events, oldest first. */
export function usageRows(store: SqliteStore, scan: number): Promise<UsageRow[]> {
  const sql = `SELECT e.id AS id, e.pid AS pid, json_extract(e.json, '$.ts') AS ts, p.model AS model,
      COALESCE(json_extract(e.json, '$.usage.prompt'), 0) AS prompt, COALESCE(json_extract(e.json, '$.usage.output'), 0) AS output,
      COALESCE(json_extract(e.json, '$.usage.cached'), 0) AS cached
    FROM (SELECT id, pid, json FROM events ORDER BY id DESC LIMIT ?) e JOIN processes p ON p.pid = e.pid
    WHERE substr(e.json, 1, 80) LIKE '%"type":"model"%' ORDER BY e.id`;
  return store.rows(sql, scan);
}
