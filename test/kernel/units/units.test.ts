/**
 * Units in a real kernel, on a clock the test moves: time triggers fire runs that are ordinary
 * processes told why they run; the overlap policies hold; what is refused at `add` is refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../../protocol/events.js';
import { call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { until } from '../../helpers/until.js';

const BLOCK = call('RECV_MSG', { timeout_s: 600 });

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

type Trigger = Extract<KernelEvent, { type: 'trigger' }>;
const triggers = (harness: Harness): Trigger[] => harness.events.filter((e): e is Trigger => e.type === 'trigger');
const started = (harness: Harness): Trigger[] => triggers(harness).filter((e) => e.outcome === 'started');

async function kernelWith(
  tape: Record<string, Array<string | { reply: string }>>,
  clock: FakeClock,
  rootCapabilities?: string[],
): Promise<Harness> {
  h = await startHarness(tape, { clock: clock, ...(rootCapabilities ? { rootCapabilities } : {}) });
  return h;
}

function unit(harness: Harness, name: string, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    name,
    task: 'Due at {{trigger.scheduled_for}} ({{trigger.name}})',
    model: `replay:${harness.tape}`,
    ...extra,
  };
}

describe('units: time triggers', () => {
  it('every 2s for 7 s starts 3 runs, each an ordinary process told why it runs', async () => {
    const clock = new FakeClock();
    const k = await kernelWith({ beat: [EXIT] }, clock);
    const t0 = clock.now();
    k.kernel.units.add(unit(k, 'beat', { triggers: [{ every: '2s' }] }));
    // Each run ends well within its 2 s (real processes take real time: the clock waits for them).
    for (let i = 1; i <= 3; i++) {
      await clock.advance(2_000);
      await until(() => started(k).length === i && k.kernel.units.info('beat').live.length === 0);
    }
    await clock.advance(1_000);
    expect(triggers(k)).toHaveLength(3);
    const runs = started(k);
    expect(runs.map((e) => e.scheduled_for)).toEqual([2_000, 4_000, 6_000].map((d) => new Date(t0 + d).toISOString()));
    const first = k.eventsOf(runs[0]?.pid as number, 'prompt')[0] as Extract<KernelEvent, { type: 'prompt' }>;
    expect(first.text.split('\n')[0]).toBe(
      `[EVENT::TRIGGER] {"unit":"beat","trigger":"every 2s","scheduled_for":"${runs[0]?.scheduled_for}"}`,
    );
    expect(first.text).toContain(`[TASK] Due at ${runs[0]?.scheduled_for} (every 2s)`);
    expect(k.kernel.pcb(runs[0]?.pid as number)?.name).toBe('beat');
    const info = k.kernel.units.info('beat');
    expect(info).toMatchObject({ runs: 3, skips: 0, triggers: ['every 2s'], next_run: t0 + 8_000 });
  });

  it('a cron in a time zone fires on its minute there; at fires once', async () => {
    const clock = new FakeClock(Date.parse('2026-11-24T07:58:30Z')); // 08:58:30 in Berlin
    const k = await kernelWith({ morning: [EXIT], once: [EXIT] }, clock);
    k.kernel.units.add(unit(k, 'morning', { triggers: [{ cron: '0 9 * * *', tz: 'Europe/Berlin' }] }));
    k.kernel.units.add(unit(k, 'once', { triggers: [{ at: '2026-11-24T08:00:10Z' }] }));
    expect(k.kernel.units.info('morning').next_run).toBe(Date.parse('2026-11-24T08:00:00Z'));
    await clock.advance(3 * 60_000);
    await until(() => started(k).length === 2);
    expect(started(k).map((e) => `${e.unit} ${e.scheduled_for}`)).toEqual([
      'morning 2026-11-24T08:00:00.000Z',
      'once 2026-11-24T08:00:10.000Z',
    ]);
    expect(k.kernel.units.info('once').next_run).toBeNull();
  });
});

describe('units: overlap', () => {
  it('skip never has two live runs and says why it skipped', async () => {
    const clock = new FakeClock();
    const k = await kernelWith({ slow: [BLOCK] }, clock);
    k.kernel.units.add(unit(k, 'slow', { triggers: [{ every: '1m' }], on_overlap: 'skip' }));
    await clock.advance(3 * 60_000);
    await until(() => triggers(k).length === 3);
    expect(triggers(k).map((e) => e.outcome)).toEqual(['started', 'skipped', 'skipped']);
    expect(triggers(k)[1]?.reason).toMatch(/a run is still going \(pid \d+; on_overlap: skip\)/);
    expect(k.kernel.units.info('slow').live).toHaveLength(1);
  });

  it('queue runs the next firing when the run ends; replace kills the run and starts anew; parallel stops at its cap', async () => {
    const clock = new FakeClock();
    const k = await kernelWith({ q: [BLOCK], r: [BLOCK], p: [BLOCK] }, clock);
    k.kernel.units.add(unit(k, 'q', { triggers: [{ every: '1m' }], on_overlap: 'queue' }));
    k.kernel.units.add(unit(k, 'r', { triggers: [{ every: '1m' }], on_overlap: 'replace' }));
    k.kernel.units.add(unit(k, 'p', { triggers: [{ every: '1m' }], on_overlap: 'parallel', max_parallel: 2 }));
    await clock.advance(3 * 60_000);
    await until(() => triggers(k).length === 9);
    const of = (name: string): string[] =>
      triggers(k)
        .filter((e) => e.unit === name)
        .map((e) => e.outcome);
    expect(of('q')).toEqual(['started', 'queued', 'queued']);
    expect(of('r')).toEqual(['started', 'started', 'started']);
    expect(of('p')).toEqual(['started', 'started', 'skipped']);
    expect(k.kernel.units.info('r').live).toHaveLength(1);
    const replaced = started(k).filter((e) => e.unit === 'r')[0]?.pid as number;
    expect(k.kernel.pcb(replaced)?.state).toBe('killed');
    // The queued firing runs once the running one ends.
    const first = k.kernel.units.info('q').live[0] as number;
    k.kernel.kill(first);
    await until(() => started(k).filter((e) => e.unit === 'q').length === 2);
    expect(started(k).filter((e) => e.unit === 'q')[1]?.trigger).toBe('every 1m (queued)');
    expect(k.kernel.units.info('q').queued).toBe(1);
  });
});

describe('units: add refuses what cannot hold', () => {
  it('names each capability the policy root does not hold, and keeps nothing', async () => {
    const clock = new FakeClock();
    const k = await kernelWith({ x: [EXIT] }, clock, ['fs.read:/**', 'fs.write:/notes/**']);
    expect(() =>
      k.kernel.units.add(unit(k, 'greedy', { capabilities: ['fs.read:/**', 'exec', 'net.fetch:*.example.com'] })),
    ).toThrow(/asks for more than the policy's root holds: exec, net\.fetch:\*\.example\.com$/);
    expect(k.kernel.units.list()).toEqual([]);
    expect(k.kernel.units.add(unit(k, 'modest', { capabilities: ['fs.write:/notes/today/**'] })).name).toBe('modest');
  });

  it('refuses bad schedules with what is wrong, and the triggers it does not run yet by name', async () => {
    const clock = new FakeClock();
    const k = await kernelWith({ x: [EXIT] }, clock);
    const add =
      (triggers: unknown[]): (() => unknown) =>
      () =>
        k.kernel.units.add(unit(k, 'x', { triggers }));
    expect(add([{ cron: '*/5 * * *' }])).toThrow(/must have five fields .* it has 4/);
    expect(add([{ cron: '61 * * * *' }])).toThrow(/minute: 61/);
    expect(add([{ cron: '0 9 * * *', tz: 'Mars/Olympus' }])).toThrow(/not an IANA time zone/);
    expect(add([{ every: '0.5s' }])).toThrow(/shorter than 1s/);
    expect(add([{ every: 'soon' }])).toThrow(/must be a duration/);
    expect(add([{ at: 'tomorrow' }])).toThrow(/not an ISO time/);
    expect(add([{ signal: 'HUP' }])).toThrow(
      /a trigger is one of cron, every, at, watch, webhook or on \(got signal\)/,
    );
    expect(add([{ webhook: 'orders' }])).toThrow(/webhooks are not enabled in this kernel/);
    expect(() => k.kernel.units.add({ name: 'Bad Name', task: 't' })).toThrow(/name: a lowercase name/);
    expect(() => k.kernel.units.add({ name: 'x', task: 't', on_overlap: 'sometimes' })).toThrow(/on_overlap/);
  });
});

describe('units: workdir', () => {
  it("puts a run's relative paths and commands in its working directory; one that leads out is refused at add", async () => {
    const clock = new FakeClock();
    const k = await kernelWith({ digest: [call('FS_WRITE', { path: 'today.md', content: 'digest' }), EXIT] }, clock);
    expect(() => k.kernel.units.add(unit(k, 'out', { workdir: '../etc' }))).toThrow(
      /workdir "\.\.\/etc": path escapes the workspace/,
    );
    k.kernel.units.add(unit(k, 'digest', { workdir: 'digests/daily' }));
    const { pid } = await k.kernel.units.run('digest');
    expect(pid).not.toBeNull();
    expect((await k.kernel.waitExit(pid as number)).exitCode).toBe(0);
    expect(k.results(pid as number)[0]).toMatchObject({ ok: true, value: { path: '/digests/daily/today.md' } });
    expect(k.kernel.pcb(pid as number)?.cwd).toBe('/digests/daily');
  });
});
