import { searchSchema } from './schema-search.js';
import { schemaSafety } from './schema-safety.js';
import { UNITS_SCHEMA } from './unit-rows.js';
import { SPEND_SCHEMA } from './spend-rows.js';
import { IDEMPOTENCY_SCHEMA } from './idempotency-rows.js';
import { THREADS_SCHEMA } from './thread-rows.js';
import { APPROVER_SETS_SCHEMA, BINDING_APPROVERS_SCHEMA, CHANNELS_SCHEMA } from './channel-rows.js';
import { PROPOSALS_SCHEMA } from './proposal-rows.js';

/** The store's tables, and the steps that bring an older store up to date. Bump SCHEMA_VERSION with a migration. */
export const SCHEMA_VERSION = 16;

export const SCHEMA_1 = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS processes (
  pid INTEGER PRIMARY KEY,
  ppid INTEGER NOT NULL,
  tree INTEGER NOT NULL,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  task TEXT NOT NULL,
  model TEXT NOT NULL,
  priority INTEGER NOT NULL,
  capabilities TEXT NOT NULL,
  pipe_to INTEGER,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  state TEXT NOT NULL,
  exit_code INTEGER,
  exit_reason TEXT,
  output TEXT,
  turns INTEGER NOT NULL,
  syscalls INTEGER NOT NULL,
  prompt_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cached_tokens INTEGER NOT NULL,
  cost REAL NOT NULL,
  max_turns INTEGER NOT NULL,
  wait TEXT,
  runtime TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS processes_ppid ON processes (ppid);
CREATE INDEX IF NOT EXISTS processes_live ON processes (state) WHERE state NOT IN ('exited', 'killed');
CREATE TABLE IF NOT EXISTS transcript (
  pid INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  role TEXT NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (pid, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, pid INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_pid ON events (pid, id);
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY,
  to_pid INTEGER NOT NULL,
  channel TEXT NOT NULL,
  from_pid INTEGER NOT NULL,
  content TEXT NOT NULL,
  ts TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS timers (
  pid INTEGER NOT NULL,
  id TEXT NOT NULL,
  fire_at INTEGER NOT NULL,
  interval_ms INTEGER,
  prompt TEXT NOT NULL,
  PRIMARY KEY (pid, id)
);
CREATE TABLE IF NOT EXISTS webhooks (
  id INTEGER PRIMARY KEY,
  token TEXT NOT NULL UNIQUE,
  pid INTEGER NOT NULL,
  path TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
`;

/** Version 2: the results of a reply's calls, one row per call (a turn is persisted in O(its size)); ended processes by age. */
function schema2(): string {
  return `
CREATE TABLE IF NOT EXISTS turn_results (
  pid INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  line TEXT NOT NULL,
  PRIMARY KEY (pid, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS processes_ended ON processes (ended_at) WHERE ended_at IS NOT NULL;
`;
}

/**
 * Version 5: a prompt or model event whose text is a transcript row is stored without it, naming
 * the row (text_seq); events_read is the events table with those texts put back, for every reader.
 */
function schema5(): string {
  return `
ALTER TABLE events ADD COLUMN text_seq INTEGER;
CREATE VIEW IF NOT EXISTS events_read AS
  SELECT e.id AS id, e.pid AS pid,
    CASE WHEN e.text_seq IS NULL THEN e.json ELSE json_set(e.json, '$.text', COALESCE(t.text, '')) END AS json
  FROM events e LEFT JOIN transcript t ON t.pid = e.pid AND t.seq = e.text_seq;
`;
}

/** Version 6 (issue 27): an approval request names the one call it is for, and what it asked about (approvals.ts). */
function schema6(): string {
  return `
ALTER TABLE approvals ADD COLUMN binding TEXT;
ALTER TABLE approvals ADD COLUMN subject TEXT;
`;
}

/** Version 8 (issues 31, 32): a laddered process's turns by the model they ran on, as JSON (ps shows the mix); budgets' spend by window; idempotency keys. */
function schema8(): string {
  return `
ALTER TABLE processes ADD COLUMN model_mix TEXT;
${SPEND_SCHEMA}${IDEMPOTENCY_SCHEMA}`;
}

/** Version 11 (issue 49): the taint of the process that made each file change, for a later reader (kernel/safety/taint-ledger.ts). */
const JOURNAL_TAINT_SCHEMA = `
ALTER TABLE journal ADD COLUMN taint TEXT;
`;

/** Version 15 (issue 49): the taint of the process that set each timer, so its prompt is framed when it fires (ipc/mailboxes.ts). */
const TIMER_TAINT_SCHEMA = `
ALTER TABLE timers ADD COLUMN taint TEXT;
`;

/** Version 16 (issue 49): whether a thread's summary folded in outside content (thread-rows.ts). */
const THREAD_SUMMARY_OUTSIDE_SCHEMA = `
ALTER TABLE threads ADD COLUMN summary_outside INTEGER NOT NULL DEFAULT 0;
`;

/** Statements that take a store at version `from` to `from + 1`. */
export const MIGRATIONS: Record<number, string> = {
  1: schema2(),
  2: searchSchema(),
  3: schemaSafety(),
  4: schema5(),
  5: schema6(),
  // Version 7 (issue 30): units and their runs (unit-rows.ts).
  6: UNITS_SCHEMA,
  7: schema8(),
  // Version 9 (issue 33): context threads (thread-rows.ts).
  8: THREADS_SCHEMA,
  // Version 10 (issue 34): channels (channel-rows.ts).
  9: CHANNELS_SCHEMA,
  10: JOURNAL_TAINT_SCHEMA,
  11: BINDING_APPROVERS_SCHEMA,
  // Version 13 (issue 52.2): proposals (proposal-rows.ts).
  12: PROPOSALS_SCHEMA,
  // Version 14 (issue 52): approvers of a channel named for a unit or a rule (channel-rows.ts).
  13: APPROVER_SETS_SCHEMA,
  14: TIMER_TAINT_SCHEMA,
  15: THREAD_SUMMARY_OUTSIDE_SCHEMA,
};

/** A new store: every version's tables at once. */
export const SCHEMA =
  SCHEMA_1 +
  schema2() +
  searchSchema() +
  schemaSafety() +
  schema5() +
  schema6() +
  UNITS_SCHEMA +
  schema8() +
  THREADS_SCHEMA +
  CHANNELS_SCHEMA +
  JOURNAL_TAINT_SCHEMA +
  BINDING_APPROVERS_SCHEMA +
  PROPOSALS_SCHEMA +
  APPROVER_SETS_SCHEMA +
  TIMER_TAINT_SCHEMA +
  THREAD_SUMMARY_OUTSIDE_SCHEMA;
