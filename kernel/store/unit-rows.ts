/**
 * Units and their runs in the store: the declarations the kernel starts agents from (units), and
 * one row for every firing — started, skipped, queued, caught up — with the process it started
 * (unit_runs). A unit's `checked_at` is the due time up to which its triggers have been handled:
 * what falls after it when the kernel starts was missed while it was down (catch-up).
 */
import type { SqlStatement as Statement } from './sql.js';
import type { SqliteStore } from './sqlite.js';
import type { AwaitedReads } from './awaited.js';

export interface UnitRecord {
  name: string;
  /** The unit's declaration as JSON (its parsed YAML). */
  spec: string;
  enabled: boolean;
  /** Where `every` counts from: when it was added or last enabled (ms). */
  anchor: number;
  added_at: number;
  updated_at: number;
  /** Due times up to here have been handled (ms). */
  checked_at: number;
}

export type UnitRunOutcome = 'started' | 'skipped' | 'queued' | 'failed';

export interface UnitRunRecord {
  id: number;
  unit: string;
  /** What fired it: `every 30m`, `cron 0 9 * * 1-5 Europe/Berlin`, `by hand`, `restart 2/5`, `queued`. */
  trigger: string;
  scheduled_for: number | null;
  fired_at: number;
  pid: number | null;
  outcome: UnitRunOutcome;
  /** Why it was skipped or failed; `catch-up` for a run missed while the kernel was down. */
  reason: string | null;
}

/** The newest firings kept per unit. */
export const UNIT_RUNS_KEPT = 1_000;

export const UNITS_SCHEMA = `
CREATE TABLE IF NOT EXISTS units (
  name TEXT PRIMARY KEY,
  spec TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  anchor INTEGER NOT NULL,
  added_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  checked_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS unit_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  unit TEXT NOT NULL,
  trigger TEXT NOT NULL,
  scheduled_for INTEGER,
  fired_at INTEGER NOT NULL,
  pid INTEGER,
  outcome TEXT NOT NULL,
  reason TEXT
);
CREATE INDEX IF NOT EXISTS unit_runs_unit ON unit_runs (unit, id);
CREATE INDEX IF NOT EXISTS unit_runs_pid ON unit_runs (pid) WHERE pid IS NOT NULL;
`;

const RUNS = 'SELECT * FROM unit_runs WHERE unit = ? ORDER BY id DESC LIMIT ?';

interface UnitRow extends Omit<UnitRecord, 'enabled'> {
  enabled: number;
}

export class SqliteUnits {
  private readonly upsert: Statement;
  private readonly del: Statement;
  private readonly delRuns: Statement;
  private readonly check: Statement;
  private readonly insertRun: Statement;
  private readonly trim: Statement;
  private inserted = 0;

  constructor(private readonly store: SqliteStore) {
    const db = store.sql;
    this.upsert = db.prepare(
      'INSERT OR REPLACE INTO units (name, spec, enabled, anchor, added_at, updated_at, checked_at) VALUES (@name, @spec, @enabled, @anchor, @added_at, @updated_at, @checked_at)',
    );
    this.del = db.prepare('DELETE FROM units WHERE name = ?');
    this.delRuns = db.prepare('DELETE FROM unit_runs WHERE unit = ?');
    this.check = db.prepare('UPDATE units SET checked_at = MAX(checked_at, ?) WHERE name = ?');
    this.insertRun = db.prepare(
      'INSERT INTO unit_runs (unit, trigger, scheduled_for, fired_at, pid, outcome, reason) VALUES (@unit, @trigger, @scheduled_for, @fired_at, @pid, @outcome, @reason)',
    );
    this.trim = db.prepare(
      'DELETE FROM unit_runs WHERE unit = ? AND id <= (SELECT id FROM unit_runs WHERE unit = ? ORDER BY id DESC LIMIT 1 OFFSET ?)',
    );
  }

  // Start-up (the kernel reads its state back before it serves anyone): read at once, on PostgreSQL too.
  async all(): Promise<UnitRecord[]> {
    const rows = this.store.sql.prepare('SELECT * FROM units ORDER BY name').all() as UnitRow[];
    return rows.map((row) => ({ ...row, enabled: row.enabled !== 0 }));
  }

  put(record: UnitRecord): void {
    this.store.write(null, () => this.upsert.run({ ...record, enabled: record.enabled ? 1 : 0 }));
  }

  /** The unit and the record of its runs (its processes stay, like all others). */
  remove(name: string): void {
    this.store.write(null, () => {
      this.del.run(name);
      this.delRuns.run(name);
    });
  }

  checked(name: string, at: number): void {
    this.store.write(null, () => this.check.run(at, name));
  }

  addRun(run: Omit<UnitRunRecord, 'id'>): void {
    const trimNow = ++this.inserted % 100 === 0;
    this.store.write(run.pid, () => {
      this.insertRun.run(run);
      if (trimNow) this.trim.run(run.unit, run.unit, UNIT_RUNS_KEPT);
    });
  }

  /** The newest `limit` firings of a unit, newest first (what is queued counts). */
  runs(name: string, limit: number): UnitRunRecord[] {
    this.store.flush();
    return this.store.sql.prepare(RUNS).all(name, limit) as UnitRunRecord[];
  }

  /** `runs` awaited (`aos unit runs`, `unit show`, `unit ls`), behind the writes queued before the call. */
  readonly awaited: AwaitedReads<SqliteUnits, 'runs'> = {
    runs: async (name, limit) => (await this.store.flushed(), this.store.rows<UnitRunRecord>(RUNS, name, limit)),
  };

  /** The runs that started a process, with the process's pid: every unit's (start-up rebuilds who runs for whom). */
  async started(): Promise<Array<{ unit: string; pid: number; trigger: string }>> {
    return this.store.sql
      .prepare("SELECT unit, pid, trigger FROM unit_runs WHERE outcome = 'started' AND pid IS NOT NULL")
      .all() as Array<{
      unit: string;
      pid: number;
      trigger: string;
    }>;
  }
}
