/**
 * When the store's disk work runs: its group commits, on the kernel's thread, and the WAL
 * checkpoints that follow them, on a thread of their own.
 *
 * Commits (CommitTiming). Someone waiting for a commit (an acknowledgement, the barrier before a
 * call that touches the host) gets it in the next turn of the event loop — or, while such commits
 * keep coming, param.storeCommitPaceMs after the last one, with every waiter of that window — and
 * so does a saturated loop: while turns have queued behind the turn gate for longer than a quiet
 * window, there is no quiet moment to wait for. Other writes gather until they have been quiet for
 * param.storeCommitQuietMs, and at most param.storeCommitDelayMs after the first of them: a round
 * of replies that lands over a few milliseconds (100 agents on a slow model, their timers firing in
 * several batches) is handled first and committed once after it, instead of the later replies
 * waiting behind a commit of the earlier ones. A batch that reaches param.storeCommitMaxWrites
 * commits at once: replies that never pause commit in pieces of a few milliseconds.
 *
 * Checkpoints (Checkpointer). SQLite's automatic checkpoint runs inside a commit every 1,000 pages
 * — pages copied into the database file, then an fsync: 10–35 ms of the kernel's thread every
 * ~100 ms of a burst (bench/burst.ts). The store turns it off and tells the checkpoint thread after
 * each commit; the thread checkpoints (PASSIVE: it never blocks the kernel's writes or readers) at
 * most every param.storeCheckpointMs, and not at all while nothing is committed.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { runAsKernel } from '../../sys/blame.js';
import { turnsWaitingForMs } from '../../sys/turn-gate.js';
import { param } from '../../sys/param.js';

export class CommitTiming {
  /** A commit is due in the next turn of the loop (or, paced, by `paced`). */
  private soon = false;
  private paced: NodeJS.Timeout | null = null;
  /** When the last commit that someone waited for ran. */
  private lastWaited = Number.NEGATIVE_INFINITY;
  /** Someone waits for the commit that is due. */
  private waited = false;
  /** The quiet check's timer, while writes gather. */
  private timer: NodeJS.Timeout | null = null;
  /** Writes so far: a quiet window is one in which this did not move. */
  private writes = 0;
  /** When the gathering batch began, and the write count then. */
  private gatherStart = 0;
  private gatherFrom = 0;

  constructor(private readonly commit: () => void) {}

  /** A write was queued; `now`: someone waits for it to be committed. */
  request(now: boolean): void {
    this.writes++;
    this.waited ||= now;
    if (this.soon) return;
    if (now) {
      this.cancel();
      this.soon = true;
      const wait = this.lastWaited + param.storeCommitPaceMs - performance.now();
      if (wait > 0) this.paced = runAsKernel(() => setTimeout(this.commit, wait));
      else runAsKernel(() => setImmediate(this.commit));
    } else if (
      turnsWaitingForMs() >= param.storeCommitQuietMs ||
      (this.timer && this.writes - this.gatherFrom >= param.storeCommitMaxWrites)
    ) {
      this.cancel();
      this.soon = true;
      runAsKernel(() => setImmediate(this.commit));
    } else if (!this.timer) {
      this.gatherStart = performance.now();
      this.gatherFrom = this.writes - 1; // this write is the batch's first
      this.checkQuietAfter(this.writes);
    }
  }

  /** A commit ran: nothing is due until the next write. */
  reset(): void {
    if (this.waited) this.lastWaited = performance.now();
    this.waited = false;
    this.soon = false;
    if (this.paced) clearTimeout(this.paced);
    this.paced = null;
    this.cancel();
  }

  private checkQuietAfter(seen: number): void {
    this.timer = runAsKernel(() =>
      setTimeout(() => {
        this.timer = null;
        const gathered = performance.now() - this.gatherStart;
        if (this.writes !== seen && gathered + param.storeCommitQuietMs < param.storeCommitDelayMs)
          this.checkQuietAfter(this.writes);
        else this.commit();
      }, param.storeCommitQuietMs),
    );
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

// ---- checkpoints, off the kernel's thread ----

/** Plain JavaScript evaluated as is: the same from dist, under tsx and in a test runner. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file, { fileMustExist: true });
let timer = null;
let last = 0;
let failing = false;
function checkpoint() {
  timer = null;
  last = Date.now();
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    if (failing) parentPort.postMessage({ ok: true });
    failing = false;
  } catch (error) {
    // Said once per run of failures, not at every commit.
    if (!failing) parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) });
    failing = true;
  }
}
parentPort.on('message', (message) => {
  if (message === 'stop') {
    if (timer) clearTimeout(timer);
    db.close();
    parentPort.close();
  } else if (!timer) {
    timer = setTimeout(checkpoint, Math.max(0, last + workerData.everyMs - Date.now()));
  }
});
`;

const STOP_GRACE_MS = 2_000;

export interface CheckpointHooks {
  /** Checkpoints fail (the WAL keeps the data; the next one retries), or work again (null). */
  onError(message: string | null): void;
  /** The thread is gone: the store should checkpoint by itself again. */
  onExit(): void;
}

export class Checkpointer {
  private worker: Worker | null;

  constructor(file: string, everyMs: number, hooks: CheckpointHooks) {
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { sqlite, file, everyMs } });
    worker.on('message', (message: { error?: string }) => hooks.onError(message.error ?? null));
    worker.on('error', (error) => hooks.onError(error.message));
    worker.on('exit', () => {
      if (this.worker === worker) hooks.onExit();
      this.worker = null;
    });
    // Never what keeps a process alive: the store's close stops it anyway. After the listeners:
    // adding a 'message' listener refs the worker's port again (an unref before it is undone).
    worker.unref();
    this.worker = worker;
  }

  /** Something was committed: a checkpoint is due within param.storeCheckpointMs. */
  committed(): void {
    this.worker?.postMessage('commit');
  }

  /**
   * Close the thread's connection and end it; resolves once the thread is gone. Until then its
   * connection may still change the store's files (the last connection to close removes the WAL).
   */
  stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (!worker) return Promise.resolve();
    const gone = new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      // Waited for now: a process whose last work is this close must not end (exit code 13, an
      // unsettled await) before the thread does.
      worker.ref();
      // A thread stuck in a checkpoint is not waited for forever.
      setTimeout(() => void worker.terminate(), STOP_GRACE_MS).unref();
    });
    worker.postMessage('stop');
    return gone;
  }
}
