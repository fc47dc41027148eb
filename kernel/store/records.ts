/** The rows of the kernel's store, and the prepared statements that write them. */
import type { SqlDb, SqlStatement } from './sql.js';
import type { KernelEvent } from '../../protocol/events.js';

export interface ProcessRecord {
  pid: number;
  ppid: number;
  tree: number;
  name: string;
  role: string;
  task: string;
  model: string;
  priority: number;
  capabilities: string;
  pipe_to: number | null;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  state: string;
  exit_code: number | null;
  exit_reason: string | null;
  output: string | null;
  turns: number;
  syscalls: number;
  prompt_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  cost: number;
  max_turns: number;
  wait: string | null;
  /** A laddered process's turns by model, as JSON; null on one model. */
  model_mix: string | null;
  runtime: string;
}

/** What `ps` shows of a stored process: every column but the runtime blob. */
export type ProcessSummary = Omit<ProcessRecord, 'runtime'>;

export const SUMMARY_COLUMNS = `pid, ppid, tree, name, role, task, model, priority, capabilities, pipe_to, created_at, started_at,
  ended_at, state, exit_code, exit_reason, output, turns, syscalls, prompt_tokens, output_tokens, cached_tokens, cost, max_turns, wait, model_mix`;

/** The processes table's columns, in its order (schema.ts; write-batch.ts processRow binds a record in it). */
const PROCESS_COLUMNS = [...SUMMARY_COLUMNS.split(',').map((c) => c.trim()), 'runtime'] as const;

/** Columns a process's row never changes after its first write (the Pcb's readonly fields). */
const FIXED_AT_SPAWN = new Set([
  'pid',
  'ppid',
  'tree',
  'name',
  'role',
  'task',
  'model',
  'priority',
  'capabilities',
  'pipe_to',
  'created_at',
]);

export interface MessageRecord {
  id: number;
  to_pid: number;
  channel: 'msg' | 'stdin';
  from_pid: number;
  content: string;
  ts: string;
}

export interface TimerRecord {
  pid: number;
  id: string;
  fire_at: number;
  interval_ms: number | null;
  prompt: string;
  /** Its setter's taint when it was set (JSON: kernel/safety/taint-ledger.ts markOf), else null (issue 49). */
  taint?: string | null;
}

export interface WebhookRecord {
  id: number;
  token: string;
  pid: number;
  path: string;
  created_at: number;
}

/** Every table that holds rows of one process: what `aos rm` deletes. */
const PER_PROCESS_TABLES = [
  ['processes', 'pid'],
  ['transcript', 'pid'],
  ['events', 'pid'],
  ['messages', 'to_pid'],
  ['timers', 'pid'],
  ['webhooks', 'pid'],
  ['turn_results', 'pid'],
] as const;

export function prepareStatements(db: SqlDb) {
  return {
    // An upsert of what changes after spawn, bound by position: a REPLACE (delete, insert, every
    // index entry again) bound by name cost twice as much, and a turn writes its process's row.
    putProcess:
      db.prepare(`INSERT INTO processes (${PROCESS_COLUMNS.join(', ')}) VALUES (${Array.from({ length: PROCESS_COLUMNS.length }, () => '?').join(', ')})
      ON CONFLICT (pid) DO UPDATE SET ${PROCESS_COLUMNS.filter((c) => !FIXED_AT_SPAWN.has(c))
        .map((c) => `${c} = excluded.${c}`)
        .join(', ')}`),
    putTranscript: db.prepare('INSERT OR REPLACE INTO transcript (pid, seq, role, text) VALUES (?, ?, ?, ?)'),
    addMessage: db.prepare(
      'INSERT OR REPLACE INTO messages (id, to_pid, channel, from_pid, content, ts) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    delMessage: db.prepare('DELETE FROM messages WHERE id = ?'),
    putTimer: db.prepare(
      'INSERT OR REPLACE INTO timers (pid, id, fire_at, interval_ms, prompt, taint) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    delTimer: db.prepare('DELETE FROM timers WHERE pid = ? AND id = ?'),
    delTimers: db.prepare('DELETE FROM timers WHERE pid = ?'),
    setMeta: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    putWebhook: db.prepare('INSERT OR REPLACE INTO webhooks (id, token, pid, path, created_at) VALUES (?, ?, ?, ?, ?)'),
    putTurnResult: db.prepare('INSERT OR REPLACE INTO turn_results (pid, seq, line) VALUES (?, ?, ?)'),
    clearTurnResults: db.prepare('DELETE FROM turn_results WHERE pid = ?'),
    markReaped: db.prepare("UPDATE processes SET runtime = json_set(runtime, '$.reapedByParent', 1) WHERE pid = ?"),
    removeProcess: PER_PROCESS_TABLES.map(([table, column]) => db.prepare(`DELETE FROM ${table} WHERE ${column} = ?`)),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;

/** An event with its id in the store (the SSE / follow cursor) and its JSON as stored. */
export interface StoredEvent {
  id: number;
  event: KernelEvent;
  /** The whole event's JSON, as clients get it (made at the commit). */
  json: string;
  /** The row the events table keeps when it is not `json`: a text the transcript holds is left out (write-batch.ts). */
  row?: { json: string; textSeq: number };
}

export interface StoreHooks {
  /** A row of this process could not be serialised or written; the rest was committed. */
  onWriteError(pid: number, error: Error): void;
  /** This event could not be serialised: an error event is stored in its place. */
  onUnstorableEvent(event: KernelEvent, message: string): void;
  /** Commits started failing (healthy: false) or work again (healthy: true). */
  onHealth(healthy: boolean, error: Error | null): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}
