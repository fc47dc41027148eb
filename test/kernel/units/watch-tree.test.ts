/**
 * A watch unit's own writes are its runs' whole trees' (issue 47.6): a child's and a grandchild's
 * FS_WRITE, a child that outlives the run's process, and the commands of the tree (EXEC_CMD, with
 * exec journaling on and off) start no run of the unit — where before, a child's writes started run
 * after run until the cap a minute. A change no run made still starts one.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { parsePolicy } from '../../../kernel/safety/policy.js';
import type { KernelEvent } from '../../../protocol/events.js';
import { ALL_CAPS, call, EXIT, type Harness, startHarness, type TapeEntry } from '../../helpers/kernel-harness.js';
import { until } from '../../helpers/until.js';

const bwrap = await findBwrap();
let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

type Trigger = Extract<KernelEvent, { type: 'trigger' }>;
const firings = (k: Harness, unit: string): Trigger[] =>
  k.events.filter((e): e is Trigger => e.type === 'trigger' && e.unit === unit);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A kernel with one watch unit `inbox` (queue: a firing while a run goes would start the next run after it). */
async function watchUnit(
  agents: Record<string, TapeEntry[]>,
  options: Parameters<typeof startHarness>[1] = {},
): Promise<Harness> {
  h = await startHarness(agents, options);
  await mkdir(path.join(h.workspace, 'inbox'), { recursive: true });
  h.kernel.units.add({
    name: 'inbox',
    task: 'New: {{trigger.paths}}',
    model: `replay:${h.tape}`,
    on_overlap: 'queue',
    triggers: [{ watch: { paths: ['inbox/**'], debounce: '200ms' } }],
  });
  await h.kernel.units.watching('inbox');
  return h;
}

/** One change from outside: one run, and after its tree has ended and written `wrote`, none more. */
async function oneRunFor(k: Harness, settleMs: number, wrote: string[] = []): Promise<void> {
  await writeFile(path.join(k.workspace, 'inbox', 'mail.eml'), 'from outside');
  await until(() => firings(k, 'inbox').length >= 1, 10_000, 'the first run');
  const first = firings(k, 'inbox')[0] as Trigger;
  expect(first.outcome).toBe('started');
  await k.kernel.waitExit(first.pid);
  await until(
    async () =>
      (
        await Promise.all(
          wrote.map((f) =>
            readFile(path.join(k.workspace, f)).then(
              () => true,
              () => false,
            ),
          ),
        )
      ).every(Boolean),
    10_000,
    `the tree wrote ${wrote.join(', ')}`,
  );
  await sleep(settleMs);
  expect(firings(k, 'inbox').map((f) => `${f.outcome} ${f.reason ?? ''}`)).toEqual(['started ']);
}

describe("units: a watch run's whole tree writes as the run", () => {
  it("a child's and a grandchild's writes where the unit watches start no run", async () => {
    const k = await watchUnit({
      inbox: [call('SPAWN_AGENT', { name: 'helper', role: 'filer', task: 'file it' }), call('WAIT', {}), EXIT],
      helper: [
        call('SPAWN_AGENT', { name: 'deep', role: 'filer', task: 'file it deeper' }),
        call('FS_WRITE', { path: '/inbox/helper.txt', content: 'filed' }),
        call('WAIT', {}),
        EXIT,
      ],
      deep: [call('FS_WRITE', { path: '/inbox/deep/one.txt', content: 'deeper' }), EXIT],
    });
    await oneRunFor(k, 1_500, ['inbox/helper.txt', 'inbox/deep/one.txt']);
    expect(k.kernel.units.runs('inbox', 10).filter((r) => r.outcome === 'started')).toHaveLength(1);
    // Someone else's change is still news.
    await writeFile(path.join(k.workspace, 'inbox', 'next.eml'), 'from outside');
    await until(() => firings(k, 'inbox').length === 2, 10_000, 'a second run');
  }, 40_000);

  it("a child that outlives the run's process writes as the run", async () => {
    const k = await watchUnit({
      inbox: [call('SPAWN_AGENT', { name: 'late', role: 'writer', task: 'write later' }), EXIT],
      late: [call('SLEEP', { seconds: 3 }), call('FS_WRITE', { path: '/inbox/late.txt', content: 'late' }), EXIT],
    });
    await oneRunFor(k, 0);
    const late = k.events.find((e) => e.type === 'state' && e.name === 'late') as KernelEvent;
    await k.kernel.waitExit(late.pid);
    await readFile(path.join(k.workspace, 'inbox', 'late.txt'));
    await sleep(1_000);
    expect(firings(k, 'inbox')).toHaveLength(1);
  }, 40_000);
});

describe.skipIf(!bwrap)("units: a watch run's commands write as the run", () => {
  const tree = {
    inbox: [call('SPAWN_AGENT', { name: 'helper', role: 'runner', task: 'run it' }), call('WAIT', {}), EXIT],
    helper: [call('EXEC_CMD', { cmd: 'echo one > inbox/cmd.txt; sleep 1; echo two > inbox/cmd2.txt' }), EXIT],
  };

  it('with exec journaling on (the default)', async () => {
    const k = await watchUnit(tree);
    await oneRunFor(k, 1_500, ['inbox/cmd.txt', 'inbox/cmd2.txt']);
  }, 40_000);

  it('with exec journaling off: known by when the command ran', async () => {
    const safety = parsePolicy(
      'version: 1\nroot: {capabilities: ["fs.read:/**", "fs.write:/**", exec, spawn]}\njournal: {exec: false}\n',
      'p',
    ).safety;
    const k = await watchUnit(tree, { safety, rootCapabilities: ALL_CAPS });
    await oneRunFor(k, 1_500, ['inbox/cmd.txt', 'inbox/cmd2.txt']);
    // Once the command has ended, a change from outside starts a run again.
    await sleep(1_200);
    await writeFile(path.join(k.workspace, 'inbox', 'next.eml'), 'from outside');
    await until(() => firings(k, 'inbox').length === 2, 10_000, 'a second run');
  }, 40_000);
});
