/**
 * A result too large for the context reaches the model as an excerpt; SYS_RESULT_READ pages the
 * whole of it from the store — the caller's own results only, and the same after a restart.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { Kernel } from '../../../kernel/kernel.js';
import { readResultPage } from '../../../kernel/context/result-read.js';
import type { ResultPage } from '../../../syscalls/services.js';
import { ALL_CAPS, call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';
import { until } from '../../helpers/until.js';

let h: Harness | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const clean of cleanups.splice(0)) await clean();
});

/** 40 KB of lines with quotes, tabs and a few astral characters (surrogate pairs) in them. */
const file = Array.from(
  { length: 2000 },
  (_, i) => `row ${String(i).padStart(4, '0')}\t"q" 🦊 ${'·'.repeat(i % 7)}`,
).join('\n');

const pageOf = (h: Harness, i: number): ResultPage => h.results(1)[i]?.value as ResultPage;

describe('SYS_RESULT_READ', () => {
  it('reads on from an excerpt: a field from an offset, or the whole value as JSON', async () => {
    h = await startHarness({
      root: [
        call('FS_READ', { path: 'big.txt' }),
        {
          expect: '"rest":{"SYS_RESULT_READ":{"turn":0,"seq":0,"field":"content","offset":',
          reply: call('SYS_RESULT_READ', { turn: 0, seq: 0, field: 'content', offset: 30_000, length: 64 }),
        },
        call('SYS_RESULT_READ', { turn: 0, seq: 0, length: 200 }),
        EXIT,
      ],
    });
    await writeFile(path.join(h.workspace, 'big.txt'), file);
    const pcb = await h.run({ contextTokens: 8000 });
    expect(pcb.exitCode).toBe(0);
    expect(pageOf(h, 1)).toEqual({
      turn: 0,
      seq: 0,
      name: 'FS_READ',
      field: 'content',
      offset: 30_000,
      length: 64,
      total: file.length,
      content: file.slice(30_000, 30_064),
      next_offset: 30_064,
    });
    const whole = pageOf(h, 2);
    expect(whole).toMatchObject({ field: null, offset: 0, length: 200, next_offset: 200 });
    expect(whole.content).toBe(JSON.stringify(h.results(1)[0]?.value).slice(0, 200));
  });

  it('is not misled by a later result whose value names the same turn and call', async () => {
    h = await startHarness({
      root: [
        call('FS_READ', { path: 'big.txt' }),
        call('SYS_RESULT_READ', { turn: 0, seq: 0, length: 10 }),
        call('SYS_RESULT_READ', { turn: 0, seq: 0, field: 'content', length: 5 }),
        EXIT,
      ],
    });
    await writeFile(path.join(h.workspace, 'big.txt'), file);
    await h.run();
    // Turn 1's result holds {"turn":0,"seq":0,...} in its value; turn 2 still reads turn 0's FS_READ.
    expect(pageOf(h, 2)).toMatchObject({ name: 'FS_READ', content: file.slice(0, 5) });
  });

  it('pages a stored result whole: default pages fit the context share and join up exactly', async () => {
    h = await startHarness({ root: [call('FS_READ', { path: 'big.txt' }), EXIT] });
    await writeFile(path.join(h.workspace, 'big.txt'), file);
    await h.run();
    h.kernel.store.flush();
    let text = '';
    let offset: number | null = 0;
    let pages = 0;
    while (offset !== null) {
      const page = await readResultPage(h.kernel.store, 1, { turn: 0, seq: 0, field: 'content', offset }, 4000);
      expect(JSON.stringify(page).length).toBeLessThanOrEqual(4000);
      text += page.content;
      offset = page.next_offset;
      pages++;
    }
    expect(text).toBe(file);
    expect(pages).toBeGreaterThan(10);
  });

  it("reads only the caller's own results; another call or field is ENOENT", async () => {
    h = await startHarness({
      root: [
        `${call('SPAWN_AGENT', { role: 'worker', name: 'worker' })}\n${call('WAIT', {})}`,
        [
          call('SYS_RESULT_READ', { turn: 0, seq: 1 }),
          call('SYS_RESULT_READ', { turn: 7, seq: 0 }),
          call('SYS_RESULT_READ', { turn: 0, seq: 0, field: 'nope' }),
        ].join('\n'),
        EXIT,
      ],
      worker: [call('FS_READ', { path: 'secret.txt' }), EXIT],
    });
    await writeFile(path.join(h.workspace, 'secret.txt'), 'the worker read this');
    await h.run();
    // The worker's turn 0, call 0 read the secret; the root's turn 0, call 1 was its WAIT.
    expect(h.results(2)[0]?.value).toMatchObject({ content: 'the worker read this' });
    const [own, missing, field] = h.results(1).slice(2);
    expect(own).toMatchObject({ ok: true, value: { name: 'WAIT', turn: 0, seq: 1 } });
    expect((own?.value as ResultPage).content).not.toContain('the worker read this');
    expect(missing).toMatchObject({
      ok: false,
      errno: 'ENOENT',
      message: 'no result of call 0 in turn 7 in your history',
    });
    expect(field).toMatchObject({ ok: false, errno: 'ENOENT', message: 'the result has no field "nope"' });
  });
});

describe('SYS_RESULT_READ across a kernel restart', () => {
  it('still reads a result stored before the restart', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-result-read-'));
    const kernels: Kernel[] = [];
    cleanups.push(async () => {
      for (const k of kernels) await k.close();
      await rm(dir, { recursive: true, force: true });
    });
    const tape = path.join(dir, 'tape.yaml');
    const root = [
      call('FS_READ', { path: 'big.txt' }),
      call('SYS_READ_STDIN', { timeout_s: 60 }),
      {
        expect: '"text":"go on"',
        reply: call('SYS_RESULT_READ', { turn: 0, seq: 0, field: 'content', offset: 20_000, length: 50 }),
      },
      EXIT,
    ];
    await writeFile(tape, YAML.stringify({ agents: { root } }));
    await mkdir(path.join(dir, 'ws'), { recursive: true });
    await writeFile(path.join(dir, 'ws', 'big.txt'), file);
    const boot = async (): Promise<Kernel> => {
      const kernel = await Kernel.create({
        workspace: path.join(dir, 'ws'),
        rootCapabilities: ALL_CAPS,
        storeFile: path.join(dir, 'aos.db'),
        cwd: dir,
      });
      kernels.push(kernel);
      return kernel;
    };
    const a = await boot();
    const pcb = await a.spawn({ task: 't', model: `replay:${tape}`, contextTokens: 8000 });
    await until(() => a.pcb(pcb.pid)?.state === 'blocked');
    await a.close();

    const b = await boot();
    const results: unknown[] = [];
    b.events.subscribe((e) => {
      if (e.type === 'result' && e.name === 'SYS_RESULT_READ') results.push(e.value);
    });
    b.send(pcb.pid, 'go on');
    const done = await b.waitExit(pcb.pid);
    expect(done.exitCode).toBe(0);
    expect(results).toEqual([expect.objectContaining({ content: file.slice(20_000, 20_050), total: file.length })]);
  });
});
