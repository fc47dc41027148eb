/** Approval requests in the store: a pending one survives a kernel restart; answered ones stay as history. */
import type { SqlStatement as Statement } from './sql.js';
import type { SqliteStore } from './sqlite.js';

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'superseded' | 'withdrawn';

export interface ApprovalRecord {
  id: string;
  pid: number;
  name: string;
  call: string;
  /** JSON of the call's arguments as the model wrote them. */
  args: string;
  rule: string;
  requested_at: string;
  expires_at: string;
  status: ApprovalStatus;
  decided_by: string | null;
  via: string | null;
  reason: string | null;
  decided_at: string | null;
  /** The one call it is for: turn, call index and a hash of name, arguments and subject (null: a request older than bindings). */
  binding: string | null;
  /** What the rule matched (a command, a path, a program and its argv), for the decision's audit record. */
  subject: string | null;
}

export class ApprovalsTable {
  private readonly insert: Statement;
  private readonly decide: Statement;

  constructor(private readonly store: SqliteStore) {
    const db = store.sql;
    this.insert = db.prepare(
      'INSERT INTO approvals (id, pid, name, call, args, rule, requested_at, expires_at, status, binding, subject) VALUES (@id, @pid, @name, @call, @args, @rule, @requested_at, @expires_at, @status, @binding, @subject)',
    );
    this.decide = db.prepare(
      'UPDATE approvals SET status = ?, decided_by = ?, via = ?, reason = ?, decided_at = ? WHERE id = ?',
    );
  }

  add(record: ApprovalRecord): void {
    this.store.write(record.pid, () => this.insert.run(record));
  }

  settle(record: ApprovalRecord): void {
    const { status, decided_by, via, reason, decided_at, id } = record;
    this.store.write(record.pid, () => this.decide.run(status, decided_by, via, reason, decided_at, id));
  }

  loadPending(): ApprovalRecord[] {
    return this.store.sql
      .prepare("SELECT * FROM approvals WHERE status = 'pending' ORDER BY requested_at, id")
      .all() as ApprovalRecord[];
  }
}
