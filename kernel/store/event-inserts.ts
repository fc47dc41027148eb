/**
 * The events table's rows in multi-row INSERTs: one statement per row cost more than the row itself
 * (a turn makes 7 events). A statement for each row count up to the maximum, prepared on first use.
 */
import type { SqlDb, SqlStatement } from './sql.js';
import type { StoredEvent } from './records.js';

/** Rows a statement writes at most (4 parameters each). */
const ROWS_PER_INSERT = 32;

export class EventInserts {
  private readonly statements = new Map<number, SqlStatement>();

  constructor(private readonly db: SqlDb) {}

  /** Insert events from..to (their JSON made) in id order. */
  insert(events: readonly StoredEvent[], from: number, to: number): void {
    for (let at = from; at < to; at += ROWS_PER_INSERT) {
      const rows = Math.min(ROWS_PER_INSERT, to - at);
      const params: Array<number | string | null> = [];
      for (let i = at; i < at + rows; i++) {
        const stored = events[i] as StoredEvent;
        params.push(stored.id, stored.event.pid, stored.row?.json ?? stored.json, stored.row?.textSeq ?? null);
      }
      this.statement(rows).run(params);
    }
  }

  private statement(rows: number): SqlStatement {
    let statement = this.statements.get(rows);
    if (!statement) {
      statement = this.db.prepare(`INSERT INTO events (id, pid, json, text_seq) VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?)').join(', ')}`);
      this.statements.set(rows, statement);
    }
    return statement;
  }
}
