/**
 * A kill the kernel has acknowledged (the daemon answers once it is committed) is never undone by
 * a restart, even when the process was still being reaped: its command or request still dying.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/index.js';
import { Kernel } from '../../../kernel/kernel.js';
import type { KernelEvent } from '../../../kernel/wire/events.js';
import { ALL_CAPS, call, EXIT } from '../../helpers/kernel-harness.js';
import { until } from '../../helpers/until.js';

const bwrap = await findBwrap();
let dir: string;
let kernels: Kernel[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-kill-durable-'));
});
afterEach(async () => {
  for (const k of kernels) await k.close();
  kernels = [];
  await rm(dir, { recursive: true, force: true });
});

async function boot(): Promise<{ kernel: Kernel; events: KernelEvent[] }> {
  const kernel = await Kernel.create({ workspace: path.join(dir, 'ws'), rootCapabilities: ALL_CAPS, storeFile: path.join(dir, 'aos.db'), cwd: dir });
  kernels.push(kernel);
  const events: KernelEvent[] = [];
  kernel.events.subscribe((e) => events.push(e));
  return { kernel, events };
}

describe.skipIf(!bwrap)('an acknowledged kill', () => {
  it.each([
    ['the process', false, 'killed'],
    ['its subtree', true, 'killed with its ancestor 1'],
  ])('of %s survives a kernel stop that came before the reap', async (_what, tree, childReason) => {
    const file = path.join(dir, 'tape.yaml');
    const busy = call('EXEC_CMD', { cmd: 'sleep 30', timeout_s: 60 });
    await writeFile(file, YAML.stringify({ agents: { root: [`${call('SPAWN_AGENT', { role: 'worker' })}\n${busy}`, EXIT], worker: [busy, EXIT] } }));
    const model = `replay:${file}`;
    const a = await boot();
    const root = await a.kernel.spawn({ task: 't', model });
    const execs = () => a.events.filter((e) => e.type === 'syscall' && e.name === 'EXEC_CMD').length;
    await until(() => execs() === 2, 20_000);

    const victims = a.kernel.kill(tree ? root.pid : 2, { tree });
    expect(victims).toEqual(tree ? [1, 2] : [2]);
    await a.kernel.store.committed(); // what the daemon waits for before it answers the kill
    // Still being reaped (its sandbox dying) when the kernel stops: a clean stop, or a crash at this point.
    expect(a.kernel.pcb(2)?.state).toBe('running');
    await a.kernel.close();

    const b = await boot();
    const child = await b.kernel.waitExit(2);
    expect([child.state, child.exitCode, child.exitReason]).toEqual(['killed', 137, tree ? childReason : 'killed']);
    // Nothing of the killed process ran again: no new turn, no call reported interrupted to its model.
    expect(b.events.filter((e) => e.pid === 2 && (e.type === 'result' || e.type === 'prompt'))).toEqual([]);
    if (tree) {
      const ended = await b.kernel.waitExit(1);
      expect([ended.state, ended.exitCode, ended.exitReason]).toEqual(['killed', 137, 'killed']);
    } else {
      expect(b.kernel.pcb(1)?.state).not.toBe('killed');
    }
  }, 60_000);
});
