/**
 * Version 3: full-text search over events (SQLite FTS5, bundled in better-sqlite3). The index is
 * contentless and filled on demand (event-search.ts), so writing an event costs nothing more;
 * removing events (rm, prune, retention) removes their index entries by trigger.
 */
export function searchSchema(): string {
  return `
CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(body, content='', contentless_delete=1);
CREATE TRIGGER IF NOT EXISTS events_fts_delete AFTER DELETE ON events BEGIN
  DELETE FROM events_fts WHERE rowid = old.id;
END;
`;
}
