/**
 * Issue 9's regressions through a real kernel on a real store: nothing one process brings stops the
 * kernel, a crashing turn is not replayed forever, events are exactly once, kill beats an in-flight
 * spawn, and ended processes leave memory.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KernelEvent } from '../../protocol/events.js';
import { Kernel } from '../../kernel/kernel.js';
import { Store } from '../../kernel/store/store.js';
import { ALL_CAPS, call, EXIT, type TapeEntry } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';

let dir: string;
let kernels: Kernel[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-reliability-'));
});
afterEach(async () => {
  for (const k of kernels) await k.close();
  kernels = [];
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

async function tape(agents: Record<string, TapeEntry[]>, name = 'tape.yaml'): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, YAML.stringify({ agents }));
  return `replay:${file}`;
}

async function boot(): Promise<{ kernel: Kernel; events: KernelEvent[] }> {
  const kernel = await Kernel.create({
    workspace: path.join(dir, 'ws'),
    rootCapabilities: ALL_CAPS,
    storeFile: path.join(dir, 'aos.db'),
    cwd: dir,
  });
  kernels.push(kernel);
  const events: KernelEvent[] = [];
  kernel.events.subscribe((e) => events.push(e));
  return { kernel, events };
}

/** The kernel dies without a clean stop (what SIGKILL or an uncaught error leaves behind). */
async function crash(kernel: Kernel, blame: number | null = null): Promise<void> {
  kernel.noteCrash(blame);
  await kernel.close({ crashed: true });
  kernels = kernels.filter((k) => k !== kernel);
}

async function storedEvents(pid: number): Promise<KernelEvent[]> {
  const store = Store.open(path.join(dir, 'aos.db'));
  try {
    return await store.events.of([pid]);
  } finally {
    store.close();
  }
}

const DEEP = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;

describe('a reply cannot stop the kernel', () => {
  it('answers arguments nested 10,000 deep with EINVAL, stores the call, and goes on', async () => {
    const model = await tape({
      root: [
        `${call('FS_WRITE', { path: 'a.txt', content: 'x' })} [SYS_CALL::FS_READ] {"path": ${DEEP}}`,
        { expect: ['"bytes":1', '"errno":"EINVAL"', 'nest deeper than 32 levels'], reply: EXIT },
      ],
    });
    const a = await boot();
    const pcb = await a.kernel.spawn({ task: 't', model });
    expect((await a.kernel.waitExit(pcb.pid)).exitCode).toBe(0);
    await a.kernel.close();
    const stored = await storedEvents(pcb.pid);
    expect(stored.filter((e) => e.type === 'syscall').map((e) => (e.type === 'syscall' ? e.name : ''))).toEqual([
      'FS_WRITE',
      'FS_READ',
      'SYS_EXIT',
    ]);
    expect(stored.filter((e) => e.type === 'result' && !e.ok).map((e) => (e.type === 'result' ? e.errno : ''))).toEqual(
      ['EINVAL'],
    );
  });

  it('answers 10,000 calls in one reply with 32 results and one EINVAL for the rest', async () => {
    const model = await tape({
      root: [
        call('FS_LIST', { path: '/' }).concat('\n').repeat(10_000),
        { expect: 'more after the first 32 were not run', reply: EXIT },
      ],
    });
    const a = await boot();
    const pcb = await a.kernel.spawn({ task: 't', model });
    expect((await a.kernel.waitExit(pcb.pid)).exitCode).toBe(0);
    const results = a.events.filter((e) => e.pid === pcb.pid && e.type === 'result' && e.turn === 0);
    expect(results).toHaveLength(33);
    expect(results.at(-1)).toMatchObject({ ok: false, errno: 'EINVAL' });
  });

  it('ends a process whose state cannot be stored with "kernel error", and keeps the others running', async () => {
    const model = await tape({
      root: [call('SLEEP', { seconds: 0.05 }), EXIT],
      other: [call('SLEEP', { seconds: 0.2 }), EXIT],
    });
    const a = await boot();
    const victim = await a.kernel.spawn({ task: 't', model });
    const other = await a.kernel.spawn({ task: 't', model, name: 'other' });
    const proc = a.kernel.proc(victim.pid);
    if (!proc) throw new Error('no process');
    const real = proc.toRecord.bind(proc);
    let thrown = false;
    // One bad row while the process runs: what an unserialisable runtime did before the parser was bounded.
    vi.spyOn(proc, 'toRecord').mockImplementation(() => {
      if (!thrown && proc.pcb.exitCode === null) {
        thrown = true;
        throw new RangeError('Maximum call stack size exceeded');
      }
      return real();
    });
    const ended = await a.kernel.waitExit(victim.pid);
    expect(ended.exitCode).toBe(1);
    expect(ended.exitReason).toMatch(/^kernel error: .*Maximum call stack size exceeded/);
    expect((await a.kernel.waitExit(other.pid)).exitCode).toBe(0);
    const again = await a.kernel.spawn({ task: 't', model, name: 'other' });
    expect((await a.kernel.waitExit(again.pid)).exitCode).toBe(0);
  });

  it('ends a process whose event cannot be serialised instead of losing the event silently', async () => {
    const model = await tape({ root: [call('SLEEP', { seconds: 30 })] });
    const a = await boot();
    const pcb = await a.kernel.spawn({ task: 't', model });
    await until(() => a.kernel.pcb(pcb.pid)?.state === 'sleeping');
    a.kernel.events.emit({
      type: 'message',
      pid: pcb.pid,
      from_pid: pcb.pid,
      to_pid: 0,
      channel: 'stdout',
      content: 10n as unknown as string,
    });
    const ended = await a.kernel.waitExit(pcb.pid);
    expect(ended.exitReason).toMatch(/^kernel error: a message event of process \d+ could not be stored/);
  });
});

