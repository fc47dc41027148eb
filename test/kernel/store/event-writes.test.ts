/**
 * Events are written in multi-row INSERTs at the commit, after the batch's other writes — except
 * where a write deletes events (removeProcesses): the events queued before it go in first. Nothing
 * is lost, duplicated or reordered, through a full disk and through a write that fails on its own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { Store } from '../../../kernel/store/store.js';
import type { KernelEvent } from '../../../protocol/events.js';

let store: Store | null = null;
let dir = '';
afterEach(async () => {
  store?.close();
  store = null;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

const message = (pid: number, content: string): KernelEvent => ({
  ts: new Date().toISOString(),
  pid,
  type: 'error',
  message: content,
});

/** Every stored event as `pid:message`, in id order, with the ids checked to rise. */
function stored(s: Store): string[] {
  const rows = s.query(
    (db) => db.prepare('SELECT id, json FROM events ORDER BY id').all() as Array<{ id: number; json: string }>,
  );
  rows.forEach((row, i) => expect(row.id).toBeGreaterThan(rows[i - 1]?.id ?? 0));
  return rows.map((row) => {
    const event = JSON.parse(row.json) as Extract<KernelEvent, { type: 'error' }>;
    return `${event.pid}:${event.message}`;
  });
}

describe('event writes', () => {
  it('stores a batch of any size in order (several multi-row INSERTs and a remainder)', () => {
    store = Store.open(':memory:');
    const expected: string[] = [];
    for (let i = 0; i < 101; i++) {
      store.events.add(message(1 + (i % 7), `e${i}`));
      expected.push(`${1 + (i % 7)}:e${i}`);
    }
    expect(store.flush()).toBe(true);
    expect(stored(store)).toEqual(expected);
  });

  it('deletes the events a removal follows in the same batch, and keeps those queued after it', () => {
    store = Store.open(':memory:');
    store.events.add(message(5, 'before'));
    store.events.add(message(6, 'other'));
    store.processes.remove([5]);
    store.events.add(message(5, 'after'));
    store.events.add(message(6, 'later'));
    expect(store.flush()).toBe(true);
    expect(stored(store)).toEqual(['6:other', '5:after', '6:later']);
  });

  it('keeps every event through a full disk and commits each once when space returns', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-event-writes-'));
    store = Store.open(path.join(dir, 'aos.db'));
    const s = store;
    const pages = s.query((db) => (db as Database.Database).pragma('page_count', { simple: true }) as number);
    // SQLite refuses to grow the file past this: SQLITE_FULL, as a full disk.
    s.query((db) => (db as Database.Database).pragma(`max_page_count = ${pages}`));
    const big = 'x'.repeat(20_000);
    for (let i = 0; i < 40; i++) s.events.add(message(1, `${i}${big}`));
    s.processes.remove([9]);
    for (let i = 40; i < 50; i++) s.events.add(message(2, `${i}${big}`));
    expect(s.flush()).toBe(false);
    expect(s.healthy).toBe(false);
    // More arrive while the disk is full, one more removal among them.
    s.events.add(message(3, 'while full'));
    s.processes.remove([8]);
    s.events.add(message(3, 'still full'));
    s.query((db) => (db as Database.Database).pragma('max_page_count = 1000000'));
    expect(s.flush()).toBe(true);
    const expected = [
      ...Array.from({ length: 40 }, (_, i) => `1:${i}${big}`),
      ...Array.from({ length: 10 }, (_, i) => `2:${i + 40}${big}`),
      '3:while full',
      '3:still full',
    ];
    expect(stored(s)).toEqual(expected);
  });

  it('commits every event when another write of the batch fails on its own, and names that write’s process', () => {
    store = Store.open(':memory:');
    const blamed: number[] = [];
    store.hooks = { ...store.hooks, onWriteError: (pid) => blamed.push(pid) };
    store.events.add(message(1, 'a'));
    store.write(4, () => {
      throw new Error('a row of its own that cannot be written');
    });
    store.events.add(message(2, 'b'));
    expect(store.flush()).toBe(true);
    expect(blamed).toEqual([4]);
    expect(stored(store)).toEqual(['1:a', '2:b']);
  });
});
