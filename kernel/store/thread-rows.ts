/**
 * Context threads in the store (issue 33): a row per thread (its counts and rolling summary), its
 * append-only entries, full-text indexed as they are written (thread_fts, kept by triggers), and
 * which processes attached, opened or wrote to each (thread_links, for `aos inspect` and for
 * HISTORY_SEARCH's "its threads"). An entry's `seq` is its number in its thread, from 1.
 */
import type { SqlStatement as Statement } from './sql.js';
import type { SqliteStore } from './sqlite.js';
import type { AwaitedReads } from './awaited.js';

export type ThreadEntryKind = 'note' | 'message' | 'decision' | 'result';
export type ThreadLinkHow = 'attached' | 'opened' | 'wrote';

export interface ThreadRecord {
  key: string;
  created_at: number;
  /** The pid that created it (0: a person, through the CLI). */
  created_by: number;
  /** Entries appended over its life, and the newest one's seq and time. */
  entries: number;
  last_seq: number;
  last_at: number;
  /** The rolling summary; entries seq ≤ summary_through are covered by it (0: no summary yet). */
  summary: string;
  summary_through: number;
  summary_at: number | null;
  /** Characters of the entries the summary does not cover yet (what brings it up to date). */
  pending_chars: number;
  /** Entries seq ≤ this were dropped by retention (their gist is in the summary). */
  dropped_through: number;
  /** 1 once the summary folded in outside content (a channel's message, a tainted writer's entry): it is framed for its readers. */
  summary_outside: number;
}

export interface ThreadEntryRecord {
  key: string;
  seq: number;
  ts: number;
  pid: number;
  unit: string | null;
  kind: ThreadEntryKind;
  text: string;
}

export interface ThreadEntryQuery {
  /** Entries after this seq (exclusive), oldest first; else the newest `limit`, oldest first. */
  afterSeq?: number;
  /** Entries written at or after this time (ms). */
  sinceTs?: number;
  /** Words that must all be in the entry's text (FTS5), newest first. */
  match?: string;
  limit: number;
}

export const THREADS_SCHEMA = `
CREATE TABLE IF NOT EXISTS threads (
  key TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  created_by INTEGER NOT NULL,
  entries INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  last_at INTEGER NOT NULL,
  summary TEXT NOT NULL,
  summary_through INTEGER NOT NULL,
  summary_at INTEGER,
  pending_chars INTEGER NOT NULL,
  dropped_through INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS thread_entries (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  seq INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  pid INTEGER NOT NULL,
  unit TEXT,
  kind TEXT NOT NULL,
  text TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS thread_entries_key ON thread_entries (key, seq);
CREATE VIRTUAL TABLE IF NOT EXISTS thread_fts USING fts5(text, content='thread_entries', content_rowid='id');
CREATE TRIGGER IF NOT EXISTS thread_fts_insert AFTER INSERT ON thread_entries BEGIN
  INSERT INTO thread_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS thread_fts_delete AFTER DELETE ON thread_entries BEGIN
  INSERT INTO thread_fts (thread_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TABLE IF NOT EXISTS thread_links (
  key TEXT NOT NULL,
  pid INTEGER NOT NULL,
  how TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (pid, key, how)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS thread_links_key ON thread_links (key);
CREATE INDEX IF NOT EXISTS processes_tree ON processes (tree);
`;

const ENTRY_COLUMNS = 'key, seq, ts, pid, unit, kind, text';
const BY_KEY = 'SELECT pid, how FROM thread_links WHERE key = ? ORDER BY pid, how';
const LINKS =
  'SELECT key, pid, how FROM thread_links WHERE pid IN (SELECT value FROM json_each(?)) ORDER BY pid, key, how';

export class SqliteThreads {
  private readonly upsert: Statement;
  private readonly insert: Statement;
  private readonly linkRow: Statement;

  constructor(private readonly store: SqliteStore) {
    const db = store.sql;
    this.upsert = db.prepare(
      `INSERT OR REPLACE INTO threads (key, created_at, created_by, entries, last_seq, last_at, summary, summary_through, summary_at, pending_chars, dropped_through, summary_outside)
       VALUES (@key, @created_at, @created_by, @entries, @last_seq, @last_at, @summary, @summary_through, @summary_at, @pending_chars, @dropped_through, @summary_outside)`,
    );
    this.insert = db.prepare(
      `INSERT INTO thread_entries (${ENTRY_COLUMNS}) VALUES (@key, @seq, @ts, @pid, @unit, @kind, @text)`,
    );
    this.linkRow = db.prepare('INSERT OR IGNORE INTO thread_links (key, pid, how, at) VALUES (?, ?, ?, ?)');
  }

  // Start-up (the kernel reads its state back before it serves anyone): read at once, on PostgreSQL too.
  async all(): Promise<ThreadRecord[]> {
    return this.store.query((db) => db.prepare('SELECT * FROM threads').all() as ThreadRecord[]);
  }

