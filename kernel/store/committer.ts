/**
 * Where the store's group commits run. SQLite's work for a commit — every statement and the WAL's
 * writes — takes 60–80 µs of a turn (bench/delay.ts: 100 agents whose replies land together), and
 * on the kernel's thread it delays every reply that lands while it runs. So a store on a file
 * commits on a thread of its own: the kernel's thread hands it the batch (a structured clone,
 * ~3 µs a turn) and goes on; the thread says what became of each batch, in order. A caller that
 * must read what it just wrote waits for the thread (`waitFor`, a few milliseconds at most).
 *
 * A store in memory (one connection, nothing to share) commits on the kernel's thread, with the
 * same code (commit-queue.ts). So does a store on a file until its thread has opened the database
 * (a kernel's first commits do not wait ~40 ms for a thread to start), and from the moment the
 * thread dies (it takes over the batches the thread had not committed).
 */
import { createRequire } from 'node:module';
import { type MessagePort, MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { type Batch, COMMIT_QUEUE_SOURCE, type CommitQueue, commitQueueClass, type Outcome } from './commit-queue.js';

export interface Committer {
  /** Hand a batch over; its outcome comes through `onOutcome`. */
  submit(batch: Batch): void;
  /** Block until the outcome of batch `seq` (and every one before it) is known. */
  waitFor(seq: number): void;
  /** SQLite's own checkpoints on the writing connection (0: off, the store's checkpoint thread does them). */
  autocheckpoint(pages: number): void;
  /** Batches given up because the disk still refused them. */
  close(): number;
  /** Commits run on a thread of their own right now. */
  readonly onThread: boolean;
}

export interface CommitterOptions {
  onOutcome(outcome: Outcome): void;
  log(level: 'warn' | 'error', message: string): void;
  retryMs: number;
  /** Pages between SQLite's automatic checkpoints on the writing connection. */
  autocheckpoint: number;
}

/** Commits on the calling thread: outcomes are known when `submit` returns. */
export class InlineCommitter implements Committer {
  private readonly queue: CommitQueue;

  constructor(
    private readonly db: Database.Database,
    options: CommitterOptions,
  ) {
    const Queue = commitQueueClass();
    this.queue = new Queue(db, (outcome) => options.onOutcome(outcome), options.retryMs);
    db.pragma(`wal_autocheckpoint = ${options.autocheckpoint}`);
  }

  submit(batch: Batch): void {
    this.queue.submit(batch);
  }

  readonly onThread = false;

  waitFor(): void {}

  holding(): boolean {
    return this.queue.holding();
  }

  autocheckpoint(pages: number): void {
    this.db.pragma(`wal_autocheckpoint = ${pages}`);
  }

  close(): number {
    return this.queue.stop();
  }
}

/** The thread: its own connection, the commit queue, and a counter it bumps after each outcome it posts. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
${COMMIT_QUEUE_SOURCE}
const { port, signal } = workerData;
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = ' + workerData.autocheckpoint);
port.postMessage({ ready: true });
const queue = new CommitQueue(db, (outcome) => {
  port.postMessage(outcome);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}, workerData.retryMs);
port.on('message', (message) => {
  if (message.batch) return queue.submit(message.batch);
  if (message.autocheckpoint !== undefined) return db.pragma('wal_autocheckpoint = ' + message.autocheckpoint);
  if (message.close) {
    const left = queue.stop();
    db.close();
    port.postMessage({ closed: left });
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
    port.close();
  }
});
`;

type Message = Outcome | { closed: number } | { ready: true };

/** How long a blocked caller waits between checks that the thread is still alive. */
const WAIT_SLICE_MS = 1_000;
/** How long closing waits for the thread to say it has closed its connection. */
const CLOSE_WAIT_MS = 10_000;

export class ThreadCommitter implements Committer {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  /** Submitted and not known to be committed: what the kernel's thread takes over if the thread dies. */
  private readonly unsettled = new Map<number, Batch>();
  /** The highest batch whose outcome is known. */
  private known = 0;
  private closed: number | null = null;
  /** The thread has opened the database. */
  private ready = false;
  /** The thread is gone for good. */
  private dead = false;
  /** Commits on the kernel's thread: before the thread is ready, after it died, and while what it holds drains. */
  private readonly inline: InlineCommitter;

  constructor(
    file: string,
    private readonly db: Database.Database,
    private readonly options: CommitterOptions,
  ) {
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { sqlite, file, port: port2, signal: this.signal, retryMs: options.retryMs, autocheckpoint: options.autocheckpoint },
      transferList: [port2],
    });
    // Never what keeps a process alive: the store's close ends it.
    this.worker.unref();
    this.port.unref();
    this.inline = new InlineCommitter(db, { ...options, onOutcome: (outcome) => this.receive(outcome) });
    this.port.on('message', (message: Message) => this.receive(message));
    this.worker.on('error', (error) => this.takeOver(`the store's commit thread failed: ${error.message}`));
    this.worker.on('exit', (code) => {
      if (this.closed === null) this.takeOver(`the store's commit thread exited (code ${code})`);
    });
  }

  get onThread(): boolean {
    return this.ready && !this.dead && !this.inline.holding();
  }

  submit(batch: Batch): void {
    // Batches stay in order: once on the thread, never back here unless the thread is gone.
    if (this.dead || !this.ready || this.inline.holding()) return this.inline.submit(batch);
    this.unsettled.set(batch.seq, batch);
    this.port.postMessage({ batch });
  }

  waitFor(seq: number): void {
    while (this.known < seq && !this.dead) {
      const seen = Atomics.load(this.signal, 0);
      this.drain();
      if (this.known >= seq) return;
      if (Atomics.wait(this.signal, 0, seen, WAIT_SLICE_MS) === 'timed-out' && !this.alive()) this.takeOver("the store's commit thread stopped answering");
    }
  }

  autocheckpoint(pages: number): void {
    this.inline.autocheckpoint(pages);
    if (!this.dead) this.port.postMessage({ autocheckpoint: pages });
  }

  close(): number {
    const here = this.inline.close();
    if (this.dead) return here;
    this.port.postMessage({ close: true });
    const deadline = Date.now() + CLOSE_WAIT_MS;
    while (this.closed === null && Date.now() < deadline) {
      const seen = Atomics.load(this.signal, 0);
      this.drain();
      if (this.closed !== null) break;
      Atomics.wait(this.signal, 0, seen, Math.max(1, deadline - Date.now()));
    }
    this.drain();
    this.port.close();
    void this.worker.terminate();
    return here + (this.closed ?? this.unsettled.size);
  }

  private alive(): boolean {
    return this.worker.threadId !== -1;
  }

  private drain(): void {
    for (let message = receiveMessageOnPort(this.port); message; message = receiveMessageOnPort(this.port)) this.receive(message.message as Message);
  }

  private receive(message: Message): void {
    if ('ready' in message) {
      this.ready = true;
      return;
    }
    if ('closed' in message) {
      this.closed = message.closed;
      return;
    }
    if (!message.held) this.unsettled.delete(message.seq);
    this.known = Math.max(this.known, message.seq);
    this.options.onOutcome(message);
  }

  /** The thread is gone: commit on this thread from now on, starting with what it had not committed. */
  private takeOver(reason: string): void {
    if (this.dead || this.closed !== null) return;
    this.drain();
    this.dead = true;
    this.options.log('error', `${reason}; committing on the kernel's thread from now on`);
    const left = [...this.unsettled.values()].sort((a, b) => a.seq - b.seq);
    this.unsettled.clear();
    for (const batch of left) this.inline.submit(batch);
  }
}