describe('a turn that crashes the kernel', () => {
  const slow = (): Promise<string> =>
    tape({ root: [{ reply: EXIT, delay_ms: 60_000 }], bystander: [{ reply: EXIT, delay_ms: 60_000 }] });

  it('is run again after one crash, and ended with a reason after the second in the same turn', async () => {
    const model = await slow();
    const a = await boot();
    const pcb = await a.kernel.spawn({ task: 't', model });
    await until(() => a.kernel.pcb(pcb.pid)?.state === 'running');
    await crash(a.kernel);

    const b = await boot();
    await until(() => b.kernel.pcb(pcb.pid)?.state === 'running');
    await crash(b.kernel);

    const c = await boot();
    const ended = await c.kernel.waitExit(pcb.pid);
    expect(ended.exitCode).toBe(1);
    expect(ended.exitReason).toBe(
      'kernel error: the kernel crashed 2 times while this process was in turn 0; it was ended instead of running that turn again',
    );
  });

  it('is charged to the process the crash was raised for, not to bystanders in flight', async () => {
    const model = await slow();
    const a = await boot();
    const culprit = await a.kernel.spawn({ task: 't', model });
    const bystander = await a.kernel.spawn({ task: 't', model, name: 'bystander' });
    await until(
      () => a.kernel.pcb(culprit.pid)?.state === 'running' && a.kernel.pcb(bystander.pid)?.state === 'running',
    );
    await crash(a.kernel, culprit.pid);
    const b = await boot();
    await until(
      () => b.kernel.pcb(culprit.pid)?.state === 'running' && b.kernel.pcb(bystander.pid)?.state === 'running',
    );
    await crash(b.kernel, culprit.pid);

    const c = await boot();
    expect((await c.kernel.waitExit(culprit.pid)).exitReason).toMatch(/^kernel error: the kernel crashed 2 times/);
    await until(() => c.kernel.pcb(bystander.pid)?.state === 'running');
    expect(c.kernel.pcb(bystander.pid)?.exitReason).toBeNull();
  });

  it('is not counted after a clean stop', async () => {
    const model = await slow();
    const a = await boot();
    const pcb = await a.kernel.spawn({ task: 't', model });
    await until(() => a.kernel.pcb(pcb.pid)?.state === 'running');
    for (let i = 0; i < 3; i++) {
      const k = i === 0 ? a.kernel : (await boot()).kernel;
      await until(() => k.pcb(pcb.pid)?.state === 'running');
      await k.close();
      kernels = kernels.filter((x) => x !== k);
    }
    const last = await boot();
    await until(() => last.kernel.pcb(pcb.pid)?.state === 'running');
    expect(last.kernel.pcb(pcb.pid)?.exitReason).toBeNull();
  });
});

describe('exactly once across restarts', () => {
  it('emits the prompt of a turn once, even when a crash makes the turn infer again', async () => {
    const model = await tape({ root: [{ reply: call('SLEEP', { seconds: 0.01 }), delay_ms: 60_000 }] });
    const a = await boot();
    const pcb = await a.kernel.spawn({ task: 't', model });
    await until(() => a.events.some((e) => e.pid === pcb.pid && e.type === 'prompt'));
    await until(async () => (await storedEvents(pcb.pid)).some((e) => e.type === 'prompt'));
    await crash(a.kernel);
    const b = await boot();
    await until(() => b.kernel.pcb(pcb.pid)?.state === 'running');
    await b.kernel.close();
    kernels = [];
    expect((await storedEvents(pcb.pid)).filter((e) => e.type === 'prompt')).toHaveLength(1);
  });
});

