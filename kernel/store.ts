/**
 * The kernel's state in SQLite (better-sqlite3, WAL). Writes are queued and committed in one
 * transaction per tick — never an fsync per event — and synchronously before anything with a
 * host side effect runs, so a SIGKILL loses nothing that was acted on.
 */
import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { AosError } from '../drivers/errno.js';
import type { KernelEvent } from './events.js';
import { SCHEMA, SCHEMA_VERSION } from './store-schema.js';

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

type Write = () => void;

function prepareStatements(db: Database.Database) {
  return {
    putProcess: db.prepare(`INSERT OR REPLACE INTO processes VALUES (@pid, @ppid, @tree, @name, @role, @task, @model,
      @priority, @capabilities, @pipe_to, @created_at, @started_at, @ended_at, @state, @exit_code, @exit_reason, @output,
      @turns, @syscalls, @prompt_tokens, @output_tokens, @cached_tokens, @cost, @max_turns, @wait, @runtime)`),
    putTranscript: db.prepare('INSERT OR REPLACE INTO transcript (pid, seq, role, text) VALUES (?, ?, ?, ?)'),
    addEvent: db.prepare('INSERT INTO events (pid, json) VALUES (?, ?)'),
    addMessage: db.prepare('INSERT INTO messages (id, to_pid, channel, from_pid, content, ts) VALUES (?, ?, ?, ?, ?, ?)'),
    delMessage: db.prepare('DELETE FROM messages WHERE id = ?'),
    putTimer: db.prepare('INSERT OR REPLACE INTO timers (pid, id, fire_at, interval_ms, prompt) VALUES (?, ?, ?, ?, ?)'),
    delTimer: db.prepare('DELETE FROM timers WHERE pid = ? AND id = ?'),
    delTimers: db.prepare('DELETE FROM timers WHERE pid = ?'),
    setMeta: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    putWebhook: db.prepare('INSERT OR REPLACE INTO webhooks (id, token, pid, path, created_at) VALUES (?, ?, ?, ?, ?)'),
  };
}

export class Store {
  private readonly db: Database.Database;
  private readonly stmt: ReturnType<typeof prepareStatements>;
  private queue: Write[] = [];
  /** pid -> row builder; a process dirtied many times in a tick is written once. */
  private dirty = new Map<number, () => ProcessRecord>();
  private flushScheduled = false;
  private closed = false;

  private constructor(readonly file: string) {
    try {
      if (file !== ':memory:') {
        mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        // Transcripts may hold anything an agent read: owner-only, like the socket.
        closeSync(openSync(file, 'a', 0o600));
      }
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(SCHEMA);
    } catch (error) {
      throw new AosError('EIO', `cannot open the kernel store ${file}: ${(error as Error).message}`, { cause: error });
    }
    this.checkVersion();
    this.stmt = prepareStatements(this.db);
  }

  static open(file: string): Store {
    return new Store(file);
  }

  private checkVersion(): void {
    const found = this.meta('schema');
    if (found === undefined) {
      this.db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(String(SCHEMA_VERSION));
    } else if (Number(found) !== SCHEMA_VERSION) {
      throw new AosError('EIO', `the kernel store ${this.file} has schema ${found}; this aos expects ${SCHEMA_VERSION}`);
    }
  }

  // ---- queued writes ----

