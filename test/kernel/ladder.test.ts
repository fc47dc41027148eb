/**
 * A model ladder in a real kernel: each turn runs on the rung the kernel chose from what it saw —
 * a malformed call, the same errno twice or a reply without a syscall climb a rung and hold it,
 * then a quiet turn steps down; a wake-up is read on the cheapest rung; SYS_ESCALATE asks and the
 * policy caps it. Rungs are replay tapes (each indexed by turn), so which one answered shows.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../protocol/events.js';
import { NO_COST_POLICY } from '../../kernel/cost/cost-policy.js';
import { call, EXIT, type Harness, startHarness, type TapeEntry } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

type Route = Extract<KernelEvent, { type: 'route' }>;
const routes = (harness: Harness, pid: number): Array<[number, number, string]> =>
  harness.eventsOf(pid, 'route').map((e) => [(e as Route).turn, (e as Route).rung, (e as Route).reason]);

/** A second tape beside the harness's: the strong rung. Both answer by turn, so one list fits both. */
async function strongTape(harness: Harness, agents: Record<string, TapeEntry[]>): Promise<string> {
  const file = path.join(harness.dir, 'strong.yaml');
  await writeFile(file, YAML.stringify({ agents }));
  return file;
}

const NOTE = (n: number): string => call('SYS_WRITE_STDOUT', { text: `step ${n}` });

describe('a model ladder', () => {
  it('climbs after a malformed call, holds the rung, then steps down; each turn is counted on its rung', async () => {
    const cheap = [
      '[SYS_CALL::FS_WRITE] {"path": "a.txt", "content": oops}',
      NOTE(1),
      NOTE(2),
      NOTE(3),
      NOTE(4),
      NOTE(5),
      EXIT,
    ];
    h = await startHarness({ root: cheap });
    const strong = await strongTape(h, { root: cheap });
    const pcb = await h.run({ model: 'auto', ladder: [h.tape, strong] });
    expect(pcb.exitCode).toBe(0);
    expect(routes(h, pcb.pid)).toEqual([
      [0, 0, 'the cheapest rung'],
      [1, 1, 'escalated: 1 malformed or unknown call'],
      [2, 1, 'held after an escalation (2 more turns)'],
      [3, 1, 'held after an escalation (1 more turn)'],
      [4, 1, 'held after an escalation (0 more turns)'],
      [5, 0, 'stepped down: the last turn went well'],
      [6, 0, 'the cheapest rung'],
    ]);
    // The model event says which rung answered; the PCB counts the mix.
    const models = h.eventsOf(pcb.pid, 'model').map((e) => (e.type === 'model' ? e.model : null));
    expect(models).toEqual([
      `replay:${h.tape}`,
      ...Array(4).fill(`replay:${strong}`),
      `replay:${h.tape}`,
      `replay:${h.tape}`,
    ]);
    expect(pcb.counters.models).toEqual({ [`replay:${h.tape}`]: 3, [`replay:${strong}`]: 4 });
    expect(pcb.model).toBe(`ladder:replay:${h.tape}|replay:${strong}`);
  });

  it('climbs on the same errno twice in a row and on a reply without a syscall; a wake-up is read on the cheapest rung', async () => {
    const missing = call('FS_READ', { path: 'nope.txt' });
    const list = [
      missing,
      missing,
      NOTE(1),
      NOTE(2),
      NOTE(3),
      NOTE(4),
      'Thinking it over, no call this time.',
      NOTE(5),
      EXIT,
    ];
    h = await startHarness({ root: list });
    const strong = await strongTape(h, { root: list });
    const pcb = await h.run({ model: 'auto', ladder: [h.tape, strong] });
    const seen = routes(h, pcb.pid);
    expect(seen[2]).toEqual([2, 1, 'escalated: ENOENT twice in a row']);
    expect(seen[7]).toEqual([7, 1, 'escalated: a reply without a syscall']);

    h.close().catch(() => undefined);
    h = await startHarness({ root: [call('SLEEP', { seconds: 0.05 }), EXIT] });
    const other = await strongTape(h, { root: [call('SLEEP', { seconds: 0.05 }), EXIT] });
    const sleeper = await h.run({ model: 'auto', ladder: [h.tape, other] });
    expect(routes(h, sleeper.pid)[1]).toEqual([1, 0, 'a wake-up: the cheapest rung']);
  });

  it("gives a child its parent's ladder, or the part of it up to the rung it names — never more", async () => {
    h = await startHarness({});
    const mid = path.join(h.dir, 'mid.yaml');
    const top = path.join(h.dir, 'top.yaml');
    const children = { same: [EXIT], low: [EXIT] };
    const root = [
      [
        call('SPAWN_AGENT', { role: 'w', name: 'same', task: 't' }),
        call('SPAWN_AGENT', { role: 'w', name: 'low', task: 't', model: `replay:${mid}` }),
      ].join('\n'),
      call('WAIT', {}),
      call('WAIT', {}),
      EXIT,
    ];
    for (const file of [h.tape, mid, top]) await writeFile(file, YAML.stringify({ agents: { root, ...children } }));
    const pcb = await h.run({ model: 'auto', ladder: [h.tape, mid, top] });
    expect(pcb.exitCode).toBe(0);
    expect(h.kernel.pcb(2)?.model).toBe(`ladder:replay:${h.tape}|replay:${mid}|replay:${top}`);
    expect(h.kernel.pcb(3)?.model).toBe(`ladder:replay:${h.tape}|replay:${mid}`);
  });

  it('caps SYS_ESCALATE at the policy’s count; on one model it is refused as meaningless', async () => {
    const asks = [call('SYS_ESCALATE', { reason: 'one' }), call('SYS_ESCALATE', { reason: 'two' }), EXIT];
    h = await startHarness({ root: asks });
    Object.assign(h.kernel, { cost: { ...NO_COST_POLICY, escalations: 1 } });
    const strong = await strongTape(h, { root: asks });
    const pcb = await h.run({ model: 'auto', ladder: [h.tape, strong] });
    const [first, second] = h.results(pcb.pid);
    expect(first).toMatchObject({ ok: true, value: { asked: true, left: 0 } });
    expect(second).toMatchObject({ ok: false, errno: 'EPERM' });
    expect(second?.message).toContain('used the 1 escalations the policy allows');

    const plain = await h.run();
    expect(h.results(plain.pid)[0]).toMatchObject({ ok: false, errno: 'EINVAL' });
  });

  it('runs --model auto on the policy’s ladder, and refuses it when the policy names none', async () => {
    h = await startHarness({ root: [EXIT] });
    await expect(h.kernel.spawn({ task: 't', model: 'auto' })).rejects.toThrow(/the policy names no ladder/);
    const strong = await strongTape(h, { root: [EXIT] });
    Object.assign(h.kernel, { cost: { ...NO_COST_POLICY, ladder: [`replay:${h.tape}`, `replay:${strong}`] } });
    const pcb = await h.kernel.spawn({ task: 't', model: 'auto' });
    expect(pcb.model).toBe(`ladder:replay:${h.tape}|replay:${strong}`);
    expect((await h.kernel.waitExit(pcb.pid)).exitCode).toBe(0);
    await expect(h.kernel.spawn({ task: 't', ladder: [h.tape, h.tape] })).rejects.toThrow(/is on it twice/);
  });
});

