/**
 * The thread that lists every stored process for `ps --all` (ps-all.ts decides when): its own
 * read-only connection (WAL: it reads the last commit while the kernel goes on writing) and the
 * JSON made by SQLite. The bytes come back in a buffer shared with the kernel's thread and reused
 * from one listing to the next, so ~35 MB a listing never lands on the kernel's heap (a fresh
 * buffer each time made V8 collect its whole heap about every other listing).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { param } from '../../sys/param.js';
import { PS_ROWS_JSON_SQL } from './ps-rows.js';
import { RawJson } from '../../protocol/raw-json.js';
import type { ProcRow } from '../../protocol/views.js';

type Reply = { id: number; length: number } | { id: number; bytes: Uint8Array } | { id: number; error: string };

interface Waiter {
  shared: boolean;
  resolve(json: RawJson<ProcRow[]>): void;
  reject(error: Error): void;
}

/** Plain JavaScript evaluated as is, so it runs the same from dist, under tsx and in a test runner. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
const list = db.prepare(workerData.sql).pluck();
let shared = null;
parentPort.on('message', (message) => {
  if (message.sab) return void (shared = message.sab);
  const { id, now } = message;
  try {
    const bytes = list.get({ now });
    if (message.shared && shared && bytes.length <= shared.byteLength) {
      new Uint8Array(shared).set(bytes);
      return parentPort.postMessage({ id, length: bytes.length });
    }
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    parentPort.postMessage({ id, bytes }, whole ? [bytes.buffer] : []);
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
`;

export class PsThread {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  private shared: SharedArrayBuffer | null = null;
  /** The shared buffer is being written to a socket: the next listing must not overwrite it. */
  private sharedBusy = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private ended = false;

  constructor(file: string, onEnd: (thread: PsThread) => void) {
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { sqlite, file, sql: PS_ROWS_JSON_SQL } });
    this.worker.on('message', (reply: Reply) => this.onReply(reply));
    const end = (error: Error): void => {
      this.ended = true;
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
      onEnd(this);
    };
    this.worker.on('error', end);
    this.worker.on('exit', (code) => end(new Error(`the ps --all thread exited (code ${code})`)));
    // A parked thread must not keep the daemon (or a test) alive; after the listeners, which ref it again.
    // While a listing is under way it does: the program is waiting for it (list() refs, the last reply unrefs).
    this.worker.unref();
  }

  list(now: number): Promise<RawJson<ProcRow[]>> {
    if (this.ended) return Promise.reject(new Error('the ps --all thread has ended'));
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const shared = this.shared !== null && !this.sharedBusy;
    if (shared) this.sharedBusy = true;
    const id = this.nextId++;
    if (this.waiting.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { shared, resolve, reject });
      this.worker.postMessage({ id, now, shared });
    });
  }

  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    await this.worker.terminate();
  }

  private onReply(reply: Reply): void {
    const waiter = this.waiting.get(reply.id);
    this.waiting.delete(reply.id);
    if (!waiter) return;
    if ('error' in reply) {
      if (waiter.shared) this.sharedBusy = false;
      waiter.reject(new Error(`ps --all: ${reply.error}`));
    } else if ('length' in reply) {
      waiter.resolve(new RawJson(Buffer.from(this.shared as SharedArrayBuffer, 0, reply.length), this.releaser()));
    } else {
      if (waiter.shared) this.sharedBusy = false;
      this.growShared(reply.bytes.length);
      waiter.resolve(new RawJson(Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength)));
    }
    if (this.waiting.size === 0) {
      this.worker.unref();
      this.idleTimer = setTimeout(() => void this.close(), param.psWorkerIdleMs).unref();
    }
  }

  /** Frees the shared buffer for the next listing once the socket has taken it (once). */
  private releaser(): () => void {
    const sab = this.shared;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (this.shared === sab) this.sharedBusy = false;
    };
  }

  /** A listing that did not fit: room for it and a quarter more next time. */
  private growShared(bytes: number): void {
    if (this.shared && bytes <= this.shared.byteLength) return;
    this.shared = new SharedArrayBuffer(Math.ceil(bytes * 1.25));
    this.sharedBusy = false;
    this.worker.postMessage({ sab: this.shared });
  }
}