  private enqueue(write: Write): void {
    this.queue.push(write);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Commit everything queued, in one transaction. */
  flush(): void {
    this.flushScheduled = false;
    if (this.closed || (this.queue.length === 0 && this.dirty.size === 0)) return;
    const queue = this.queue;
    const dirty = this.dirty;
    this.queue = [];
    this.dirty = new Map();
    this.db.transaction(() => {
      for (const write of queue) write();
      for (const build of dirty.values()) this.stmt.putProcess.run(build());
    })();
  }

  saveProcess(pid: number, build: () => ProcessRecord): void {
    this.dirty.set(pid, build);
    this.scheduleFlush();
  }

  putTranscript(pid: number, seq: number, role: string, text: string): void {
    this.enqueue(() => this.stmt.putTranscript.run(pid, seq, role, text));
  }

  addEvent(event: KernelEvent): void {
    const json = JSON.stringify(event);
    this.enqueue(() => this.stmt.addEvent.run(event.pid, json));
  }

  addMessage(m: MessageRecord): void {
    this.enqueue(() => this.stmt.addMessage.run(m.id, m.to_pid, m.channel, m.from_pid, m.content, m.ts));
  }

  deleteMessages(ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.enqueue(() => {
      for (const id of ids) this.stmt.delMessage.run(id);
    });
  }

  putTimer(t: TimerRecord): void {
    this.enqueue(() => this.stmt.putTimer.run(t.pid, t.id, t.fire_at, t.interval_ms, t.prompt));
  }

  deleteTimer(pid: number, id: string): void {
    this.enqueue(() => this.stmt.delTimer.run(pid, id));
  }

  deleteTimers(pid: number): void {
    this.enqueue(() => this.stmt.delTimers.run(pid));
  }

  putWebhook(w: WebhookRecord): void {
    this.enqueue(() => this.stmt.putWebhook.run(w.id, w.token, w.pid, w.path, w.created_at));
  }

  setMeta(key: string, value: string | number): void {
    this.enqueue(() => this.stmt.setMeta.run(key, String(value)));
  }

  // ---- reads (they see committed data: callers flush first when it matters) ----

  meta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  /** Processes that had not ended, and the ended children of those (their parents may WAIT). */
  loadResumable(): ProcessRecord[] {
    return this.db
      .prepare(
        `SELECT * FROM processes WHERE state NOT IN ('exited', 'killed')
         OR ppid IN (SELECT pid FROM processes WHERE state NOT IN ('exited', 'killed')) ORDER BY pid`,
      )
      .all() as ProcessRecord[];
  }

  loadProcess(pid: number): ProcessRecord | undefined {
    return this.db.prepare('SELECT * FROM processes WHERE pid = ?').get(pid) as ProcessRecord | undefined;
  }

  /** A process and all its descendants (the ppid index; one query, not a table scan). */
  subtreePids(pid: number): number[] {
    const rows = this.db
      .prepare('WITH RECURSIVE t(pid) AS (SELECT pid FROM processes WHERE pid = ? UNION SELECT p.pid FROM processes p JOIN t ON p.ppid = t.pid) SELECT pid FROM t ORDER BY pid')
      .all(pid) as Array<{ pid: number }>;
    return rows.map((r) => r.pid);
  }

  allProcesses(): ProcessRecord[] {
    return this.db.prepare('SELECT * FROM processes ORDER BY pid').all() as ProcessRecord[];
  }

  /** The rows of a transcript from `fromSeq` on, in order (the whole of it by default). */
  loadTranscript(pid: number, fromSeq = 0): Array<{ role: 'user' | 'model'; text: string; seq: number }> {
    return this.db.prepare('SELECT role, text, seq FROM transcript WHERE pid = ? AND seq >= ? ORDER BY seq').all(pid, fromSeq) as Array<{
      role: 'user' | 'model';
      text: string;
      seq: number;
    }>;
  }

  transcriptLength(pid: number): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM transcript WHERE pid = ?').get(pid) as { n: number }).n;
  }

  loadMessages(): MessageRecord[] {
    return this.db.prepare('SELECT * FROM messages ORDER BY id').all() as MessageRecord[];
  }

  loadTimers(): TimerRecord[] {
    return this.db.prepare('SELECT * FROM timers').all() as TimerRecord[];
  }

  loadWebhooks(): WebhookRecord[] {
    return this.db.prepare('SELECT * FROM webhooks ORDER BY id').all() as WebhookRecord[];
  }

  /** Events of these pids, oldest first; `tail` keeps the newest N. */
  events(pids: readonly number[], tail?: number): KernelEvent[] {
    if (pids.length === 0) return [];
    const marks = pids.map(() => '?').join(',');
    const rows = this.db
      .prepare(`SELECT json FROM events WHERE pid IN (${marks}) ORDER BY id DESC LIMIT ?`)
      .all(...pids, tail ?? -1) as Array<{ json: string }>;
    return rows.reverse().map((r) => JSON.parse(r.json) as KernelEvent);
  }

  /** Count and usage of every ended process, by state (once, at start-up). */
  endedTotals(): Array<{ state: 'exited' | 'killed'; n: number; prompt: number; output: number; cost: number }> {
    return this.db
      .prepare(
        `SELECT state, COUNT(*) AS n, COALESCE(SUM(prompt_tokens), 0) AS prompt, COALESCE(SUM(output_tokens), 0) AS output,
         COALESCE(SUM(cost), 0) AS cost FROM processes WHERE state IN ('exited', 'killed') GROUP BY state`,
      )
      .all() as Array<{ state: 'exited' | 'killed'; n: number; prompt: number; output: number; cost: number }>;
  }

  maxMessageId(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM messages').get() as { id: number }).id;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.db.close();
  }
}
