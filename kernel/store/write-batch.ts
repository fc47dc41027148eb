/**
 * One group commit's writes: queued statements in order, each process's row once, and the events.
 * Events are only ever inserted, with new ids, so they go in after the batch's other writes, in
 * multi-row INSERTs — but for a write that deletes events, which places those queued before it
 * first (`placeEvents`). A batch the disk refused goes before the writes queued since (`before`).
 */
import type { EventInserts } from './event-inserts.js';
import type { ProcessRecord } from './records.js';
import type { StoredEvent } from './records.js';

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
  runEach(alone: RunAlone, putProcess: (pid: number, build: () => ProcessRecord) => void): { kept: WriteBatch | null; committed: StoredEvent[] } {
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
