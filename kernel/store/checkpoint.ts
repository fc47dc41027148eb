/**
 * WAL checkpoints off the kernel's thread. SQLite's automatic checkpoint runs inside a commit
 * every 1,000 pages — pages copied into the database file, then an fsync: 10–35 ms of the kernel's
 * thread every ~100 ms of a burst (bench/burst.ts). The store turns it off and tells this thread
 * after each commit; the thread checkpoints (PASSIVE: it never blocks the kernel's writes or
 * readers) at most every param.storeCheckpointMs, and not at all while nothing is committed.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

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
