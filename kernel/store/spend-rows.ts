/**
 * What budgets over time have counted (kernel/cost/budgets.ts): one row per budget, per what it
 * counts (a unit, a name, a tree, or all of them) and per window (`daily:2026-11-25`,
 * `monthly:2026-11`): dollars and tokens spent, what a person raised it by or reset it at, and
 * whether its warning was given. Written with the commit of the turn that spent it, so spend
 * survives a restart and a SIGKILL as every acknowledged turn does.
 */
import type { SqlStatement as Statement } from './sql.js';
import type { SqliteStore } from './sqlite.js';
import type { AwaitedReads } from './awaited.js';

const HISTORY = 'SELECT * FROM budget_spend WHERE budget = ? ORDER BY window DESC, key LIMIT ?';

export interface SpendRecord {
  budget: string;
  key: string;
  window: string;
  usd: number;
  tokens: number;
  raised_usd: number;
  raised_tokens: number;
  /** 0 none, 1 the warning was given, 2 the limit was reached. */
  warned: number;
  updated_at: number;
}

export const SPEND_SCHEMA = `
CREATE TABLE IF NOT EXISTS budget_spend (
  budget TEXT NOT NULL,
  key TEXT NOT NULL,
  window TEXT NOT NULL,
  usd REAL NOT NULL,
  tokens INTEGER NOT NULL,
  raised_usd REAL NOT NULL,
  raised_tokens INTEGER NOT NULL,
  warned INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (budget, key, window)
) WITHOUT ROWID;
`;

export class SqliteSpend {
  private readonly upsert: Statement;

  constructor(private readonly store: SqliteStore) {
    this.upsert = this.store.sql.prepare(
      'INSERT OR REPLACE INTO budget_spend (budget, key, window, usd, tokens, raised_usd, raised_tokens, warned, updated_at) VALUES (@budget, @key, @window, @usd, @tokens, @raised_usd, @raised_tokens, @warned, @updated_at)',
    );
  }

  /** The rows of these windows (the current ones, at start-up). */
  async windows(windows: readonly string[]): Promise<SpendRecord[]> {
    if (windows.length === 0) return [];
    const marks = windows.map(() => '?').join(', ');
    return this.store.sql
      .prepare(`SELECT * FROM budget_spend WHERE window IN (${marks})`)
      .all(...windows) as SpendRecord[];
  }

  /** Built at the commit: a count updated many times in a tick is written once, as it is then. */
  put(build: () => SpendRecord): void {
    this.store.write(null, () => this.upsert.run(build()));
  }

  /** A budget's newest rows, newest window first (`aos budget show`). */
  history(budget: string, limit: number): SpendRecord[] {
    this.store.flush();
    return this.store.sql.prepare(HISTORY).all(budget, limit) as SpendRecord[];
  }

  /** `history` awaited (`aos budget show`), behind the writes queued before the call. */
  readonly awaited: AwaitedReads<SqliteSpend, 'history'> = {
    history: async (budget, limit) => (
      await this.store.flushed(),
      this.store.rows<SpendRecord>(HISTORY, budget, limit)
    ),
  };
}