  /** The thread's row as it is now (built at the commit: a thread appended to many times in a tick is written once). */
  put(build: () => ThreadRecord | null): void {
    this.store.write(null, () => {
      const row = build();
      if (row) this.upsert.run(row);
    });
  }

  append(entry: ThreadEntryRecord): void {
    this.store.write(entry.pid || null, () => this.insert.run(entry));
  }

  /** Read awaited (store.rows): on PostgreSQL the kernel's thread goes on while the database answers. */
  async entries(key: string, q: ThreadEntryQuery): Promise<ThreadEntryRecord[]> {
    const since = q.sinceTs ?? 0;
    if (q.match !== undefined)
      return this.store.rows<ThreadEntryRecord>(
        `SELECT ${ENTRY_COLUMNS.split(', ')
          .map((c) => `e.${c}`)
          .join(', ')} FROM thread_fts f JOIN thread_entries e ON e.id = f.rowid
             WHERE thread_fts MATCH ? AND e.key = ? AND e.seq > ? AND e.ts >= ? ORDER BY e.seq DESC LIMIT ?`,
        q.match,
        key,
        q.afterSeq ?? 0,
        since,
        q.limit,
      );
    if (q.afterSeq !== undefined)
      return this.store.rows<ThreadEntryRecord>(
        `SELECT ${ENTRY_COLUMNS} FROM thread_entries WHERE key = ? AND seq > ? AND ts >= ? ORDER BY seq LIMIT ?`,
        key,
        q.afterSeq,
        since,
        q.limit,
      );
    const newest = await this.store.rows<ThreadEntryRecord>(
      `SELECT ${ENTRY_COLUMNS} FROM thread_entries WHERE key = ? AND ts >= ? ORDER BY seq DESC LIMIT ?`,
      key,
      since,
      q.limit,
    );
    return newest.reverse();
  }

  /** Entries of any of `keys` whose text holds every word of `match` (FTS5), newest first. */
  async search(
    keys: readonly string[],
    match: string,
    options: { sinceTs: number; limit: number },
  ): Promise<ThreadEntryRecord[]> {
    if (keys.length === 0) return [];
    return this.store.rows<ThreadEntryRecord>(
      `SELECT ${ENTRY_COLUMNS.split(', ')
        .map((c) => `e.${c}`)
        .join(', ')} FROM thread_fts f JOIN thread_entries e ON e.id = f.rowid
             WHERE thread_fts MATCH ? AND e.key IN (SELECT value FROM json_each(?)) AND e.ts >= ? ORDER BY e.id DESC LIMIT ?`,
      match,
      JSON.stringify(keys),
      options.sinceTs,
      options.limit,
    );
  }

  /** Drop the entries seq ≤ `throughSeq` (retention: the summary covers them). */
  trim(key: string, throughSeq: number): void {
    this.store.write(null, () =>
      this.store.sql.prepare('DELETE FROM thread_entries WHERE key = ? AND seq <= ?').run(key, throughSeq),
    );
  }

  remove(key: string): void {
    this.store.write(null, () => {
      this.store.sql.prepare('DELETE FROM thread_entries WHERE key = ?').run(key);
      this.store.sql.prepare('DELETE FROM thread_links WHERE key = ?').run(key);
      this.store.sql.prepare('DELETE FROM threads WHERE key = ?').run(key);
    });
  }

  link(key: string, pid: number, how: ThreadLinkHow): void {
    this.store.write(pid, () => this.linkRow.run(key, pid, how, Date.now()));
  }

  /** The processes that attached, opened or wrote to a thread; at once (on PostgreSQL the kernel's thread waits). */
  byKey(key: string): Array<{ pid: number; how: ThreadLinkHow }> {
    return this.store.sql.prepare(BY_KEY).all(key) as Array<{ pid: number; how: ThreadLinkHow }>;
  }

  /** The threads these processes attached, opened or wrote to; at once (on PostgreSQL the kernel's thread waits). */
  links(pids: readonly number[]): Array<{ key: string; pid: number; how: ThreadLinkHow }> {
    if (pids.length === 0) return [];
    return this.store.sql.prepare(LINKS).all(JSON.stringify(pids)) as Array<{
      key: string;
      pid: number;
      how: ThreadLinkHow;
    }>;
  }

  /** `byKey` and `links` awaited, behind the writes queued before the call. */
  readonly awaited: AwaitedReads<SqliteThreads, 'byKey' | 'links'> = {
    byKey: async (key) => (await this.store.flushed(), this.store.rows(BY_KEY, key)),
    links: async (pids) => {
      if (pids.length === 0) return [];
      await this.store.flushed();
      return this.store.rows(LINKS, JSON.stringify(pids));
    },
  };
}
