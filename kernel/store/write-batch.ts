/**
 * One group commit's writes: queued statements in order, each process's row once, and the events.
 * Each event is made a row here, once: its JSON (one that cannot be serialised is replaced by an
 * error event saying so), without the text a transcript row already holds. Events are only ever
 * inserted, with new ids, so they go in after the batch's other writes, in multi-row INSERTs (one
 * statement per row cost more than the row itself; a turn makes 7 events) — but for a write that
 * deletes events, which places those queued before it first (`placeEvents`). A batch the disk
 * refused goes before the writes queued since (`before`). What a failure is, is said here too: the
 * disk's (kept and retried) or a row's (its process is told).
 */
import type { KernelEvent } from '../../protocol/events.js';
import type { ProcessRecord, StoredEvent } from './records.js';
import type { SqlDb, SqlStatement } from './sql.js';

// ---- what a failure is, and an event made a row ----

/** Errors of the disk or the file, not of the data: wait and retry rather than blame a process. */
export function isDiskError(error: unknown): boolean {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  return (
    /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|BUSY|LOCKED|PROTOCOL)/.test(code) || /^(ENOSPC|EDQUOT|EROFS|EIO)$/.test(code)
  );
}

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

/** Run one write in a transaction of its own: done, failed on its own (the caller reports it), or the engine failed (kept for a retry). */
export type RunAlone = (pid: number | null, run: () => void) => 'done' | 'failed' | 'retry';

export class WriteBatch {
  readonly queue: Write[] = [];
  /** pid -> row builder; a process dirtied many times in a batch is written once. */
  readonly dirty = new Map<number, () => ProcessRecord>();
  readonly events: StoredEvent[] = [];
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
  run(putProcess: (pid: number, build: () => ProcessRecord) => void): void {
    for (const [pid, build] of this.dirty) putProcess(pid, build);
    for (const write of this.queue) write.run();
    this.inserts.insert(this.events, this.placed, this.events.length);
  }

  /**
   * Each write alone (one failed on its own): the rest commits, and each failure names its process.
   * When the engine fails under one (the link, not the row), it and every write after it are kept,
   * in order, for a retry: returned, with the events that did commit.
   */
  runEach(
    alone: RunAlone,
    putProcess: (pid: number, build: () => ProcessRecord) => void,
  ): { kept: WriteBatch | null; committed: StoredEvent[] } {
    const kept = new WriteBatch(this.inserts);
    const committed: StoredEvent[] = [];
    let failing = false;
    const step = (pid: number | null, run: () => void): boolean => !failing && !(failing = alone(pid, run) === 'retry');
    for (const [pid, build] of this.dirty) if (!step(pid, () => putProcess(pid, build))) kept.dirty.set(pid, build);
    for (const write of this.queue) {
      if (!step(write.pid, write.run)) kept.queue.push(write);
      else if (write.events) committed.push(...this.events.slice(write.events[0], write.events[1]));
    }
    for (let i = this.placed; i < this.events.length; i++) {
      const stored = this.events[i] as StoredEvent;
      if (step(stored.event.pid, () => this.inserts.insert(this.events, i, i + 1))) committed.push(stored);
      else kept.events.push(stored);
    }
    if (!failing) return { kept: null, committed: this.events };
    // The kept queue's writes insert their own ranges of this batch's events (they close over them); the rest are kept's own.
    kept.placed = 0;
    return { kept, committed };
  }

  /** This batch (the disk refused it) and then `later`, as one batch in the same order. */
  before(later: WriteBatch): WriteBatch {
    const merged = new WriteBatch(this.inserts);
    this.placeEvents();
    merged.queue.push(...this.queue, ...later.queue);
    for (const [pid, build] of this.dirty) merged.dirty.set(pid, build);
    for (const [pid, build] of later.dirty) merged.dirty.set(pid, build);
    merged.events.push(...this.events, ...later.events);
    merged.placed = this.events.length + later.placed;
    return merged;
  }
}