describe('a model ladder across a restart', () => {
  it('keeps its rung, the turns its escalation still holds, and its mix', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const os = await import('node:os');
    const { Kernel } = await import('../../kernel/kernel.js');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-ladder-'));
    const list = [
      '[SYS_CALL::FS_WRITE] {"path": "a.txt", "content": oops}',
      call('SYS_READ_STDIN', { timeout_s: 600 }),
      NOTE(1),
      EXIT,
    ];
    const [cheap, strong] = [path.join(dir, 'cheap.yaml'), path.join(dir, 'strong.yaml')];
    for (const file of [cheap, strong]) await writeFile(file, YAML.stringify({ agents: { root: list } }));
    const options = {
      workspace: path.join(dir, 'ws'),
      rootCapabilities: ['fs.write:/**', 'ipc'],
      storeFile: path.join(dir, 'aos.db'),
      cwd: dir,
    };
    try {
      const first = await Kernel.create(options);
      const pcb = await first.spawn({ task: 't', model: 'auto', ladder: [cheap, strong] });
      await until(() => first.pcb(pcb.pid)?.state === 'blocked');
      await first.close();
      const second = await Kernel.create(options);
      try {
        const seen: KernelEvent[] = [];
        second.events.subscribe((e) => seen.push(e));
        second.send(pcb.pid, 'go on');
        const ended = await second.waitExit(pcb.pid);
        expect(ended.exitCode).toBe(0);
        // Turn 1 climbed; turns 2 and 3 are held on the strong rung after the restart.
        expect(seen.filter((e): e is Route => e.type === 'route').map((e) => [e.turn, e.rung])).toEqual([
          [2, 1],
          [3, 1],
        ]);
        expect(ended.counters.models).toEqual({ [`replay:${cheap}`]: 1, [`replay:${strong}`]: 3 });
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
