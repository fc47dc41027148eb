/** Version 3 (issue 12): the audit trail (hash-chained), approval requests, and the workspace journal. */
export function schemaSafety(): string {
  return `
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY,
  ts TEXT NOT NULL,
  pid INTEGER NOT NULL,
  call TEXT NOT NULL,
  subject TEXT NOT NULL,
  decision TEXT NOT NULL,
  rule TEXT,
  decided_by TEXT NOT NULL,
  via TEXT,
  reason TEXT,
  approval TEXT,
  prev TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_pid ON audit (pid, id);
CREATE TABLE IF NOT EXISTS approvals (
  id TEXT PRIMARY KEY,
  pid INTEGER NOT NULL,
  name TEXT NOT NULL,
  call TEXT NOT NULL,
  args TEXT NOT NULL,
  rule TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  status TEXT NOT NULL,
  decided_by TEXT,
  via TEXT,
  reason TEXT,
  decided_at TEXT
);
CREATE INDEX IF NOT EXISTS approvals_pending ON approvals (pid) WHERE status = 'pending';
CREATE TABLE IF NOT EXISTS journal (
  id INTEGER PRIMARY KEY,
  pid INTEGER NOT NULL,
  turn INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  path TEXT NOT NULL,
  before BLOB,
  before_kind TEXT NOT NULL,
  after_hash TEXT,
  call TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS journal_pid ON journal (pid, id);
CREATE INDEX IF NOT EXISTS journal_path ON journal (path, id);
`;
}
