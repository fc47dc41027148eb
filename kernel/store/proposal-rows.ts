/**
 * Proposals in the store (issue 52.2): a call a `propose` rule let run at once, the journal entry
 * that can put its file back, and until when (expires_at). A pending one survives a kernel restart
 * (kernel/safety/proposals.ts finalizes it when its window has passed); undone and final ones stay
 * as history. The same SQL on SQLite and PostgreSQL (pg-schema.ts translates the schema).
 */
import type { SqlStatement as Statement } from './sql.js';
import type { SqliteStore } from './sqlite.js';

export type ProposalState = 'pending' | 'undone' | 'final';

export interface ProposalRecord {
  id: string;
  pid: number;
  /** The process's name when it proposed. */
  name: string;
  call: string;
  /** JSON of the call's arguments as the model wrote them. */
  args: string;
  rule: string;
  /** What the rule matched: the workspace path written. */
  subject: string;
  /** The rollback journal's entry for the write (journal.ts): its `before` is what an undo puts back. */
  journal_id: number;
  proposed_at: string;
  expires_at: string;
  state: ProposalState;
  decided_by: string | null;
  via: string | null;
  reason: string | null;
  decided_at: string | null;
}

/** Version 13 (issue 52.2): proposals. */
export const PROPOSALS_SCHEMA = `
CREATE TABLE IF NOT EXISTS proposals (
  id TEXT PRIMARY KEY,
  pid INTEGER NOT NULL,
  name TEXT NOT NULL,
  call TEXT NOT NULL,
  args TEXT NOT NULL,
  rule TEXT NOT NULL,
  subject TEXT NOT NULL,
  journal_id INTEGER NOT NULL,
  proposed_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  state TEXT NOT NULL,
  decided_by TEXT,
  via TEXT,
  reason TEXT,
  decided_at TEXT
);
CREATE INDEX IF NOT EXISTS proposals_pending ON proposals (expires_at) WHERE state = 'pending';
`;

export class ProposalsTable {
  private readonly insert: Statement;
  private readonly decide: Statement;

  constructor(private readonly store: SqliteStore) {
    const db = store.sql;
    this.insert = db.prepare(
      'INSERT INTO proposals (id, pid, name, call, args, rule, subject, journal_id, proposed_at, expires_at, state) VALUES (@id, @pid, @name, @call, @args, @rule, @subject, @journal_id, @proposed_at, @expires_at, @state)',
    );
    this.decide = db.prepare(
      'UPDATE proposals SET state = ?, decided_by = ?, via = ?, reason = ?, decided_at = ? WHERE id = ?',
    );
  }

  add(record: ProposalRecord): void {
    this.store.write(record.pid, () => this.insert.run(record));
  }

  settle(record: ProposalRecord): void {
    const { state, decided_by, via, reason, decided_at, id } = record;
    this.store.write(record.pid, () => this.decide.run(state, decided_by, via, reason, decided_at, id));
  }

  loadPending(): ProposalRecord[] {
    return this.store.sql
      .prepare("SELECT * FROM proposals WHERE state = 'pending' ORDER BY proposed_at, id")
      .all() as ProposalRecord[];
  }

  /** One proposal, any state (an undo refused after its window says since when); read behind the writes queued before it. */
  async get(id: string): Promise<ProposalRecord | undefined> {
    await this.store.flushed();
    return (await this.store.rows<ProposalRecord>('SELECT * FROM proposals WHERE id = ?', id))[0];
  }

  /** The newest `limit` proposals, any state, newest first (what `aos proposals` lists beside the pending ones). */
  async recent(limit: number): Promise<ProposalRecord[]> {
    await this.store.flushed();
    return this.store.rows<ProposalRecord>('SELECT * FROM proposals ORDER BY proposed_at DESC, id DESC LIMIT ?', limit);
  }
}
