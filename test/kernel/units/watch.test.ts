/**
 * The watch trigger on a real workspace (inotify, real time): changes within the debounce give one
 * run that names every path; the run's own writes do not start another; globs and event kinds
 * filter; disable stops it; shutdown closes the watchers.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
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
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function kernel(
  agents: Record<string, Array<string | { reply: string; expect?: string | string[] }>>,
): Promise<Harness> {
  h = await startHarness(agents);
  return h;
}

describe('units: the watch trigger', () => {
  it('three files within the debounce give one run naming all three; its own write does not start another', async () => {
    const k = await kernel({ inbox: [call('FS_WRITE', { path: '/inbox/digest.txt', content: 'seen' }), EXIT] });
    await mkdir(path.join(k.workspace, 'inbox'), { recursive: true });
    k.kernel.units.add({
      name: 'inbox',
      task: 'New mail: {{trigger.paths}}',
      model: `replay:${k.tape}`,
      triggers: [{ watch: { paths: ['inbox/**'], debounce: '1s' } }],
    });
    await k.kernel.units.watching('inbox');
    for (const name of ['a.eml', 'b.eml', 'c.eml']) {
      await writeFile(path.join(k.workspace, 'inbox', name), 'mail');
      await sleep(50);
    }
    await until(() => started(k, 'inbox').length === 1, 10_000, 'one run');
    const run = started(k, 'inbox')[0] as Trigger;
    expect(run.trigger).toBe('watch inbox/**');
    const first = k.eventsOf(run.pid, 'prompt')[0] as Extract<KernelEvent, { type: 'prompt' }>;
    expect(first.text).toContain('"paths":["/inbox/a.eml","/inbox/b.eml","/inbox/c.eml"]');
    expect(first.text).toContain(
      '[TASK] New mail: ["/inbox/a.eml","/inbox/b.eml","/inbox/c.eml"]\n(Filled in from what started this run, each as one JSON value: trigger.paths.',
    );
    await k.kernel.waitExit(run.pid);
    await sleep(2_000); // past the debounce of the run's own write
    expect(started(k, 'inbox')).toHaveLength(1);
    // Someone else's change starts the next run.
    await writeFile(path.join(k.workspace, 'inbox', 'd.eml'), 'mail');
    await until(() => started(k, 'inbox').length === 2, 10_000, 'a second run');
  }, 30_000);

  it('a glob and the events asked for filter; a disabled unit does not fire; a directory made later is watched', async () => {
    const k = await kernel({ notes: [EXIT], gone: [EXIT] });
    k.kernel.units.add({
      name: 'notes',
      task: 't',
      model: `replay:${k.tape}`,
      triggers: [{ watch: { paths: ['notes/*.md'], debounce: '200ms' } }],
    });
    k.kernel.units.add({
      name: 'gone',
      task: 't',
      model: `replay:${k.tape}`,
      triggers: [{ watch: { paths: ['trash/**'], events: ['delete'], debounce: '200ms' } }],
    });
    // Ready: the watchers have read the workspace (a directory made during that first read may be missed).
    await k.kernel.units.watching('notes');
    await k.kernel.units.watching('gone');
    await mkdir(path.join(k.workspace, 'trash'), { recursive: true });
    await mkdir(path.join(k.workspace, 'notes'), { recursive: true });
    await sleep(300); // the new directories are taken up (chokidar adds a watch for each)
    await writeFile(path.join(k.workspace, 'notes', 'x.txt'), 'no');
    await writeFile(path.join(k.workspace, 'trash', 'old.txt'), 'made, not deleted');
    await sleep(800);
    expect(started(k, 'notes')).toHaveLength(0);
    expect(started(k, 'gone')).toHaveLength(0);
    await writeFile(path.join(k.workspace, 'notes', 'a.md'), 'yes');
    await rm(path.join(k.workspace, 'trash', 'old.txt'));
    await until(() => started(k, 'notes').length === 1 && started(k, 'gone').length === 1, 10_000, 'both');
    k.kernel.units.setEnabled('notes', false);
    await writeFile(path.join(k.workspace, 'notes', 'b.md'), 'off');
    await sleep(800);
    expect(started(k, 'notes')).toHaveLength(1);
    k.kernel.units.setEnabled('notes', true);
    await k.kernel.units.watching('notes');
    await writeFile(path.join(k.workspace, 'notes', 'c.md'), 'on');
    await until(() => started(k, 'notes').length === 2, 10_000, 'on again');
  }, 30_000);

  it("a process's FS_WRITE is one change of its file: the aside file it goes through is no create and no delete", async () => {
    // The write goes to `.aos-write-<id>.tmp` beside the file and is renamed over it; chokidar holds the
    // aside's unlink back 100 ms, so it came after the debounce as a delete no run made (a chain begun anew).
    const k = await kernel({
      writer: [call('FS_WRITE', { path: '/out/report.txt', content: 'one' }), EXIT],
      told: [EXIT],
      gone: [EXIT],
    });
    await mkdir(path.join(k.workspace, 'out'), { recursive: true });
    await writeFile(path.join(k.workspace, 'out', 'report.txt'), 'zero');
    const unit = (name: string, events?: string[]) =>
      k.kernel.units.add({
        name,
        task: 't',
        model: `replay:${k.tape}`,
        triggers: [{ watch: { paths: ['out/**'], debounce: '100ms', ...(events ? { events } : {}) } }],
      });
    unit('told');
    unit('gone', ['delete']);
    await k.kernel.units.watching('told');
    await k.kernel.units.watching('gone');
    await k.run({ name: 'writer' });
    await until(() => started(k, 'told').length === 1, 10_000, 'a run for the write');
    await sleep(1_000);
    expect(started(k, 'told')).toHaveLength(1);
    expect(started(k, 'gone')).toHaveLength(0);
    const prompt = k.eventsOf((started(k, 'told')[0] as Trigger).pid, 'prompt')[0] as Extract<
      KernelEvent,
      { type: 'prompt' }
    >;
    expect(prompt.text).toContain('"paths":["/out/report.txt"]');
    expect(prompt.text).not.toContain('.aos-write-');
  }, 30_000);

  it('refuses a path out of the workspace and a debounce out of range', async () => {
    const k = await kernel({ x: [EXIT] });
    const add = (watch: unknown) => () => k.kernel.units.add({ name: 'x', task: 't', triggers: [{ watch }] });
    expect(add(['../etc/**'])).toThrow(/must stay in the workspace/);
    expect(add({ paths: ['a/**'], debounce: '10ms' })).toThrow(/debounce 10ms must be from 100ms to 1h/);
    expect(add({ paths: ['a/**'], events: ['rename'] })).toThrow(/triggers\[0\]\.watch\.events\.0: Invalid option/);
  });
});
