/**
 * A prompt or a model reply is a transcript row: its event is stored without the text, naming the
 * row, and every reader (logs, the web view's pages, search, the live streams) still gets it whole.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_1 } from '../../../kernel/store/schema.js';
import { Store } from '../../../kernel/store/store.js';
import type { KernelEvent } from '../../../protocol/events.js';
import { call, type Harness, startHarness } from '../../helpers/kernel-harness.js';

let h: Harness | null = null;
let dir = '';
afterEach(async () => {
  await h?.close();
  h = null;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

const withText = (e: KernelEvent): boolean => e.type === 'prompt' || e.type === 'model';
const parse = (rows: Array<{ json: string }>): KernelEvent[] => rows.map((r) => JSON.parse(r.json) as KernelEvent);

describe('events whose text is a transcript row', () => {
  it('are stored once, in the transcript, and read back whole by every reader', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-text-rows-'));
    const storeFile = path.join(dir, 'aos.db');
    h = await startHarness(
      {
        root: [
          `thinking about quokkas\n${call('FS_WRITE', { path: '/f.txt', content: 'wombat '.repeat(200) })}`,
          `now the file\n${call('FS_READ', { path: '/f.txt' })}`,
          call('SYS_EXIT', { code: 0, result: 'done: "quoted" \\ and \u00e9' }),
        ],
      },
      { storeFile },
    );
    const committed: KernelEvent[] = [];
    h.kernel.store.onCommitted((events) => committed.push(...events.map((e) => JSON.parse(e.json) as KernelEvent)));
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(0);
    h.kernel.store.flush();
    const live = h.eventsOf(pcb.pid);
    expect(live.filter(withText).length).toBe(6);

    // The table: no text in those rows, each names its transcript row, and that row holds the text.
    const raw = (h.kernel.store as Store).query((db) =>
      db.prepare('SELECT json, text_seq FROM events WHERE pid = ? ORDER BY id').all(pcb.pid),
    ) as Array<{ json: string; text_seq: number | null }>;
    const referenced = raw.filter((r) => r.text_seq !== null);
    expect(referenced).toHaveLength(6);
    for (const row of referenced) expect(JSON.parse(row.json)).not.toHaveProperty('text');
    expect(raw.filter((r) => r.text_seq === null).every((r) => !withText(JSON.parse(r.json) as KernelEvent))).toBe(
      true,
    );
    const readFile = live.find((e) => e.type === 'prompt' && e.text.includes('wombat'));
    expect(readFile).toBeDefined();
    expect(raw.some((r) => r.json.includes('"type":"prompt"') && r.json.includes('wombat'))).toBe(false);

    // Every reader gets the events exactly as they were emitted.
    expect(await h.kernel.store.events.of([pcb.pid])).toEqual(live);
    expect(committed.filter((e) => e.pid === pcb.pid)).toEqual(live);
    expect(parse(await h.kernel.store.events.before({ pid: pcb.pid, before: null, limit: 1000 })).reverse()).toEqual(
      live,
    );
    expect(parse(await h.kernel.store.events.after(0, 1000)).filter((e) => e.pid === pcb.pid)).toEqual(live);
    await h.kernel.store.events.indexAll(7);
    const found = parse(await h.kernel.store.events.search('quokkas', { pid: null, before: null, limit: 10 }));
    expect(found.map((e) => e.type)).toEqual(['model']);
  });

  it('a version 4 store migrates: its old rows read as they were, new ones are stored by reference', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-text-rows-'));
    const file = path.join(dir, 'aos.db');
    const old = new Database(file);
    old.exec(SCHEMA_1 + (MIGRATIONS[1] ?? '') + (MIGRATIONS[2] ?? '') + (MIGRATIONS[3] ?? ''));
    old.prepare("INSERT INTO meta (key, value) VALUES ('schema', '4')").run();
    const before = { ts: 'x', type: 'prompt', pid: 1, turn: 0, text: 'from an older aos' };
    old.prepare('INSERT INTO events (id, pid, json) VALUES (1, 1, ?)').run(JSON.stringify(before));
    old.close();

    const store = Store.open(file);
    try {
      store.transcripts.put(1, 0, 'user', 'a row of the transcript');
      store.events.add({
        ts: 'y',
        type: 'prompt',
        pid: 1,
        turn: 1,
        transcript_seq: 0,
        text: 'a row of the transcript',
      });
      store.flush();
      expect(await store.events.of([1])).toEqual([
        before,
        { ts: 'y', type: 'prompt', pid: 1, turn: 1, transcript_seq: 0, text: 'a row of the transcript' },
      ]);
      const rows = store.query((db) => db.prepare('SELECT json, text_seq FROM events ORDER BY id').all()) as Array<{
        json: string;
        text_seq: number | null;
      }>;
      expect(rows.map((r) => r.text_seq)).toEqual([null, 0]);
      expect(rows[1]?.json).not.toContain('a row of');
    } finally {
      store.close();
    }
  });
});
