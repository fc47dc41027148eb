/**
 * `ps --all` without stopping the kernel: 100,000 stored rows are ~35 MB of JSON and take SQLite
 * a few hundred ms to make, so a large store is listed by a worker thread and the kernel's thread
 * only hands the bytes to the socket. Small and in-memory stores, and a store that cannot commit
 * (its rows would lag memory), are listed inline.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { param } from './param.js';
import { PS_ROWS_JSON_SQL } from './ps-rows.js';
import { RawJson } from './raw-json.js';
import type { Store } from './store.js';
import type { ProcRow } from './views.js';

export interface PsAllSource {
  store: Store;
  /** The listing made on the kernel's thread: live rows from memory, the rest from the store. */
  inline(): ProcRow[];
  /** At least the number of stored processes (pids are never reused). */
  maxPid(): number;
}

interface Waiter {
  worker: Worker;
  resolve(bytes: Buffer): void;
  reject(error: Error): void;
}

interface ListRequest {
  id: number;
  now: number;
}

type ListReply = { id: number; bytes: Uint8Array } | { id: number; error: string };

/**
 * The worker: its own read-only connection (WAL: it reads the last commit while the kernel goes
 * on writing), the JSON made by SQLite, the bytes moved back without a copy. Plain JavaScript
 * evaluated as is, so it runs the same from dist, under tsx and in a test runner.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
const list = db.prepare(workerData.sql).pluck();
parentPort.on('message', ({ id, now }) => {
  try {
    const bytes = list.get({ now });
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    parentPort.postMessage({ id, bytes }, whole ? [bytes.buffer] : []);
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
`;

export class PsAll {
  private worker: Worker | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();

  constructor(private readonly source: PsAllSource) {}

  /** A worker thread is up (listing, or parked until psWorkerIdleMs passes). */
  get threaded(): boolean {
    return this.worker !== null;
  }

  /** Every process the store knows, as the JSON array `ps --all` answers with. */
  async json(now = Date.now()): Promise<RawJson<ProcRow[]>> {
    const { store } = this.source;
    const committed = store.flush();
    if (store.file === ':memory:' || !committed || this.source.maxPid() < param.psWorkerMinRows) {
      return new RawJson(Buffer.from(JSON.stringify(this.source.inline())));
    }
    return new RawJson(await this.fromWorker(now));
  }

  /** End the worker thread (the kernel is closing). */
  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }

  private fromWorker(now: number): Promise<Buffer> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { worker, resolve, reject });
      worker.postMessage({ id, now } satisfies ListRequest);
    });
  }

  private start(): Worker {
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { sqlite, file: this.source.store.file, sql: PS_ROWS_JSON_SQL } });
    // A parked worker must not keep the daemon (or a test) alive.
    worker.unref();
    worker.on('message', (reply: ListReply) => this.onReply(reply));
    worker.on('error', (error) => this.failAll(worker, error));
    worker.on('exit', (code) => this.failAll(worker, new Error(`the ps worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private onReply(reply: ListReply): void {
    const waiter = this.waiting.get(reply.id);
    this.waiting.delete(reply.id);
    if ('error' in reply) waiter?.reject(new Error(`ps --all: ${reply.error}`));
    else waiter?.resolve(Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength));
    if (this.waiting.size === 0 && this.worker) {
      const worker = this.worker;
      this.idleTimer = setTimeout(() => {
        if (this.worker === worker) this.worker = null;
        void worker.terminate();
      }, param.psWorkerIdleMs).unref();
    }
  }

  private failAll(worker: Worker, error: Error): void {
    if (this.worker === worker) this.worker = null;
    for (const [id, waiter] of this.waiting) {
      if (waiter.worker !== worker) continue;
      this.waiting.delete(id);
      waiter.reject(error);
    }
  }
}
