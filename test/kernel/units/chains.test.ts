/**
 * Loops the trigger graph cannot see before they run are bounded as they run (issue 47.6): a run
 * started by what another run did continues its chain, and past param.unitChainMaxRuns the next is
 * not started — recorded as skipped with the chain, and said once in the kernel's log.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KernelEvent } from '../../../protocol/events.js';
import { param } from '../../../sys/param.js';
import { ALL_CAPS, call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';
import { until } from '../../helpers/until.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

type Trigger = Extract<KernelEvent, { type: 'trigger' }>;
const triggers = (k: Harness): Trigger[] => k.events.filter((e): e is Trigger => e.type === 'trigger');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('units: chains of runs', () => {
  it("two units watching each other's outputs, with grants the graph cannot read, stop at the chain's limit", async () => {
    h = await startHarness({
      ping: [call('FS_WRITE', { path: '/b/from-ping.txt', content: 'ping' }), EXIT],
      pong: [call('FS_WRITE', { path: '/a/from-pong.txt', content: 'pong' }), EXIT],
    });
    const k = h;
    const log = vi.spyOn(k.kernel, 'log');
    await mkdir(path.join(k.workspace, 'a'), { recursive: true });
    await mkdir(path.join(k.workspace, 'b'), { recursive: true });
    // Their grants are the whole workspace (the policy's root): where they write is not said, so both are accepted.
    k.kernel.units.add({
      name: 'ping',
      task: 't',
      model: `replay:${k.tape}`,
      triggers: [{ watch: { paths: ['a/**'], debounce: '100ms' } }],
    });
    k.kernel.units.add({
      name: 'pong',
      task: 't',
      model: `replay:${k.tape}`,
      triggers: [{ watch: { paths: ['b/**'], debounce: '100ms' } }],
    });
    await k.kernel.units.watching('ping');
    await k.kernel.units.watching('pong');
    await writeFile(path.join(k.workspace, 'a', 'start.txt'), 'from outside');
    await until(() => triggers(k).some((t) => t.outcome === 'skipped'), 30_000, 'the chain stopped');
    await sleep(1_000);
    const all = triggers(k);
    expect(all.filter((t) => t.outcome === 'started').map((t) => t.unit)).toEqual([
      'ping',
      'pong',
      'ping',
      'pong',
      'ping',
      'pong',
      'ping',
      'pong',
    ]);
    expect(all.filter((t) => t.outcome === 'started')).toHaveLength(param.unitChainMaxRuns);
    const refused = all.filter((t) => t.outcome === 'skipped');
    expect(refused).toHaveLength(1);
    expect(refused[0]?.unit).toBe('ping');
    expect(refused[0]?.reason).toMatch(
      /^a chain of 8 runs, each started by what the one before did, reached its limit \(param\.unitChainMaxRuns 8\): ping \(pid \d+\) -> pong \(pid \d+\) -> .* -> pong \(pid \d+\) -> ping; a loop between units\?$/,
    );
    const warned = log.mock.calls.filter(([, message]) => message.includes('a chain of'));
    expect(warned).toHaveLength(1);
    expect(warned[0]?.[0]).toBe('warn');
    expect(warned[0]?.[1]).toMatch(/^unit ping not started: a chain of 8 runs/);
    // A change from outside begins a chain of its own.
    await writeFile(path.join(k.workspace, 'a', 'again.txt'), 'from outside');
    await until(
      () => triggers(k).filter((t) => t.outcome === 'started').length > param.unitChainMaxRuns,
      10_000,
      'a new chain',
    );
  }, 60_000);

  it('a unit that starts itself as a child through a grant naming every unit stops at the limit, with EAGAIN', async () => {
    const nest = [call('SPAWN_AGENT', { unit: 'deep', task: 'go deeper' }), call('WAIT', {}), EXIT];
    h = await startHarness({ deep: nest }, { rootCapabilities: [...ALL_CAPS, 'unit:*'] });
    const k = h;
    k.kernel.units.add({
      name: 'deep',
      task: 'go deeper',
      model: `replay:${k.tape}`,
      capabilities: ['spawn', 'unit:*'],
    });
    const first = await k.kernel.units.run('deep');
    await k.kernel.waitExit(first.pid as number);
    const spawns = k.events.filter(
      (e): e is Extract<KernelEvent, { type: 'result' }> => e.type === 'result' && e.name === 'SPAWN_AGENT',
    );
    expect(spawns.filter((r) => r.ok)).toHaveLength(param.unitChainMaxRuns - 1);
    const refused = spawns.find((r) => !r.ok);
    expect(refused?.errno).toBe('EAGAIN');
    expect(refused?.message).toMatch(
      /unit deep not started: a chain of 8 runs.*deep \(pid \d+\) -> deep; a loop between units\?/,
    );
    expect(k.kernel.units.runs('deep', 20).filter((r) => r.outcome === 'skipped')).toHaveLength(1);
  }, 60_000);
});
