/**
 * Ids on PostgreSQL (api.ts's StoreIds): pids and message ids from sequences every node on the
 * database shares, so no two nodes hand out the same one. Pids one by one, so they count 1, 2, 3
 * across the cluster, each a round trip the kernel's thread waits for (api.ts says why). Message ids in blocks of
 * ID_BLOCK (one round trip per block), the next block reserved in the background once half of this
 * one is handed out, so a message waits for the database only when a burst outruns that.
 */
import type { StoreIds } from '../api.js';
import type { SqliteStore } from '../sqlite.js';

/** Message ids are handed out in blocks of this many (the sequence counts by it). */
export const ID_BLOCK = 32;

export class PgIds implements StoreIds {
  private block = { next: 0, end: 0 };
  /** The start of the next block of message ids, once reserved. */
  private ahead: number | null = null;
  private reserving = false;
  private last: number;

  constructor(private readonly store: SqliteStore) {
    this.last = (store.sql.prepare('SELECT COALESCE(MAX(pid), 0) AS n FROM processes').get() as { n: number }).n;
  }

  private nextvalNow(sequence: string): number {
    return Number((this.store.sql.prepare(`SELECT nextval('public.${sequence}') AS n`).get() as { n: number }).n);
  }

  private async nextvalLater(sequence: string): Promise<number> {
    const [row] = await this.store.rows<{ n: number }>(`SELECT nextval('public.${sequence}') AS n`);
    if (!row) throw new Error(`nextval of ${sequence} gave no row`);
    return Number(row.n);
  }

  nextPid(): number {
    this.last = this.nextvalNow('aos_pids');
    return this.last;
  }

  lastPid(): number {
    return this.last;
  }

  nextMessageId(): number {
    const block = this.block;
    if (block.next >= block.end) {
      block.next = this.ahead ?? this.nextvalNow('aos_message_ids');
      block.end = block.next + ID_BLOCK;
      this.ahead = null;
    }
    if (block.end - block.next <= ID_BLOCK / 2) this.reserve();
    return block.next++;
  }

  /** Reserve the next block in the background; a failure leaves it to `nextMessageId` to take one at once (and say why). */
  private reserve(): void {
    if (this.ahead !== null || this.reserving) return;
    this.reserving = true;
    this.nextvalLater('aos_message_ids').then(
      (start) => {
        this.reserving = false;
        this.ahead = start;
      },
      () => {
        this.reserving = false;
      },
    );
  }
}
