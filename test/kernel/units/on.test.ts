/** `on` triggers: a unit started by a run of another unit ending (its codes), or by an approval expiring. */
import { afterEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../../kernel/safety/policy.js';
import type { KernelEvent } from '../../../protocol/events.js';
import { call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';
import { until } from '../../helpers/until.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

type Trigger = Extract<KernelEvent, { type: 'trigger' }>;
const started = (harness: Harness, unit: string): Trigger[] =>
  harness.events.filter((e): e is Trigger => e.type === 'trigger' && e.unit === unit && e.outcome === 'started');
async function firstPrompt(harness: Harness, pid: number): Promise<string> {
  await until(() => harness.eventsOf(pid, 'prompt').length > 0, 5_000, `the first prompt of ${pid}`);
  return (harness.eventsOf(pid, 'prompt')[0] as Extract<KernelEvent, { type: 'prompt' }>).text;
}

describe('units: on triggers', () => {
  it('a run of one unit ending starts the units waiting on it, by name and exit code, each told what happened', async () => {
    h = await startHarness({ ingest: [call('SYS_EXIT', { code: 2 })], alert: [EXIT], any: [EXIT], other: [EXIT] });
    const k = h;
    const model = `replay:${k.tape}`;
    k.kernel.units.add({ name: 'ingest', task: 'ingest', model });
    k.kernel.units.add({
      name: 'alert',
      task: 'ingest failed with {{trigger.code}}',
      model,
      triggers: [{ on: { exit: { unit: 'ingest', codes: [1, 2] } } }],
    });
    k.kernel.units.add({ name: 'any', task: 't', model, triggers: [{ on: { exit: { unit: 'ing*' } } }] });
    k.kernel.units.add({
      name: 'other',
      task: 't',
      model,
      triggers: [{ on: { exit: { unit: 'ingest', codes: [1] } } }],
    });
    const run = await k.kernel.units.run('ingest');
    await until(() => started(k, 'alert').length === 1 && started(k, 'any').length === 1, 10_000, 'both');
    const alert = started(k, 'alert')[0] as Trigger;
    expect(alert.trigger).toBe('on exit of ingest (codes 1, 2)');
    expect(await firstPrompt(k, alert.pid)).toContain(
      `"event":{"event":"exit","unit":"ingest","pid":${run.pid},"code":2,"state":"exited"}`,
    );
    expect(await firstPrompt(k, alert.pid)).toContain('[TASK] ingest failed with 2');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(started(k, 'other')).toHaveLength(0);
    // Runs of alert and any ended too: nothing waits on them, nothing more starts.
    expect(started(k, 'ingest')).toHaveLength(1);
  });

  it('an approval that expires starts the unit waiting for that', async () => {
    const safety = parsePolicy(
      'version: 1\nroot: {capabilities: ["fs.write:/**"]}\nrules:\n  - ask: "fs.write:/src/**"\napprovals:\n  timeout_s: 1\n',
      'p',
    ).safety;
    h = await startHarness(
      { root: [call('FS_WRITE', { path: '/src/a.txt', content: 'x' }), EXIT], escalate: [EXIT] },
      { safety, rootCapabilities: ['fs.write:/**'] },
    );
    const k = h;
    k.kernel.units.add({
      name: 'escalate',
      task: 'nobody answered {{trigger.call}}',
      model: `replay:${k.tape}`,
      capabilities: [],
      triggers: [{ on: { approval: 'expired' } }],
    });
    const pcb = await k.spawn();
    await until(() => started(k, 'escalate').length === 1, 10_000, 'escalate');
    const prompt = await firstPrompt(k, (started(k, 'escalate')[0] as Trigger).pid);
    expect(prompt).toContain(`"event":{"event":"approval_expired","pid":${pcb.pid}`);
    expect(prompt).toContain('[TASK] nobody answered FS_WRITE');
  });

  it('refuses a unit started by its own runs ending, and an event it does not know', async () => {
    h = await startHarness({ x: [EXIT] });
    const k = h;
    expect(() =>
      k.kernel.units.add({ name: 'loop', task: 't', triggers: [{ on: { exit: { unit: 'lo*' } } }] }),
    ).toThrow(/loops; use restart/);
    expect(() => k.kernel.units.add({ name: 'x', task: 't', triggers: [{ on: { signal: 'HUP' } }] })).toThrow(
      /triggers\[0\]/,
    );
    expect(() =>
      k.kernel.units.add({ name: 'x', task: 't', triggers: [{ on: { budget: { level: 'half' } } }] }),
    ).toThrow(/triggers\[0\]/);
  });
});

describe('units: SPAWN_AGENT {"unit"}', () => {
  it('a process holding unit:<name> starts the unit as its child, within its own capabilities, recorded as a run', async () => {
    h = await startHarness(
      {
        root: [call('SPAWN_AGENT', { unit: 'helper', task: 'help with the notes' }), call('WAIT', {}), EXIT],
        helper: [
          {
            expect: ['[EVENT::TRIGGER] {"unit":"helper","trigger":"spawned by', 'help with the notes'],
            reply: call('SYS_EXIT', { code: 4 }),
          },
        ],
        lacks: [call('SPAWN_AGENT', { unit: 'helper' }), { expect: '"errno":"EPERM"', reply: EXIT }],
      },
      { rootCapabilities: ['fs.read:/**', 'fs.write:/notes/**', 'spawn', 'unit:help*'] },
    );
    const k = h;
    k.kernel.units.add({
      name: 'helper',
      task: 'its own task',
      model: `replay:${k.tape}`,
      capabilities: ['fs.read:/**', 'fs.write:/notes/**'],
      restart: 'on-failure',
    });
    const parent = await k.spawn({ name: 'root', capabilities: ['fs.read:/**', 'spawn', 'unit:helper'] });
    await k.kernel.waitExit(parent.pid);
    const [run] = k.kernel.units.runs('helper', 10);
    expect(run).toMatchObject({ trigger: `spawned by ${parent.pid}`, outcome: 'started' });
    const child = k.kernel.pcb(run?.pid as number) ?? k.kernel.endedPcb(run?.pid as number);
    expect(child).toMatchObject({ ppid: parent.pid, name: 'helper', exitCode: 4 });
    // Within the parent's: it held no fs.write, so neither does the unit's child.
    expect(child?.capabilities).toEqual(['fs.read:/**']);
    // Its parent handles its end: no restart though it failed.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(k.kernel.units.runs('helper', 10)).toHaveLength(1);
    // Without unit:helper, the call is refused.
    const other = await k.spawn({ name: 'lacks', capabilities: ['spawn'] });
    expect((await k.kernel.waitExit(other.pid)).exitCode).toBe(0);
  });

  it('a budget crossing 80 % and then 100 % starts the units waiting for it, each told which budget and how much', async () => {
    const { parsePolicy: parse } = await import('../../../kernel/safety/policy.js');
    const cost = parse(
      'version: 1\nroot: {capabilities: []}\nbudgets:\n  - {process: spender, daily_tokens: 3000, tz: UTC}\n',
      'p',
    ).cost;
    const entries = Array.from({ length: 10 }, (_, i) => ({
      reply: call('SYS_WRITE_STDOUT', { text: `t${i}` }),
      usage: { prompt: 900, output: 100 },
    }));
    h = await startHarness({ spender: entries, watcher: [EXIT], late: [EXIT] }, { cost, rootCapabilities: [] });
    const k = h;
    const model = `replay:${k.tape}`;
    // queue: the 80 % run may still be going when 100 % is crossed (skip, the default, would drop it under load).
    k.kernel.units.add({
      name: 'watcher',
      task: '{{trigger.budget}} is at {{trigger.level}}',
      model,
      capabilities: [],
      triggers: [{ on: { budget: 'crossed' } }],
      on_overlap: 'queue',
    });
    k.kernel.units.add({
      name: 'late',
      task: 't',
      model,
      capabilities: [],
      triggers: [{ on: { budget: { name: 'process-*', level: 'exhausted' } } }],
    });
    await k.spawn({ name: 'spender' });
    await until(
      () => started(k, 'watcher').length === 2 && started(k, 'late').length === 1,
      10_000,
      'the budget triggers',
    );
    const [warned, spent] = started(k, 'watcher') as [Trigger, Trigger];
    expect(warned.trigger).toBe('on budget * crossed');
    expect(await firstPrompt(k, warned.pid)).toContain(
      '"event":{"event":"budget","budget":"process-spender","key":"process:spender","window":',
    );
    expect(await firstPrompt(k, warned.pid)).toContain('[TASK] process-spender is at warning');
    expect(await firstPrompt(k, spent.pid)).toContain('[TASK] process-spender is at exhausted');
    expect((started(k, 'late')[0] as Trigger).trigger).toBe('on budget process-* exhausted');
  });
});
