/**
 * Transcripts in SQLite, and the results of a pending turn's calls (a restart resumes mid-turn
 * with them). One facet of the store (api.ts's TranscriptRows).
 */
import type { TranscriptRows } from './api.js';
import { prepared } from './event-pages.js';
import type { SqliteStore } from './sqlite.js';

type Row = { role: 'user' | 'model'; text: string; seq: number };

export class SqliteTranscripts implements TranscriptRows {
  constructor(private readonly store: SqliteStore) {}

  put(pid: number, seq: number, role: string, text: string): void {
    this.store.write(pid, () => this.store.stmt.putTranscript.run(pid, seq, role, text));
  }

  async load(pid: number, fromSeq = 0): Promise<Row[]> {
    return this.store.query((db) => prepared(db, 'SELECT role, text, seq FROM transcript WHERE pid = ? AND seq >= ? ORDER BY seq').all(pid, fromSeq) as Row[]);
  }

  async row(pid: number, seq: number): Promise<string | undefined> {
    const row = this.store.query((db) => prepared(db, 'SELECT text FROM transcript WHERE pid = ? AND seq = ?').get(pid, seq) as { text: string } | undefined);
    return row?.text;
  }

  length(pid: number): number {
    return this.store.query((db) => (prepared(db, 'SELECT COUNT(*) AS n FROM transcript WHERE pid = ?').get(pid) as { n: number }).n);
  }

  /** The result line of call `seq` of a process's pending turn. */
  putResult(pid: number, seq: number, line: string): void {
    this.store.write(pid, () => this.store.stmt.putTurnResult.run(pid, seq, line));
  }

  clearResults(pid: number): void {
    this.store.write(pid, () => this.store.stmt.clearTurnResults.run(pid));
  }

  async results(pid: number): Promise<string[]> {
    const rows = this.store.query((db) => prepared(db, 'SELECT line FROM turn_results WHERE pid = ? ORDER BY seq').all(pid) as Array<{ line: string }>);
    return rows.map((r) => r.line);
  }
}
