/**
 * `ps --all` without stopping the kernel: 100,000 stored rows are ~35 MB of JSON and take SQLite
 * a few hundred ms to make, so a large store is listed by a thread of its own (ps-all-thread.ts)
 * and the kernel's thread only hands the bytes to the socket. Small and in-memory stores, and a
 * store that cannot commit (its rows would lag memory), are listed inline.
 */
import { param } from '../../sys/param.js';
import { PsThread } from './ps-all-thread.js';
import { RawJson } from '../../protocol/raw-json.js';
import type { Store } from './store.js';
import type { ProcRow } from '../../protocol/views.js';

export interface PsAllSource {
  store: Store;
  /** The listing made on the kernel's thread: live rows from memory, the rest from the store. */
  inline(): Promise<ProcRow[]>;
  /** At least the number of stored processes (pids are never reused). */
  maxPid(): number;
}

export class PsAll {
  private thread: PsThread | null = null;

  constructor(private readonly source: PsAllSource) {}

  /** The listing thread is up (listing, or parked until psWorkerIdleMs passes). */
  get threaded(): boolean {
    return this.thread !== null;
  }

  /**
   * Every process the store knows, as the JSON array `ps --all` answers with. Call the result's
   * `release` once its bytes are sent: they may live in a buffer the next listing reuses.
   */
  async json(now = Date.now()): Promise<RawJson<ProcRow[]>> {
    const { store } = this.source;
    const committed = await store.flushed();
    if (store.file === ':memory:' || !committed || this.source.maxPid() < param.psWorkerMinRows) {
      return new RawJson(Buffer.from(JSON.stringify(await this.source.inline())));
    }
    this.thread ??= new PsThread(store.file, (ended) => {
      if (this.thread === ended) this.thread = null;
    });
    return this.thread.list(now);
  }

  /** End the listing thread (the kernel is closing). */
  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = null;
    await thread?.close();
  }
}
