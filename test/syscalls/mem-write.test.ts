/**
 * MEM_WRITE / MEM_READ through a real kernel, replay tapes and a real Chroma server: namespaces
 * per process tree, the shared namespace behind mem.shared, persistence across a kernel restart,
 * Chroma killed mid-run, an embedder mismatch, and Chroma unavailable (EIO, the rest still works).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { idForKey, type SupervisedChroma } from '../../drivers/memory/index.js';
import type { KernelEvent } from '../../protocol/events.js';
import { Kernel } from '../../kernel/kernel.js';
import { ALL_CAPS, call, EXIT, type Harness, startHarness, type TapeEntry } from '../helpers/kernel-harness.js';
import { until as poll } from '../helpers/until.js';

type ResultEvent = Extract<KernelEvent, { type: 'result' }>;
interface Hit {
  id: string;
  text: string;
  score: number;
  metadata: Record<string, unknown>;
}

let h: Harness | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const hitsOf = (result: ResultEvent | undefined): Hit[] => (result?.value as { hits: Hit[] } | undefined)?.hits ?? [];
const resultsNamed = (harness: Harness, pid: number, name: string): ResultEvent[] =>
  harness.results(pid).filter((r) => r.name === name);
const chromaOf = (harness: Harness): SupervisedChroma => harness.kernel.memory?.endpoint as SupervisedChroma;

const until = (predicate: () => boolean, timeoutMs = 10_000): Promise<void> => poll(predicate, timeoutMs);

describe('memory namespaces', () => {
  it('a process stores facts, its child reads them, and a second tree cannot see them', async () => {
    h = await startHarness(
      {
        root: [
          [
            call('MEM_WRITE', {
              text: 'The deploy key is stored in vault under ops/deploy',
              key: 'deploy-key',
              metadata: { topic: 'ops' },
            }),
            call('MEM_WRITE', { value: 'Alice reviews every release on Fridays', metadata: { topic: 'people' } }),
          ].join('\n'),
          {
            expect: `"id":"${idForKey('deploy-key')}"`,
            reply: call('SPAWN_AGENT', { role: 'reader', name: 'reader', task: 'find the deploy key' }),
          },
          call('WAIT', { pid: 2, timeout_s: 20 }),
          { expect: '"exit_code":0', reply: EXIT },
        ],
        reader: [
          [
            call('MEM_READ', { query: 'where is the deploy key stored?', k: 1 }),
            call('MEM_READ', { query: 'releases', where: { pid: 1, topic: 'people' } }),
          ].join('\n'),
          { expect: ['ops/deploy', 'Alice reviews'], reply: call('SYS_EXIT', { code: 0, result: 'found it' }) },
        ],
        other: [
          call('MEM_READ', { query: 'where is the deploy key stored?', k: 50 }),
          {
            expect: '"hits":[]',
            reply: call('MEM_WRITE', { text: 'tree B has its own deploy notes', key: 'deploy-key' }),
          },
          call('MEM_READ', { query: 'deploy key', k: 50 }),
          { expect: 'tree B has its own', reply: EXIT },
        ],
      },
      { memory: true },
    );
    const root = await h.run();
    expect(root.exitCode).toBe(0);
    const [found, filtered] = resultsNamed(h, 2, 'MEM_READ');
    expect(hitsOf(found)).toEqual([
      {
        id: idForKey('deploy-key'),
        text: 'The deploy key is stored in vault under ops/deploy',
        score: expect.any(Number),
        metadata: { topic: 'ops', key: 'deploy-key', pid: 1, ts: expect.any(String) },
      },
    ]);
    expect(hitsOf(filtered).map((hit) => hit.text)).toEqual(['Alice reviews every release on Fridays']);

    // A second root: another tree, another namespace, even for the same key.
    const other = await h.run({ name: 'other' });
    expect(other.exitCode).toBe(0);
    const [empty, own] = resultsNamed(h, other.pid, 'MEM_READ');
    expect(hitsOf(empty)).toEqual([]);
    expect(hitsOf(own).map((hit) => [hit.text, hit.metadata.pid])).toEqual([
      ['tree B has its own deploy notes', other.pid],
    ]);
    // ... and tree A's memory was not touched by tree B's write of the same key.
    const treeA = await h.kernel.memory?.read('aos-tree-1', { query: 'deploy key', k: 50 });
    expect(treeA?.map((hit) => hit.text)).toContain('The deploy key is stored in vault under ops/deploy');
    expect(treeA?.map((hit) => hit.text)).not.toContain('tree B has its own deploy notes');
  });

  it('shared: true reaches the global memory, only with mem.shared; a child without it is refused', async () => {
    h = await startHarness(
      {
        writer: [
          call('MEM_WRITE', { text: 'The company holiday is on May 1st', shared: true }),
          { expect: '"ok":true', reply: call('SPAWN_AGENT', { role: 'helper', name: 'helper', permissions: ['mem'] }) },
          call('WAIT', { pid: 2, timeout_s: 20 }),
          EXIT,
        ],
        helper: [
          call('MEM_READ', { query: 'company holiday', shared: true }),
          { expect: '"errno":"EPERM"', reply: EXIT },
        ],
        reader: [
          [
            call('MEM_READ', { query: 'company holiday', shared: true }),
            call('MEM_READ', { query: 'company holiday' }),
          ].join('\n'),
          { expect: 'May 1st', reply: EXIT },
        ],
        outsider: [
          call('MEM_READ', { query: 'company holiday', shared: true }),
          { expect: '"errno":"EPERM"', reply: EXIT },
        ],
      },
      { rootCapabilities: [...ALL_CAPS, 'mem.shared'], memory: true },
    );
    const writer = await h.run({ name: 'writer' });
    expect(writer.exitCode).toBe(0);
    const helperResult = resultsNamed(h, 2, 'MEM_READ')[0];
    expect(helperResult).toMatchObject({ ok: false, errno: 'EPERM' });
    expect(helperResult?.message).toContain('needs capability "mem.shared"');

    const reader = await h.run({ name: 'reader' });
    expect(reader.exitCode).toBe(0);
    const [shared, own] = resultsNamed(h, reader.pid, 'MEM_READ');
    expect(hitsOf(shared).map((hit) => [hit.text, hit.metadata.pid])).toEqual([
      ['The company holiday is on May 1st', writer.pid],
    ]);
    // The shared memory is not the reader's tree memory.
    expect(hitsOf(own)).toEqual([]);

    const outsider = await h.run({ name: 'outsider', capabilities: ['mem'] });
    expect(outsider.exitCode).toBe(0);
    expect(resultsNamed(h, outsider.pid, 'MEM_READ')[0]).toMatchObject({ ok: false, errno: 'EPERM' });
  });

  it('accepts the aliases MEM_STORE / MEM_SEARCH and top_k', async () => {
    h = await startHarness(
      {
        root: [
          call('MEM_STORE', { content: 'aliases work too' }),
          call('MEM_SEARCH', { q: 'aliases', top_k: 3 }),
          { expect: 'aliases work too', reply: EXIT },
        ],
      },
      { memory: true },
    );
    expect((await h.run()).exitCode).toBe(0);
  });

  it('lands a keyless memory once however often the same text is written (a retry, a re-run after a crash, another process of the tree), and says so', async () => {
    const note = call('MEM_WRITE', { text: 'the build needs node 20', metadata: { topic: 'ci' } });
    h = await startHarness(
      {
        root: [
          [note, note, call('MEM_WRITE', { text: 'the build needs node 20', metadata: { topic: 'other' } })].join('\n'),
          // Near-duplicates are never merged: two runs' figures stay two memories.
          [call('MEM_WRITE', { text: 'run 41: 93.1%' }), call('MEM_WRITE', { text: 'run 42: 93.4%' })].join('\n'),
          call('SPAWN_AGENT', { role: 'helper', name: 'helper', task: 'note it too' }),
          call('WAIT', {}),
          call('MEM_READ', { query: 'the build needs node 20', k: 10 }),
          EXIT,
        ],
        helper: [call('MEM_WRITE', { text: 'the build needs node 20' }), EXIT],
      },
      { memory: true },
    );
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(0);
    const writes = resultsNamed(h, pcb.pid, 'MEM_WRITE').map((r) => r.value as { id: string; deduped?: boolean });
    expect(writes[0]?.deduped).toBeUndefined();
    expect(writes[1]).toEqual({ id: writes[0]?.id, deduped: true });
    expect(writes[2]).toEqual({ id: writes[0]?.id, deduped: true });
    expect(writes[3]?.id).not.toBe(writes[4]?.id);
    expect(writes[3]?.deduped ?? writes[4]?.deduped).toBeUndefined();
    expect(writes[0]?.id).toMatch(/^m-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(resultsNamed(h, 2, 'MEM_WRITE')[0]?.value).toEqual({ id: writes[0]?.id, deduped: true });
    expect(
      hitsOf(resultsNamed(h, pcb.pid, 'MEM_READ')[0]).filter((hit) => hit.text === 'the build needs node 20'),
    ).toHaveLength(1);
    // Each dedup is on the audit trail.
    expect(h.kernel.store.audit.list({ limit: 100 }).filter((r) => r.call === 'MEM_WRITE')).toHaveLength(3);
  });

  it('says a MEM_WRITE that timed out may have been written, and that writing it again is safe', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-mem-timeout-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    h = await startHarness(
      {
        root: [
          call('MEM_WRITE', { text: 'slow to land' }),
          { expect: ['"errno":"ETIMEDOUT"', 'may have been written', 'lands once'], reply: EXIT },
        ],
      },
      // The first operation starts Chroma: 1 ms is never enough.
      { memory: { dataDir: path.join(dir, 'chroma'), opTimeoutMs: 1 } },
    );
    expect((await h.run()).exitCode).toBe(0);
  });

  it('starts no Chroma for a kernel that never uses memory', async () => {
    h = await startHarness({ root: [call('FS_WRITE', { path: 'a.txt', content: 'x' }), EXIT] }, { memory: true });
    expect((await h.run()).exitCode).toBe(0);
    expect(chromaOf(h).state).toBe('idle');
    expect(chromaOf(h).pid).toBeNull();
  });
});

describe('memory when Chroma fails', () => {
  it('Chroma killed mid-run is restarted by the supervisor, and the next MEM_READ works', async () => {
    h = await startHarness(
      {
        root: [
          call('MEM_WRITE', { text: 'the backup runs at 02:00 UTC', key: 'backup' }),
          call('SYS_READ_STDIN', { timeout_s: 30 }),
          { expect: '"text":"go"', reply: call('MEM_READ', { query: 'when does the backup run?' }) },
          { expect: '02:00 UTC', reply: EXIT },
        ],
      },
      { memory: true },
    );
    const pcb = await h.spawn();
    await until(() => h?.kernel.pcb(pcb.pid)?.state === 'blocked');
    const chroma = chromaOf(h);
    const first = chroma.pid as number;
    process.kill(first, 'SIGKILL');
    // Its death takes a moment to reach the server inside (and the supervisor): a MEM_READ sent at
    // once may still be answered by it. The read under test comes after the supervisor saw the exit.
    await until(() => chroma.pid !== first || chroma.state !== 'running');
    h.kernel.send(pcb.pid, 'go');
    const done = await h.kernel.waitExit(pcb.pid);
    expect(done.exitCode).toBe(0);
    expect(chroma.pid).not.toBe(first);
    expect(chroma.starts).toBe(2);
  });

  it('Chroma that cannot start (bad binary): MEM_* fail with EIO and the other syscalls keep working', async () => {
    const tape = (): TapeEntry[] => [
      call('MEM_WRITE', { text: 'x' }),
      {
        expect: ['"errno":"EIO"', 'memory is unavailable: chroma exited with code 70'],
        reply: call('FS_WRITE', { path: 'still.txt', content: 'fine' }),
      },
      { expect: '"bytes":4', reply: call('MEM_READ', { query: 'x' }) },
      { expect: 'memory is unavailable', reply: call('FS_READ', { path: 'still.txt' }) },
      { expect: '"content":"fine"', reply: EXIT },
    ];
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-memfail-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    h = await startHarness(
      { root: tape() },
      {
        memory: {
          dataDir: path.join(dir, 'chroma'),
          chroma: { cliPath: path.join(dir, 'missing-chroma.mjs'), startAttempts: 1 },
        },
      },
    );
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(0);
    expect(h.results(pcb.pid).map((r) => [r.name, r.errno ?? 'ok'])).toEqual([
      ['MEM_WRITE', 'EIO'],
      ['FS_WRITE', 'ok'],
      ['MEM_READ', 'EIO'],
      ['FS_READ', 'ok'],
      ['SYS_EXIT', 'ok'],
    ]);
  });

  it('Chroma that cannot be made private (no bwrap): EIO saying why, the rest keeps working', async () => {
    vi.stubEnv('AOS_BWRAP', 'none');
    cleanups.push(async () => {
      vi.unstubAllEnvs();
    });
    h = await startHarness(
      {
        root: [
          call('MEM_WRITE', { text: 'x' }),
          {
            expect: ['"errno":"EIO"', 'memory is unavailable: memory needs bubblewrap', 'CHROMA_URL'],
            reply: call('SLEEP', { seconds: 0 }),
          },
          { expect: '"slept":0', reply: EXIT },
        ],
      },
      { memory: true },
    );
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(0);
    expect(h.results(pcb.pid).map((r) => [r.name, r.errno ?? 'ok'])).toEqual([
      ['MEM_WRITE', 'EIO'],
      ['SLEEP', 'ok'],
      ['SYS_EXIT', 'ok'],
    ]);
    expect(chromaOf(h).pid).toBeNull();
  });

  it('a kernel without a memory store: EIO saying so', async () => {
    h = await startHarness({
      root: [
        call('MEM_WRITE', { text: 'x' }),
        { expect: 'memory is unavailable: this kernel runs without a memory store', reply: EXIT },
      ],
    });
    expect((await h.run()).exitCode).toBe(0);
  });
});

describe('memory across kernel restarts', () => {
  let dir: string;
  const kernels: Kernel[] = [];

  afterEach(async () => {
    for (const k of kernels.splice(0)) await k.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function boot(tape: Record<string, TapeEntry[]>, embedder?: string): Promise<Kernel> {
    const file = path.join(dir, 'tape.yaml');
    await writeFile(file, YAML.stringify({ agents: tape }));
    const kernel = await Kernel.create({
      workspace: path.join(dir, 'ws'),
      rootCapabilities: ALL_CAPS,
      storeFile: path.join(dir, 'aos.db'),
      cwd: dir,
      memory: { dataDir: path.join(dir, 'chroma'), ...(embedder ? { embedder } : {}) },
    });
    kernels.push(kernel);
    return kernel;
  }

  const TAPE: Record<string, TapeEntry[]> = {
    root: [
      call('MEM_WRITE', { text: 'the vault is on floor 3', key: 'vault' }),
      call('SYS_READ_STDIN', { timeout_s: 60 }),
      { expect: '"text":"go"', reply: call('MEM_READ', { query: 'which floor is the vault on?' }) },
      { expect: 'floor 3', reply: EXIT },
    ],
  };

  it('memories survive a kernel restart: the resumed process finds what it wrote before', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-memrestart-'));
    const a = await boot(TAPE);
    const pcb = await a.spawn({ task: 't', model: `replay:${path.join(dir, 'tape.yaml')}` });
    await until(() => a.proc(pcb.pid)?.pcb.state === 'blocked');
    const firstChroma = (a.memory?.endpoint as SupervisedChroma).pid as number;
    await a.close();
    expect((a.memory?.endpoint as SupervisedChroma).state).toBe('stopped');

    const b = await boot(TAPE);
    expect(b.proc(pcb.pid)?.pcb.state).toBe('blocked');
    b.send(pcb.pid, 'go');
    const done = await b.waitExit(pcb.pid);
    expect(done.exitCode).toBe(0);
    expect((b.memory?.endpoint as SupervisedChroma).pid).not.toBe(firstChroma);
  });

  it('a kernel with another embedder is refused on the existing namespace, with a clear EIO', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-memmismatch-'));
    const a = await boot(TAPE);
    const pcb = await a.spawn({ task: 't', model: `replay:${path.join(dir, 'tape.yaml')}` });
    await until(() => a.proc(pcb.pid)?.pcb.state === 'blocked');
    await a.close();

    const b = await boot(TAPE, 'local:256');
    b.send(pcb.pid, 'go');
    const done = await b.waitExit(pcb.pid);
    // The resumed process's MEM_READ hit the mismatch, so its tape expectation ("floor 3") failed.
    expect(done.exitCode).not.toBe(0);
    const events = await b.history(pcb.pid);
    const read = events.find((e): e is ResultEvent => e.type === 'result' && e.name === 'MEM_READ');
    expect(read).toMatchObject({ ok: false, errno: 'EIO' });
    expect(read?.message).toBe(
      `memory namespace aos-tree-${pcb.pid} was built with embedder local-hash-v1 (dim 384); this kernel uses local-hash-v1:256 (dim 256). ` +
        'Run the kernel with the same AOS_EMBEDDER, or use a fresh Chroma data dir.',
    );
  });
});