describe('kill and spawn', () => {
  it('refuses a spawn under a parent killed while the child model loaded, and runs nothing under it', async () => {
    const model = await tape({
      root: [call('SPAWN_AGENT', { role: 'worker' }), EXIT],
      worker: [call('SLEEP', { seconds: 30 })],
    });
    const a = await boot();
    const loads: Array<() => void> = [];
    const get = a.kernel.models.get.bind(a.kernel.models);
    let spawning = false;
    a.kernel.events.subscribe((e) => {
      if (e.type === 'syscall' && e.name === 'SPAWN_AGENT') spawning = true;
    });
    // Every model loads as a new one would (a loaded one spawns the child at once)...
    vi.spyOn(a.kernel.models, 'loaded').mockReturnValue(undefined);
    vi.spyOn(a.kernel.models, 'get').mockImplementation(async (spec) => {
      const driver = await get(spec);
      // ...and the child's load is held until the parent has been killed.
      if (spawning) await new Promise<void>((resolve) => loads.push(resolve));
      return driver;
    });
    const root = await a.kernel.spawn({ task: 't', model });
    await until(() => loads.length === 1);
    expect(a.kernel.kill(root.pid)).toEqual([root.pid]);
    loads[0]?.();
    const ended = await a.kernel.waitExit(root.pid);
    expect(ended.state).toBe('killed');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(a.kernel.list().map((p) => p.pid)).toEqual([root.pid]);
    expect(a.events.some((e) => e.pid === root.pid + 1)).toBe(false);
  });
});

describe('ended processes leave memory', () => {
  it('keeps only live processes in the table; totals, WAIT and ps --all still see the ended ones', async () => {
    const model = await tape({
      root: [
        call('SPAWN_AGENT', { role: 'worker' }),
        call('WAIT', { timeout_s: 10 }),
        { expect: '"output":"done"', reply: call('WAIT', { timeout_s: 1 }) },
        { expect: '"errno":"ECHILD"', reply: EXIT },
      ],
      worker: [call('SYS_EXIT', { result: 'done' })],
    });
    const a = await boot();
    for (let i = 0; i < 50; i++) {
      const ended = await a.kernel.waitExit((await a.kernel.spawn({ task: 't', model })).pid);
      expect(ended.exitReason).toBe('exited');
    }
    expect(await a.kernel.processes()).toEqual([]);
    expect(a.kernel.stats().processes.exited).toBe(100);
    expect(await a.kernel.processes({ all: true })).toHaveLength(100);
  });

  it('answers WAIT for a child reaped before with the same exit', async () => {
    const model = await tape({
      root: [
        call('SPAWN_AGENT', { role: 'worker' }),
        call('WAIT', { pid: 2, timeout_s: 10 }),
        { expect: '"output":"done"', reply: call('WAIT', { pid: 2, timeout_s: 10 }) },
        { expect: '"output":"done"', reply: EXIT },
      ],
      worker: [call('SYS_EXIT', { result: 'done' })],
    });
    const a = await boot();
    expect((await a.kernel.waitExit((await a.kernel.spawn({ task: 't', model })).pid)).exitReason).toBe('exited');
  });

  it('does not report a reaped child again after a restart', async () => {
    const model = await tape({
      root: [
        call('SPAWN_AGENT', { role: 'worker' }),
        call('WAIT', { timeout_s: 10 }),
        { expect: '"pid":2', reply: call('SLEEP', { seconds: 1 }) },
        { expect: '"slept"', reply: call('WAIT', { timeout_s: 1 }) },
        { expect: '"errno":"ECHILD"', reply: EXIT },
      ],
      worker: [EXIT],
    });
    const a = await boot();
    const pcb = await a.kernel.spawn({ task: 't', model });
    await until(() => a.kernel.pcb(pcb.pid)?.state === 'sleeping');
    await a.kernel.close();
    kernels = [];
    const b = await boot();
    expect(b.kernel.proc(pcb.pid)?.children.size).toBe(0);
    expect((await b.kernel.waitExit(pcb.pid)).exitCode).toBe(0);
  });
});

describe('spawns that waited for their model to load', () => {
  it('go on in the turn gate’s slices, not all in the macrotask the load finished in', async () => {
    const model = await tape({ root: [call('SLEEP', { seconds: 30 })] });
    const a = await boot();
    let macrotask = 0;
    let ticking = true;
    const tick = (): void => {
      macrotask++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const insertedIn: number[] = [];
    a.kernel.events.subscribe((e) => {
      if (e.type === 'state' && e.from === null) insertedIn.push(macrotask);
    });
    // All of them ask before the tape has loaded (a burst from a client on a model not used before).
    const n = 1000;
    await Promise.all(Array.from({ length: n }, () => a.kernel.spawn({ task: 't', model })));
    ticking = false;
    expect(insertedIn).toHaveLength(n);
    expect(new Set(insertedIn).size).toBeGreaterThan(1);
  });
});
