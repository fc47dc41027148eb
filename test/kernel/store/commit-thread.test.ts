import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Store } from '../../../kernel/store/store.js';
import { until } from '../../helpers/until.js';

let dir = '';
let store: Store | null = null;
afterEach(async () => {
  store?.close();
  store = null;
  await rm(dir, { recursive: true, force: true });
});

async function open(): Promise<Store> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-commit-'));
  store = Store.open(path.join(dir, 'aos.db'));
  return store;
}

function transcript(s: Store, pid: number, from: number, count: number): void {
  for (let seq = from; seq < from + count; seq++) s.putTranscript(pid, seq, 'model', `reply ${seq}`);
}

describe("the store's commit thread", () => {
  it("commits on its own thread once it is up: the kernel's connection runs no transaction, and a flush is readable at once", async () => {
    const s = await open();
    await until(() => s.commitsOnThread, 10_000, 'the commit thread to open the database');
    const transaction = vi.spyOn(s.sql, 'transaction');
    transcript(s, 7, 0, 500);
    s.setMeta('probe', 'on the thread');
    expect(s.flush()).toBe(true);
    expect(s.loadTranscript(7).map((row) => row.text)).toEqual(Array.from({ length: 500 }, (_, seq) => `reply ${seq}`));
    expect(s.meta('probe')).toBe('on the thread');
    expect(transaction).not.toHaveBeenCalled();
  });

  it('does not make the first commits wait for the thread to start', async () => {
    const s = await open();
    expect(s.commitsOnThread).toBe(false);
    transcript(s, 1, 0, 3);
    expect(s.flush()).toBe(true);
    expect(s.loadTranscript(1)).toHaveLength(3);
  });

  it('resolves committed() in order, and its events reach listeners only once committed', async () => {
    const s = await open();
    await until(() => s.commitsOnThread, 10_000, 'the commit thread to open the database');
    const seen: number[] = [];
    s.onCommitted((events) => seen.push(...events.map((e) => e.id)));
    for (let i = 0; i < 50; i++) s.addEvent({ ts: new Date().toISOString(), pid: 3, type: 'state', from: 'ready', to: 'running' });
    const first = s.committed();
    for (let i = 0; i < 50; i++) s.addEvent({ ts: new Date().toISOString(), pid: 3, type: 'state', from: 'running', to: 'ready' });
    const second = s.committed();
    expect(seen).toEqual([]);
    await first;
    expect(seen.length).toBeGreaterThanOrEqual(50);
    await second;
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen).toHaveLength(100);
  });

  it("loses nothing when the thread dies: the kernel's thread takes over the batches it had not committed", async () => {
    const s = await open();
    const logs: string[] = [];
    s.hooks = { ...s.hooks, log: (_level, message) => logs.push(message) };
    await until(() => s.commitsOnThread, 10_000, 'the commit thread to open the database');
    transcript(s, 9, 0, 100);
    expect(s.flush()).toBe(true);
    const worker = (s as unknown as { committer: { worker: Worker } }).committer.worker;
    const gone = worker.terminate();
    // Handed to a thread that is going away.
    transcript(s, 9, 100, 100);
    await s.committed().catch(() => undefined);
    await gone;
    await until(() => logs.some((line) => line.includes("committing on the kernel's thread")), 10_000, 'the take-over');
    transcript(s, 9, 200, 100);
    expect(s.flush()).toBe(true);
    expect(s.commitsOnThread).toBe(false);
    expect(s.loadTranscript(9).map((row) => row.seq)).toEqual(Array.from({ length: 300 }, (_, seq) => seq));
  });
});
