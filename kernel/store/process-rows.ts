/**
 * A process's rows in SQLite, two facets of the store (api.ts's ProcessRows and TranscriptRows).
 * Its row of the processes table is written whole at the commit (the row builder runs then, so a
 * process saved many times in a tick is written once), read back at start-up and for ended
 * processes. Its transcript is appended to as it goes, with the results of a pending turn's calls
 * (a restart resumes mid-turn with them).
 */
import type { ProcessRows, TranscriptRows } from './api.js';
import { prepared } from './event-pages.js';
import { PS_COLUMNS, type PsColumns } from './ps-rows.js';
import { type ProcessRecord, type ProcessSummary, SUMMARY_COLUMNS } from './records.js';
import type { SqliteStore } from './sqlite.js';

const BY_PID = 'SELECT * FROM processes WHERE pid = ?';
const SUBTREE =
  'WITH RECURSIVE t(pid) AS (SELECT pid FROM processes WHERE pid = ? UNION SELECT p.pid FROM processes p JOIN t ON p.ppid = t.pid) SELECT pid FROM t ORDER BY pid';

type Totals = Array<{ state: 'exited' | 'killed'; n: number; prompt: number; output: number; cost: number }>;

export class SqliteProcessRows implements ProcessRows {
  /** The row is built at the commit: the store's own queue of rows. */
  readonly save: (pid: number, build: () => ProcessRecord) => void;

  constructor(private readonly store: SqliteStore) {
    this.save = store.writeRow;
  }

  private all<T>(sql: string, ...args: unknown[]): Promise<T[]> {
    return this.store.rows<T>(sql, ...args);
  }

  live(): Promise<ProcessRecord[]> {
    return this.all(`SELECT * FROM processes WHERE state NOT IN ('exited', 'killed') ORDER BY pid`);
  }

  unreapedChildren(): Promise<Array<{ pid: number; ppid: number }>> {
    return this.all(
      `SELECT pid, ppid FROM processes WHERE state IN ('exited', 'killed') AND json_extract(runtime, '$.reapedByParent') IS NOT 1
       AND ppid IN (SELECT pid FROM processes WHERE state NOT IN ('exited', 'killed')) ORDER BY pid`,
    );
  }

  endedTotals(): Promise<Totals> {
    return this.all(
      `SELECT state, COUNT(*) AS n, COALESCE(SUM(prompt_tokens), 0) AS prompt, COALESCE(SUM(output_tokens), 0) AS output,
       COALESCE(SUM(cost), 0) AS cost FROM processes WHERE state IN ('exited', 'killed') GROUP BY state`,
    );
  }

  /** A parent's WAIT took this child's exit (kept in its runtime, so a restart does not report it again). */
  markReaped(pid: number): void {
    this.store.write(pid, () => this.store.stmt.markReaped.run(pid));
  }

  async get(pid: number): Promise<ProcessRecord | undefined> {
    return (await this.all<ProcessRecord>(BY_PID, pid))[0];
  }

  getNow(pid: number): ProcessRecord | undefined {
    return this.store.query((db) => prepared(db, BY_PID).get(pid) as ProcessRecord | undefined);
  }

  /** A process and all its descendants (the ppid index; one query, not a table scan). */
  async subtree(pid: number): Promise<number[]> {
    return (await this.all<{ pid: number }>(SUBTREE, pid)).map((r) => r.pid);
  }

  subtreeNow(pid: number): number[] {
    return this.store.query((db) => prepared(db, SUBTREE).all(pid) as Array<{ pid: number }>).map((r) => r.pid);
  }

  /** Stored processes (every one, or the `last` N created), only the columns a `ps` row shows, in pid order. */
  async psColumns(last?: number): Promise<PsColumns[]> {
    if (last === undefined) return this.all(`SELECT ${PS_COLUMNS} FROM processes ORDER BY pid`);
    return (await this.all<PsColumns>(`SELECT ${PS_COLUMNS} FROM processes ORDER BY pid DESC LIMIT ?`, last)).reverse();
  }

  /**
   * Ended processes that ended before `ts` (ms) and that nothing live needs: not an ancestor of a
   * live process, not an exit a live parent may still WAIT for. Oldest first.
   */
  prunable(ts: number, limit: number): Promise<ProcessSummary[]> {
    return this.all(
      `WITH RECURSIVE live(pid) AS (SELECT pid FROM processes WHERE state NOT IN ('exited', 'killed')),
       ancestors(pid) AS (SELECT p.ppid FROM processes p JOIN live l ON p.pid = l.pid
         UNION SELECT p.ppid FROM processes p JOIN ancestors a ON p.pid = a.pid)
       SELECT ${SUMMARY_COLUMNS} FROM processes WHERE ended_at IS NOT NULL AND ended_at < ?
         AND pid NOT IN (SELECT pid FROM ancestors) AND ppid NOT IN (SELECT pid FROM live)
       ORDER BY ended_at LIMIT ?`,
      ts,
      limit,
    );
  }

  /** Every process of a tree (the root's pid), with its capabilities as stored (JSON). */
  ofTree(tree: number): Promise<Array<{ pid: number; capabilities: string }>> {
    return this.all('SELECT pid, capabilities FROM processes WHERE tree = ?', tree);
  }

  async summaries(pids: readonly number[]): Promise<ProcessSummary[]> {
    if (pids.length === 0) return [];
    const marks = pids.map(() => '?').join(',');
    return this.all(`SELECT ${SUMMARY_COLUMNS} FROM processes WHERE pid IN (${marks})`, ...pids);
  }

  remove(pids: readonly number[]): void {
    if (pids.length === 0) return;
    this.store.placeEvents();
    this.store.write(null, () => {
      for (const pid of pids) for (const statement of this.store.stmt.removeProcess) statement.run(pid);
    });
  }
}

type Row = { role: 'user' | 'model'; text: string; seq: number };

export class SqliteTranscripts implements TranscriptRows {
  // A turn's writes, each its statement queued with the call's values (the store's queue runs them at the commit).
  readonly put: (pid: number, seq: number, role: string, text: string) => void;
  /** The result line of call `seq` of a process's pending turn. */
  readonly putResult: (pid: number, seq: number, line: string) => void;
  readonly clearResults: (pid: number) => void;

  constructor(private readonly store: SqliteStore) {
    this.put = store.writer(store.stmt.putTranscript);
    this.putResult = store.writer(store.stmt.putTurnResult);
    this.clearResults = store.writer(store.stmt.clearTurnResults);
  }

  load(pid: number, fromSeq = 0): Promise<Row[]> {
    return this.store.rows<Row>(
      'SELECT role, text, seq FROM transcript WHERE pid = ? AND seq >= ? ORDER BY seq',
      pid,
      fromSeq,
    );
  }

  async row(pid: number, seq: number): Promise<string | undefined> {
    const [row] = await this.store.rows<{ text: string }>(
      'SELECT text FROM transcript WHERE pid = ? AND seq = ?',
      pid,
      seq,
    );
    return row?.text;
  }

  async length(pid: number): Promise<number> {
    const [row] = await this.store.rows<{ n: number }>('SELECT COUNT(*) AS n FROM transcript WHERE pid = ?', pid);
    return Number(row?.n ?? 0);
  }

  async results(pid: number): Promise<string[]> {
    const rows = await this.store.rows<{ line: string }>(
      'SELECT line FROM turn_results WHERE pid = ? ORDER BY seq',
      pid,
    );
    return rows.map((r) => r.line);
  }
}
