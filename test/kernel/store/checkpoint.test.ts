import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { param } from '../../../sys/param.js';
import { Store } from '../../../kernel/store/store.js';
import { until } from '../../helpers/until.js';

let dir = '';
let store: Store | null = null;
afterEach(async () => {
  store?.close();
  store = null;
  await rm(dir, { recursive: true, force: true });
});

/** A store on a file with ~2 MB committed to its WAL: under SQLite's own 1,000-page checkpoint, so only the checkpoint thread can move it into the file. */
async function storeWithFullWal(): Promise<{ file: string; before: number }> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-ckpt-'));
  const file = path.join(dir, 'aos.db');
  store = Store.open(file);
  const before = statSync(file).size;
  for (let seq = 0; seq < 200; seq++) store.transcripts.put(1, seq, 'model', 'x'.repeat(10_000));
  expect(store.flush()).toBe(true);
  return { file, before };
}

const checkpointed = (file: string, size: number): Promise<void> =>
  until(() => statSync(file).size > size, param.storeCheckpointMs + 5_000, 'a checkpoint into the database file');

describe('WAL checkpoints', () => {
  it('happen on their own thread after commits, never inside one', async () => {
    const { file, before } = await storeWithFullWal();
    expect(statSync(file).size).toBe(before);
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(2_000_000);
    await checkpointed(file, 2_000_000);
  });

  it('end before the store closes on shutdown, so that its files are final: the last connection, the kernel’s, takes the WAL', async () => {
    const { file, before } = await storeWithFullWal();
    // The thread has its connection open once it has checkpointed.
    await checkpointed(file, before + 1_000_000);
    expect(existsSync(`${file}-wal`)).toBe(true);
    await store?.stopCheckpoints();
    store?.close();
    store = null;
    // Had the checkpoint thread still held its connection, the WAL would stay until that thread closed it, later.
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it('keep a process alive while their stop is awaited: a script that ends with a close is not cut short (exit code 13)', () => {
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'close-at-top-level.ts');
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 30_000 });
    expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({
      status: 0,
      stdout: 'closed\n',
      stderr: '',
    });
  });
});

describe('a store closed at once', () => {
  it('has no file made again by its checkpoint thread: closed before its first checkpoint, the thread never opens the database', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-ckpt-'));
    const file = path.join(dir, 'aos.db');
    const seen = new Set<string>();
    for (let round = 0; round < 5; round++) {
      const closed = Store.open(file);
      closed.transcripts.put(1, round, 'model', 'x');
      expect(closed.flush()).toBe(true);
      const thread = closed.stopCheckpoints();
      closed.close();
      // The last connection has removed the WAL and its index; the thread (starting meanwhile) must not make them again.
      for (let i = 0; i < 40 && !seen.size; i++) {
        for (const name of readdirSync(dir)) if (name !== 'aos.db' && !name.startsWith('audit')) seen.add(name);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await thread;
    }
    expect([...seen]).toEqual([]);
  });
});
