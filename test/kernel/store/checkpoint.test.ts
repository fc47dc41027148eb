import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { param } from '../../../kernel/param.js';
import { Store } from '../../../kernel/store/store.js';
import { until } from '../../helpers/until.js';

let dir = '';
let store: Store | null = null;
afterEach(async () => {
  store?.close();
  store = null;
  await rm(dir, { recursive: true, force: true });
});

describe('WAL checkpoints', () => {
  it('happen on their own thread after commits, never inside one', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-ckpt-'));
    const file = path.join(dir, 'aos.db');
    store = Store.open(file);
    const before = statSync(file).size;
    // ~2 MB: under SQLite's own 1,000-page checkpoint, so only the checkpoint thread can move it into the file.
    for (let seq = 0; seq < 200; seq++) store.putTranscript(1, seq, 'model', 'x'.repeat(10_000));
    expect(store.flush()).toBe(true);
    expect(statSync(file).size).toBe(before);
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(2_000_000);
    await until(() => statSync(file).size > 2_000_000, param.storeCheckpointMs + 5_000, 'a checkpoint into the database file');
  });

  it('end before the store closes on shutdown, so that its files are final: the last connection, the kernel’s, takes the WAL', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-ckpt-'));
    const file = path.join(dir, 'aos.db');
    store = Store.open(file);
    const before = statSync(file).size;
    for (let seq = 0; seq < 200; seq++) store.putTranscript(1, seq, 'model', 'x'.repeat(10_000));
    expect(store.flush()).toBe(true);
    // The thread has its connection open once it has checkpointed.
    await until(() => statSync(file).size > before + 1_000_000, param.storeCheckpointMs + 5_000, 'a checkpoint into the database file');
    expect(existsSync(`${file}-wal`)).toBe(true);
    await store.stopCheckpoints();
    store.close();
    store = null;
    // Had the checkpoint thread still held its connection, the WAL would stay until that thread closed it, later.
    expect(existsSync(`${file}-wal`)).toBe(false);
  });
});
