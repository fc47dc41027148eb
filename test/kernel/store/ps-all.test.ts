import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { Kernel } from '../../../kernel/kernel.js';
import { param } from '../../../sys/param.js';
import type { ProcRow } from '../../../protocol/views.js';
import { ALL_CAPS, call, EXIT } from '../../helpers/kernel-harness.js';

const WAIT_MSG = call('RECV_MSG', { timeout_s: 3600 });
let kernel: Kernel | null = null;
let dir = '';
afterEach(async () => {
  await kernel?.close();
  kernel = null;
  await rm(dir, { recursive: true, force: true });
});

/** `exited` processes that exit at once, then pids exited+1.. for populate()'s others. */
async function open(exited: number): Promise<{ k: Kernel; model: string }> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-ps-all-'));
  const tape = path.join(dir, 'tape.yaml');
  await writeFile(
    tape,
    YAML.stringify({
      agents: {
        root: [EXIT],
        waiter: [WAIT_MSG],
        parent: [
          call('SPAWN_AGENT', { role: 'child', name: 'waiter' }),
          call('WAIT', { pid: exited + 4, timeout_s: 3600 }),
        ],
      },
    }),
  );
  kernel = await Kernel.create({
    workspace: path.join(dir, 'ws'),
    rootCapabilities: ALL_CAPS,
    storeFile: path.join(dir, 'aos.db'),
  });
  return { k: kernel, model: `replay:${tape}` };
}

/** Processes in every state ps shows: exited, killed, blocked on a message and on a child. */
async function populate(k: Kernel, model: string, exited: number): Promise<void> {
  const roots = await Promise.all(Array.from({ length: exited }, () => k.spawn({ task: 't', model, name: 'root' })));
  const victim = await k.spawn({ task: 't', model, name: 'waiter' });
  await k.spawn({ task: 't', model, name: 'waiter' });
  await k.spawn({ task: 't', model, name: 'parent' });
  await Promise.all(roots.map((p) => k.waitExit(p.pid)));
  while ((await k.processes()).filter((r) => r.state === 'blocked').length < 4)
    await new Promise((r) => setTimeout(r, 10));
  k.kill(victim.pid);
  await k.waitExit(victim.pid);
}

/** Live rows' age follows the clock: compare it apart. */
function comparable(rows: ProcRow[]): ProcRow[] {
  return rows.map((r) => (r.ended_at === null ? { ...r, age_s: 0 } : r));
}

describe('ps --all', () => {
  it('lists a large store from a worker thread, row for row as the kernel would', async () => {
    const { k, model } = await open(param.psWorkerMinRows);
    await populate(k, model, param.psWorkerMinRows);
    const first = await k.psAll.json();
    const listed = JSON.parse(first.bytes.toString('utf8')) as ProcRow[];
    expect(k.psAll.threaded).toBe(true);
    const inline = await k.processes({ all: true });
    expect(listed).toHaveLength(param.psWorkerMinRows + 4);
    expect(comparable(listed)).toEqual(comparable(inline));
    const states = new Set(listed.map((r) => `${r.state} ${r.wait ?? ''}`));
    expect(states).toEqual(
      new Set(['exited ', 'killed ', 'blocked msg', `blocked child ${param.psWorkerMinRows + 4}`]),
    );
    // The bytes come back in a buffer reused once released; one still being sent is never overwritten.
    first.release();
    const now = Date.now();
    const second = await k.psAll.json(now);
    const text = second.bytes.toString('utf8');
    k.kill(param.psWorkerMinRows + 2);
    await k.waitExit(param.psWorkerMinRows + 2);
    const third = await k.psAll.json(now);
    expect(second.bytes.toString('utf8')).toBe(text);
    expect(comparable(JSON.parse(text) as ProcRow[])).toEqual(comparable(inline));
    const after = JSON.parse(third.bytes.toString('utf8')) as ProcRow[];
    expect(after.find((r) => r.pid === param.psWorkerMinRows + 2)?.state).toBe('killed');
    expect(comparable(after)).toEqual(comparable(await k.processes({ all: true })));
    second.release();
    third.release();
  }, 60_000);

  it('lists a small store on the kernel thread, with the same rows', async () => {
    const { k, model } = await open(3);
    await populate(k, model, 3);
    const listed = JSON.parse((await k.psAll.json()).bytes.toString('utf8')) as ProcRow[];
    expect(k.psAll.threaded).toBe(false);
    expect(comparable(listed)).toEqual(comparable(await k.processes({ all: true })));
    expect(listed.map((r) => r.pid)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('lists the last n created, live or ended, reading only those', async () => {
    const { k, model } = await open(3);
    await populate(k, model, 3);
    const all = comparable(await k.processes({ all: true }));
    expect(comparable(await k.processes({ last: 3 }))).toEqual(all.slice(-3));
    expect((await k.processes({ last: 3 })).map((r) => r.state)).toEqual(['blocked', 'blocked', 'blocked']);
    expect(comparable(await k.processes({ last: 100 }))).toEqual(all);
  });
});
