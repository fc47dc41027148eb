/**
 * What one group commit writes: queued statements in order, each process's row once (built now,
 * bound by position), and the events, with who waits for them. Each event is made a row here,
 * once: its JSON (one that cannot be serialised is replaced by an error event saying so), without
 * the text a transcript row already holds. Events are only ever inserted, with new ids, so they go
 * in after the batch's other writes, in multi-row INSERTs (one statement per row cost more than
 * the row itself; a turn makes 7 events) — but for a write that deletes events, which places those
 * queued before it first (`placeEvents`). When one write fails on its own the batch is written
 * write by write (`alone`, `commitPlan`); a batch the engine refused goes before the writes queued
 * since (`before`). commit.ts decides when a batch commits and sends each of its transactions.
 */
import type { KernelEvent } from '../../protocol/events.js';
import type { ProcessRecord, StoredEvent } from './records.js';
import type { SqlDb, SqlStatement } from './sql.js';

// ---- an event made a row ----

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** JSON of an event, or null when it cannot be serialised (a cycle, absurd nesting, a BigInt). */
function eventJson(event: KernelEvent): string | null {
  try {
    return JSON.stringify(event);
  } catch {
    return null;
  }
}

/**
 * A prompt or a model reply is a transcript row already: its event is stored without the text and
 * names the row (text_seq; the events_read view puts the text back). Clients still get it whole.
 */
function withTextRow(stored: StoredEvent): boolean {
  const { event } = stored;
  if ((event.type !== 'prompt' && event.type !== 'model') || event.transcript_seq === undefined) return false;
  const { text, ...rest } = event;
  const json = JSON.stringify(rest);
  stored.row = { json, textSeq: event.transcript_seq };
  stored.json = `${json.slice(0, -1)},"text":${JSON.stringify(text)}}`;
  return true;
}

export function unstorableMessage(event: KernelEvent): string {
  return `kernel error: a ${event.type} event of process ${event.pid} could not be stored`;
}

/**
 * Give each queued event its JSON (once: a batch the disk refused keeps it for the retry). One that
 * cannot be serialised is replaced by an error event saying so, and returned.
 */
export function serialise(events: StoredEvent[]): KernelEvent[] {
  const failed: KernelEvent[] = [];
  for (const stored of events) {
    if (stored.json !== '' || withTextRow(stored)) continue;
    const json = eventJson(stored.event);
    if (json !== null) {
      stored.json = json;
      continue;
    }
    failed.push(stored.event);
    stored.event = {
      ts: stored.event.ts,
      pid: stored.event.pid,
      type: 'error',
      message: unstorableMessage(stored.event),
    };
    stored.json = JSON.stringify(stored.event);
  }
  return failed;
}

// ---- the events table's rows, many to a statement ----

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
      statement = this.db.prepare(
        `INSERT INTO events (id, pid, json, text_seq) VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?)').join(', ')}`,
      );
      this.statements.set(rows, statement);
    }
    return statement;
  }
}

// ---- the batch ----

export interface Write {
  /** The process the write belongs to (null: the kernel's own). */
  pid: number | null;
  run: () => void;
  /** The queued events it inserts (placeEvents), from..to. */
  events?: readonly [number, number];
}

/** One write of a batch in a transaction of its own: what it runs, and how it is kept for a retry. */
export interface LoneWrite {
  pid: number | null;
  run: () => void;
  keep(into: WriteBatch): void;
  /** The queued events it commits. */
  events: readonly StoredEvent[];
}

type PutProcess = (pid: number, build: () => ProcessRecord) => void;

export class WriteBatch {
  readonly queue: Write[] = [];
  /** pid -> row builder; a process dirtied many times in a batch is written once. */
  readonly dirty = new Map<number, () => ProcessRecord>();
  readonly events: StoredEvent[] = [];
  /** Who waits for this batch to be durable (`committed()`), and hooks run once it is (`afterCommit`). */
  readonly waiters: Array<() => void> = [];
  readonly after: Array<() => void> = [];
  /** How many of `events` a queued write already inserts. */
  private placed = 0;

  constructor(private readonly inserts: EventInserts) {}

  get empty(): boolean {
    return this.queue.length === 0 && this.dirty.size === 0 && this.events.length === 0;
  }

  /** The events queued so far go in before the writes queued after this. */
  placeEvents(): void {
    const { events, placed: from } = this;
    const to = events.length;
    if (to === from) return;
    this.queue.push({ pid: null, run: () => this.inserts.insert(events, from, to), events: [from, to] });
    this.placed = to;
  }

  /** The transaction's body. Process rows first: a queued write may amend or delete a row written in the same batch. */
  run(putProcess: PutProcess): void {
    for (const [pid, build] of this.dirty) putProcess(pid, build);
    for (const write of this.queue) write.run();
    this.inserts.insert(this.events, this.placed, this.events.length);
  }

