/**
 * Two kernels on one Chroma server (CHROMA_URL: a cluster's nodes, or two homes): each kernel's
 * trees are named after its own id (daemon/memory-id.ts), so tree 1 of one never reads tree 1 of
 * the other — pids are each kernel's. Without the id (a home older than it) they would: the control.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SupervisedChroma } from '../../drivers/memory/chroma-server.js';
import { memoryTreePrefix } from '../../daemon/memory-id.js';
import type { KernelEvent } from '../../protocol/events.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

type ResultEvent = Extract<KernelEvent, { type: 'result' }>;

async function kernelOn(
  url: string,
  treePrefix: string | undefined,
  tape: Parameters<typeof startHarness>[0],
): Promise<Harness> {
  const h = await startHarness(tape, { memory: { url, treePrefix } });
  cleanups.push(() => h.close());
  return h;
}

/** Kernel A's tree 1 writes a memory; kernel B's tree 1 reads: how many of A's it sees. */
async function crossRead(prefixA: string | undefined, prefixB: string | undefined): Promise<number> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-memshared-'));
  const chroma = new SupervisedChroma({ dataDir: path.join(dir, 'chroma') });
  cleanups.push(async () => {
    await chroma.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const url = await chroma.ensureRunning();
  const a = await kernelOn(url, prefixA, {
    root: [call('MEM_WRITE', { text: 'kernel A: the vault code is 4711', key: 'vault' }), EXIT],
  });
  expect((await a.run({ name: 'root' })).exitCode).toBe(0);
  const b = await kernelOn(url, prefixB, { root: [call('MEM_READ', { query: 'vault code', k: 5 }), EXIT] });
  const pcb = await b.run({ name: 'root' });
  expect(pcb.pid).toBe(1);
  const read = b.results(pcb.pid).find((r: ResultEvent) => r.name === 'MEM_READ');
  expect(read?.ok).toBe(true);
  return ((read?.value as { hits: unknown[] }).hits ?? []).length;
}

describe('kernels sharing one Chroma server', () => {
  it('keep their trees apart when each names them after its own id', async () => {
    expect(await crossRead('aos-0123456789ab-tree-', 'aos-ba9876543210-tree-')).toBe(0);
  }, 60_000);

  it('the control: named alike (aos-tree-<pid>), tree 1 of one kernel reads tree 1 of the other', async () => {
    expect(await crossRead(undefined, undefined)).toBe(1);
  }, 60_000);
});

describe('memoryTreePrefix', () => {
  it('gives a new home an id of its own, kept; an older home keeps its names, warned when its server may be shared', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'aos-memid-'));
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    const db = path.join(home, 'aos.db');
    const warnings: string[] = [];
    const first = memoryTreePrefix(home, db, {}, (m) => warnings.push(m));
    expect(first).toMatch(/^aos-[0-9a-f]{12}-tree-$/);
    expect(memoryTreePrefix(home, db, { CHROMA_URL: 'http://x:8000' }, (m) => warnings.push(m))).toBe(first);
    expect(warnings).toEqual([]);

    const old = await mkdtemp(path.join(os.tmpdir(), 'aos-memid-old-'));
    cleanups.push(() => rm(old, { recursive: true, force: true }));
    writeFileSync(path.join(old, 'aos.db'), '');
    expect(
      memoryTreePrefix(old, path.join(old, 'aos.db'), { CHROMA_URL: 'http://x:8000' }, (m) => warnings.push(m)),
    ).toBeUndefined();
    expect(readFileSync(path.join(old, 'memory-id'), 'utf8').trim()).toBe('legacy');
    expect(warnings.join('\n')).toMatch(
      /aos-tree-<root pid> on http:\/\/x:8000; another kernel on that server reaches a tree of the same pid/,
    );
    // A damaged file is made again (a new home's id here: its store does not exist).
    writeFileSync(path.join(home, 'memory-id'), 'garbage');
    expect(existsSync(db)).toBe(false);
    expect(memoryTreePrefix(home, db, {}, () => undefined)).toMatch(/^aos-[0-9a-f]{12}-tree-$/);
  });
});
