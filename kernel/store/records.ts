/** The rows of the kernel's store, and the prepared statements that write them. */
import type Database from 'better-sqlite3';

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
  runtime: string;
}

/** What `ps` shows of a stored process: every column but the runtime blob. */
export type ProcessSummary = Omit<ProcessRecord, 'runtime'>;

export const SUMMARY_COLUMNS = `pid, ppid, tree, name, role, task, model, priority, capabilities, pipe_to, created_at, started_at,
  ended_at, state, exit_code, exit_reason, output, turns, syscalls, prompt_tokens, output_tokens, cached_tokens, cost, max_turns, wait`;

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

export function prepareStatements(db: Database.Database) {
  return {
    putProcess: db.prepare(`INSERT OR REPLACE INTO processes VALUES (@pid, @ppid, @tree, @name, @role, @task, @model,
      @priority, @capabilities, @pipe_to, @created_at, @started_at, @ended_at, @state, @exit_code, @exit_reason, @output,
      @turns, @syscalls, @prompt_tokens, @output_tokens, @cached_tokens, @cost, @max_turns, @wait, @runtime)`),
    putTranscript: db.prepare('INSERT OR REPLACE INTO transcript (pid, seq, role, text) VALUES (?, ?, ?, ?)'),
    addMessage: db.prepare('INSERT OR REPLACE INTO messages (id, to_pid, channel, from_pid, content, ts) VALUES (?, ?, ?, ?, ?, ?)'),
    delMessage: db.prepare('DELETE FROM messages WHERE id = ?'),
    putTimer: db.prepare('INSERT OR REPLACE INTO timers (pid, id, fire_at, interval_ms, prompt) VALUES (?, ?, ?, ?, ?)'),
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
