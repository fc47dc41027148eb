/**
 * Message ids on PostgreSQL without holding the kernel's thread (issue 48, item 5; pg/ids.ts): they
 * come from a block of the shared sequence, and the next block is reserved in the background once
 * half of this one is handed out, so handing them out goes on while another session holds the
 * sequence's lock; every id is new and each block runs on from its start.
 */
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PG_SKIP } from '../cluster/pg-fixture.js';
import { pgStoresPerFile } from './pg-lock.js';

const pgStore = pgStoresPerFile('aos:ids');

/** Hold the sequence's lock from the admin's session (ALTER SEQUENCE in an open transaction): nextval waits for it. */
async function lockSequence(admin: pg.Client): Promise<() => Promise<void>> {
  await admin.query('BEGIN');
  await admin.query('ALTER SEQUENCE public.aos_message_ids INCREMENT BY 32');
  return async () => void (await admin.query('ROLLBACK'));
}

describe.skipIf(PG_SKIP)('ids on the PostgreSQL store', () => {
  it('hands out message ids from a block reserved in the background while the sequence is locked', async () => {
    const { store, admin } = await pgStore();
    const first = Array.from({ length: 17 }, () => store.ids.nextMessageId());
    // Half the block is handed out: the next one is reserved, awaited. A read sent after it answers after it.
    const start = first[0]!;
    await store.events.lastId();
    const { rows } = await admin.query('SELECT last_value FROM public.aos_message_ids');
    expect(Number((rows[0] as { last_value: string }).last_value)).toBe(start + 32);
    const release = await lockSequence(admin);
    const rest = Array.from({ length: 15 + 32 }, () => store.ids.nextMessageId());
    await release();
    const all = [...first, ...rest];
    expect(new Set(all).size).toBe(all.length);
    expect(all.slice(0, 32)).toEqual(Array.from({ length: 32 }, (_, i) => start + i));
    expect(rest.slice(15)).toEqual(Array.from({ length: 32 }, (_, i) => start + 32 + i));
  }, 30_000);
});
