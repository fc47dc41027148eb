/**
 * Full-text search over events (FTS5, schema-search.ts). The index is brought up to date in chunks
 * when someone searches, so an aos nobody searches pays nothing for it.
 */
import { type EventRow, prepared } from './event-pages.js';
import type { SqliteStore } from './sqlite.js';

/** Words a query may hold; the rest are ignored. */
const MAX_QUERY_WORDS = 16;

/** The newest indexed event id (the index is filled in id order). */
function indexedUpTo(store: SqliteStore): number {
  return store.query(
    (db) =>
      (
        prepared(db, 'SELECT rowid AS id FROM events_fts ORDER BY rowid DESC LIMIT 1').get() as
          { id: number } | undefined
      )?.id ?? 0,
  );
}

/** Index up to `chunk` events not indexed yet; true when some remain. */
export function indexSome(store: SqliteStore, chunk: number): boolean {
  const from = indexedUpTo(store);
  const added = store.query(
    (db) =>
      prepared(
        db,
        'INSERT INTO events_fts (rowid, body) SELECT id, json FROM events_read WHERE id > ? ORDER BY id LIMIT ?',
      ).run(from, chunk).changes,
  );
  return added === chunk;
}

/**
 * Index every event not indexed yet, a chunk per turn of the event loop (the kernel's work goes
 * between). With `stepMs`, the chunk adapts so that one step takes about that long whatever the
 * events weigh: halved after a slower step, doubled after a much quicker one, up to `chunk`.
 */
export async function indexAll(store: SqliteStore, chunk: number, stepMs?: number): Promise<void> {
  let n = stepMs === undefined ? chunk : Math.min(chunk, 16);
  for (;;) {
    const started = performance.now();
    if (!indexSome(store, n)) return;
    if (stepMs !== undefined) {
      const took = performance.now() - started;
      n = took > stepMs ? Math.max(1, n >> 1) : took < stepMs / 4 ? Math.min(chunk, n * 2) : n;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * A user's (or a model's) words as an FTS5 query: each word quoted (no operator syntax), all
 * required, the last one a prefix. Control characters are no part of a word (FTS5 refuses a NUL).
 */
export function toMatch(text: string): string | null {
  const words = text
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, MAX_QUERY_WORDS);
  if (words.length === 0) return null;
  return words.map((w, i) => `"${w.replaceAll('"', '""')}"${i === words.length - 1 ? '*' : ''}`).join(' ');
}

type Search = { pid: number | null; before: number | null; limit: number };

/** The statement and its values of a search (null: no word to look for). */
function searchQuery(text: string, options: Search): { sql: string; args: unknown[] } | null {
  const match = toMatch(text);
  if (match === null) return null;
  const before = options.before ?? Number.MAX_SAFE_INTEGER;
  const base = `SELECT e.id AS id, e.json AS json FROM events_fts f JOIN events_read e ON e.id = f.rowid
    WHERE events_fts MATCH ? AND f.rowid < ?`;
  return options.pid === null
    ? { sql: `${base} ORDER BY f.rowid DESC LIMIT ?`, args: [match, before, options.limit] }
    : { sql: `${base} AND e.pid = ? ORDER BY f.rowid DESC LIMIT ?`, args: [match, before, options.pid, options.limit] };
}

/** Events matching `text`, newest first, older than `before`, of one process or of all; at once. */
export function searchEvents(store: SqliteStore, text: string, options: Search): EventRow[] {
  const q = searchQuery(text, options);
  return q === null ? [] : store.query((db) => prepared(db, q.sql).all(...q.args) as EventRow[]);
}

/** `searchEvents` awaited (the web view's search): on PostgreSQL the kernel's thread goes on while the database answers. */
export async function findEvents(store: SqliteStore, text: string, options: Search): Promise<EventRow[]> {
  const q = searchQuery(text, options);
  return q === null ? [] : store.rows<EventRow>(q.sql, ...q.args);
}

export interface TreeSearch {
  /** The processes whose events are searched (the caller's, of its tree, that it may read). */
  pids: readonly number[];
  /** Events at or after this ISO time. */
  since: string | null;
  types: readonly string[];
  limit: number;
}

/** Events of these processes matching `text`, of the given types, newest first (HISTORY_SEARCH). */
export async function searchTree(store: SqliteStore, text: string, q: TreeSearch): Promise<EventRow[]> {
  const match = toMatch(text);
  if (match === null || q.pids.length === 0) return [];
  const sql = `SELECT e.id AS id, e.json AS json FROM events_fts f JOIN events_read e ON e.id = f.rowid
    WHERE events_fts MATCH ? AND e.pid IN (SELECT value FROM json_each(?))
    AND json_extract(e.json, '$.type') IN (SELECT value FROM json_each(?)) AND json_extract(e.json, '$.ts') >= ?
    ORDER BY f.rowid DESC LIMIT ?`;
  const args = [match, JSON.stringify(q.pids), JSON.stringify(q.types), q.since ?? '', q.limit];
  return store.rows<EventRow>(sql, ...args);
}