  /**
   * Each write alone, in order (one failed on its own): the rest commits, and each failure names
   * its process. A write kept for a retry goes into a batch of its own (`keep`): the kept queue's
   * writes insert their own ranges of this batch's events (they close over them), the rest of the
   * events are kept's own.
   */
  alone(putProcess: PutProcess): LoneWrite[] {
    const writes: LoneWrite[] = [];
    for (const [pid, build] of this.dirty)
      writes.push({ pid, run: () => putProcess(pid, build), keep: (k) => k.dirty.set(pid, build), events: [] });
    for (const write of this.queue) {
      const events = write.events ? this.events.slice(write.events[0], write.events[1]) : [];
      writes.push({ pid: write.pid, run: write.run, keep: (k) => k.queue.push(write), events });
    }
    for (let i = this.placed; i < this.events.length; i++) {
      const stored = this.events[i] as StoredEvent;
      const run = (): void => this.inserts.insert(this.events, i, i + 1);
      writes.push({ pid: stored.event.pid, run, keep: (k) => k.events.push(stored), events: [stored] });
    }
    return writes;
  }

  /** This batch (the engine refused it) and then `later`, as one batch in the same order, with the waiters and hooks of both. */
  before(later: WriteBatch): WriteBatch {
    const merged = new WriteBatch(this.inserts);
    this.placeEvents();
    merged.queue.push(...this.queue, ...later.queue);
    for (const [pid, build] of this.dirty) merged.dirty.set(pid, build);
    for (const [pid, build] of later.dirty) merged.dirty.set(pid, build);
    merged.events.push(...this.events, ...later.events);
    merged.placed = this.events.length + later.placed;
    merged.waiters.push(...this.waiters, ...later.waiters);
    merged.after.push(...this.after, ...later.after);
    return merged;
  }
}

// ---- one commit's transactions ----

export type Plan = Generator<() => void, Outcome, Error | null>;

export type Outcome = { broken: Array<[number, Error]> } & (
  { kept: null } | { kept: WriteBatch; committed: StoredEvent[]; error: Error }
);

/** What a commit's plan needs of the store: its hooks, the process rows' statement, which failures are the engine's, a batch. */
export interface PlanHost {
  hooks(): { log(level: 'error', message: string): void };
  putProcess(record: ProcessRecord): void;
  retryable(error: unknown): boolean;
  fresh(): WriteBatch;
}

/**
 * The transactions of one commit of a batch (its events serialised), each yielded to be run and
 * answered with null or why it failed: all the writes in one, or — when one failed on its own —
 * each write alone, so that the rest commits and the failure names its process. When the engine
 * fails (the disk, the link; not a row) that write and every one after it are kept, in order.
 */
export function* commitPlan(c: PlanHost, batch: WriteBatch): Plan {
  let broken: Array<[number, Error]> = [];
  const put = (pid: number, build: () => ProcessRecord): void => {
    let record: ProcessRecord;
    try {
      record = build();
    } catch (error) {
      broken.push([pid, asError(error)]);
      return;
    }
    c.putProcess(record);
  };
  const whole = yield () => batch.run(put);
  if (whole === null) return { broken, kept: null };
  // Kept whole, in the same order, for the retry.
  if (c.retryable(whole)) return { broken: [], kept: batch, committed: [], error: whole };
  broken = [];
  const kept = c.fresh();
  const committed: StoredEvent[] = [];
  let lost: Error | null = null;
  for (const write of batch.alone(put)) {
    const error: Error | null = lost ?? (yield write.run);
    if (error === null) committed.push(...write.events);
    else if (lost || c.retryable(error)) {
      // The engine failed part way: this write and every one after it are kept, in order.
      lost = error;
      write.keep(kept);
    } else if (write.pid !== null) broken.push([write.pid, error]);
    else c.hooks().log('error', `a kernel write failed and was dropped: ${error.message}`);
  }
  return lost ? { broken, kept, committed, error: lost } : { broken, kept: null };
}

/** A record as the putProcess statement binds it, by position (records.ts PROCESS_COLUMNS' order). */
export function processRow(r: ProcessRecord): unknown[] {
  return [
    r.pid,
    r.ppid,
    r.tree,
    r.name,
    r.role,
    r.task,
    r.model,
    r.priority,
    r.capabilities,
    r.pipe_to,
    r.created_at,
    r.started_at,
    r.ended_at,
    r.state,
    r.exit_code,
    r.exit_reason,
    r.output,
    r.turns,
    r.syscalls,
    r.prompt_tokens,
    r.output_tokens,
    r.cached_tokens,
    r.cost,
    r.max_turns,
    r.wait,
    r.model_mix,
    r.runtime,
  ];
}
