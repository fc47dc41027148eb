/**
 * What happens around a unit's runs over time: due times missed while the kernel was down (caught
 * up as the unit says, bounded), runs that fail (restarted with a doubling backoff, up to a limit),
 * and the record of it all (every firing in the audit trail, the chain intact).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { Kernel } from '../../../kernel/kernel.js';
import type { KernelEvent } from '../../../protocol/events.js';
import { ALL_CAPS, call, EXIT } from '../../helpers/kernel-harness.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { until } from '../../helpers/until.js';

type Trigger = Extract<KernelEvent, { type: 'trigger' }>;

let dir: string;
const kernels: Kernel[] = [];
afterEach(async () => {
  for (const k of kernels.splice(0)) await k.shutdown().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

async function open(
  clock: FakeClock,
  agents: Record<string, unknown[]>,
): Promise<{ kernel: Kernel; triggers: Trigger[]; tape: string }> {
  dir ??= '';
  const tape = path.join(dir, 'tape.yaml');
  await writeFile(tape, YAML.stringify({ agents }));
  const kernel = await Kernel.create({
    workspace: path.join(dir, 'ws'),
    rootCapabilities: ALL_CAPS,
    cwd: dir,
    storeFile: path.join(dir, 'aos.db'),
    clock: clock,
  });
  kernels.push(kernel);
  const triggers: Trigger[] = [];
  kernel.events.subscribe((e) => e.type === 'trigger' && triggers.push(e));
  // Firings of start-up (catch-up) came before this listener: read them back from the store.
  return { kernel, triggers, tape };
}

async function reopen(clock: FakeClock, first: Kernel, agents: Record<string, unknown[]>): Promise<Kernel> {
  await first.close();
  kernels.splice(kernels.indexOf(first), 1);
  return (await open(clock, agents)).kernel;
}

describe('catch-up after the kernel was down', () => {
  it.each([
    ['once', ['skipped', 'started'], 1],
    ['skip', ['skipped'], 0],
    ['all', ['started', 'started', 'started'], 3],
  ] as const)('catch_up: %s over a 6 s outage of every 2s', async (policy, outcomes, runs) => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-units-'));
    const clock = new FakeClock();
    const agents = { tick: [EXIT] };
    const { kernel, tape } = await open(clock, agents);
    kernel.units.add({
      name: 'tick',
      task: 'due {{trigger.scheduled_for}}',
      model: `replay:${tape}`,
      triggers: [{ every: '2s' }],
      catch_up: policy,
      on_overlap: 'parallel',
    });
    await clock.advance(2_000);
    await until(() => kernel.units.info('tick').runs === 1);
    const downAt = clock.now();
    await kernel.close();
    kernels.splice(kernels.indexOf(kernel), 1);
    clock.set(downAt + 6_500); // due at +2, +4, +6 s while down
    const again = (await open(clock, agents)).kernel;
    const since = again.units
      .runs('tick', 50)
      .filter((r) => r.fired_at >= downAt + 6_500)
      .reverse();
    expect(since.map((r) => r.outcome)).toEqual(outcomes);
    const caughtUp = since.filter((r) => r.outcome === 'started');
    expect(caughtUp).toHaveLength(runs);
    if (policy === 'once') {
      expect(caughtUp[0]?.scheduled_for).toBe(downAt + 6_000); // the newest due time, named
      expect(caughtUp[0]?.reason).toBe('catch-up');
      expect(since[0]?.reason).toBe('2 more due while the kernel was down: one run catches up (catch_up: once)');
    }
    if (policy === 'all')
      expect(caughtUp.map((r) => r.scheduled_for)).toEqual([2_000, 4_000, 6_000].map((d) => downAt + d));
    // And the schedule goes on from there, nothing fired twice.
    await clock.advance(2_000);
    await until(() => again.units.runs('tick', 50).filter((r) => r.scheduled_for === downAt + 8_000).length === 1);
  });
});

describe('restart', () => {
  it('on-failure restarts a failing run after 1, 2, 4 s and stops at its limit; a run that succeeds is not restarted', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-units-'));
    const clock = new FakeClock();
    const { kernel, triggers, tape } = await open(clock, { failing: [call('SYS_EXIT', { code: 3 })], fine: [EXIT] });
    const base = { model: `replay:${tape}`, restart: 'on-failure', restart_max: 3, restart_backoff: '1s' };
    kernel.units.add({ name: 'failing', task: 'fail', ...base });
    kernel.units.add({ name: 'fine', task: 'succeed', ...base });
    await kernel.units.run('failing');
    await kernel.units.run('fine');
    const of = (name: string): Trigger[] => triggers.filter((e) => e.unit === name);
    for (const [wait, count] of [
      [1_000, 2],
      [2_000, 3],
      [4_000, 4],
    ] as const) {
      await until(() => kernel.units.info('failing').live.length === 0 && clock.pending > 0, 5000, 'a restart armed');
      await clock.advance(wait - 1);
      expect(of('failing').filter((e) => e.outcome === 'started')).toHaveLength(count - 1); // not before its backoff
      await clock.advance(1);
      await until(() => of('failing').filter((e) => e.outcome === 'started').length === count);
    }
    expect(
      of('failing')
        .filter((e) => e.outcome === 'started')
        .map((e) => e.trigger),
    ).toEqual(['by hand', 'restart 1/3', 'restart 2/3', 'restart 3/3']);
    await until(() => of('failing').some((e) => e.outcome === 'skipped'));
    expect(of('failing').at(-1)?.reason).toMatch(/exited 3; the restart limit \(3\) is reached/);
    expect(of('fine').map((e) => e.outcome)).toEqual(['started']);
    // Every firing is in the audit trail, and the chain holds.
    const audited = kernel.safety.audit.list({ limit: 100 }).filter((r) => r.call === 'TRIGGER');
    expect(audited.length).toBe(of('failing').length + of('fine').length);
    expect(audited.some((r) => r.decision === 'deny' && /restart limit/.test(r.reason ?? ''))).toBe(true);
    expect(kernel.safety.audit.verify().ok).toBe(true);
  });
});
