/**
 * SQLite's WAL checkpoints, on a thread of their own. SQLite's automatic checkpoint runs inside a
 * commit every 1,000 pages — pages copied into the database file, then an fsync: 10–35 ms of the
 * kernel's thread every ~100 ms of a burst (bench/burst.ts). The SQLite engine (engine.ts) turns it
 * off and starts this thread, which checkpoints (PASSIVE: it never blocks the kernel's writes or
 * readers) at most every param.storeCheckpointMs, and not at all while nothing is committed.
 *
 * The group commit (commit.ts) counts its commits in memory this thread shares and wakes it
 * (Atomics.notify): no message, and no call into this file, on a turn's path.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Plain JavaScript evaluated as is: the same from dist, under tsx and in a test runner. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
// Opened at the first checkpoint, not at the start: a store closed before then (a command that reads
// it, a test) never has its files made again by this thread after its own connection removed them.
let db = null;
const commits = new Int32Array(workerData.commits);
let seen = 0;
// The first checkpoint comes a period after the start, as every later one after the one before.
let last = Date.now();
let failing = false;
let stopped = false;
function checkpoint() {
  last = Date.now();
  try {
    db ??= new Database(workerData.file, { fileMustExist: true });
    db.pragma('wal_checkpoint(PASSIVE)');
    if (failing) parentPort.postMessage({ ok: true });
    failing = false;
  } catch (error) {
    // Said once per run of failures, not at every commit.
    if (!failing) parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) });
    failing = true;
  }
}
async function run() {
  for (;;) {
    const waited = Atomics.waitAsync(commits, 0, seen);
    if (waited.async) await waited.value;
    if (stopped) return;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, last + workerData.everyMs - Date.now())));
    if (stopped) return;
    // Commits made while it waited are in this checkpoint.
    seen = Atomics.load(commits, 0);
    checkpoint();
  }
}
void run();
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  stopped = true;
  db?.close();
  // A wait on the shared count would keep the thread alive.
  process.exit(0);
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
  /** [0]: commits made; the group commit adds to it and wakes the thread. */
  readonly commits = new Int32Array(new SharedArrayBuffer(4));

  constructor(file: string, everyMs: number, hooks: CheckpointHooks) {
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { sqlite, file, everyMs, commits: this.commits.buffer },
    });
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
