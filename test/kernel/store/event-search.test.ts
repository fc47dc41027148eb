import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { eventsAfter, eventsBefore, lastEventId } from '../../../kernel/store/event-pages.js';
import { indexAll, searchEvents, toMatch } from '../../../kernel/store/event-search.js';
import { SCHEMA_1 } from '../../../kernel/store/schema.js';
import { Store } from '../../../kernel/store/store.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

async function openStore(): Promise<{ store: Store; file: string }> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-search-'));
  const file = path.join(dir, 'aos.db');
  return { store: Store.open(file), file };
}

function say(store: Store, pid: number, text: string): void {
  store.events.add({ ts: new Date().toISOString(), pid, type: 'error', message: text });
}

const ids = (rows: Array<{ id: number }>): number[] => rows.map((r) => r.id);
const all = { pid: null, before: null, limit: 100 };

describe('event pages and search', () => {
  it('pages by event id, newest first, and resumes after an id', async () => {
    const { store } = await openStore();
    for (let i = 0; i < 10; i++) say(store, 1 + (i % 2), `line ${i}`);
    store.flush();
    expect(await lastEventId(store)).toBe(10);
    expect(ids(await eventsBefore(store, { pid: null, before: null, limit: 3 }))).toEqual([10, 9, 8]);
    expect(ids(await eventsBefore(store, { pid: 2, before: 8, limit: 3 }))).toEqual([6, 4, 2]);
    expect(ids(await eventsAfter(store, 7, 100))).toEqual([8, 9, 10]);
    store.close();
  });

  it('finds events by words (the last one a prefix), indexing on demand, and forgets removed ones', async () => {
    const { store } = await openStore();
    say(store, 1, 'the quick brown fox');
    say(store, 2, 'a lazy dog');
    say(store, 2, 'quicksilver "quoted" NEAR(x) OR y');
    store.flush();
    expect(searchEvents(store, 'quick', all)).toEqual([]);
    await indexAll(store, 2);
    expect(ids(searchEvents(store, 'quick', all))).toEqual([3, 1]);
    expect(ids(searchEvents(store, 'quick', { ...all, pid: 1 }))).toEqual([1]);
    expect(ids(searchEvents(store, 'brown quick', all))).toEqual([1]);
    expect(ids(searchEvents(store, '"quoted" NEAR(x', all))).toEqual([3]);
    expect(searchEvents(store, '   ', all)).toEqual([]);
    say(store, 1, 'a quick addition');
    store.flush();
    await indexAll(store, 100);
    expect(ids(searchEvents(store, 'quick', { ...all, before: 4 }))).toEqual([3, 1]);
    store.processes.remove([2]);
    store.flush();
    expect(ids(searchEvents(store, 'quick', all))).toEqual([4, 1]);
    store.close();
  });

  it('quotes every word: no FTS5 operator reaches the index', () => {
    expect(toMatch('a OR b*')).toBe('"a" "OR" "b*"*');
    expect(toMatch('say "hi"')).toBe('"say" """hi"""*');
    expect(toMatch('')).toBeNull();
  });

  it('a version 2 store migrates to the search schema and its old events are found', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-search-'));
    const file = path.join(dir, 'aos.db');
    const old = new Database(file);
    old.exec(SCHEMA_1);
    old.exec(
      'CREATE TABLE turn_results (pid INTEGER NOT NULL, seq INTEGER NOT NULL, line TEXT NOT NULL, PRIMARY KEY (pid, seq)) WITHOUT ROWID',
    );
    old.prepare("INSERT INTO meta (key, value) VALUES ('schema', '2')").run();
    old
      .prepare('INSERT INTO events (id, pid, json) VALUES (1, 1, ?)')
      .run(JSON.stringify({ ts: 'x', pid: 1, type: 'error', message: 'migrated words' }));
    old.close();
    const store = Store.open(file);
    await indexAll(store, 10);
    expect(ids(searchEvents(store, 'migrated', all))).toEqual([1]);
    store.close();
  });
});
