/**
 * `aos record` (issue 35): an ended run kept as a replay tape. Replayed — the same task, on a fresh
 * workspace of the same starting state — it gives the same event stream, times and pids aside; the
 * tape's `expect:` lines are the results' heads and the task's line; a tree is one agent per name,
 * and two processes of one name whose replies differ are refused.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { parseTape } from '../../../drivers/llm/replay-tape.js';
import { SecretBox } from '../../../kernel/safety/secrets.js';
import { recordTape } from '../../../kernel/tapes/record.js';
import type { KernelEvent } from '../../../protocol/events.js';
import { call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';
import { until } from '../../helpers/until.js';
import { normalised, RUN } from './run-fixture.js';

const bwrap = await findBwrap();
const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});
async function harness(...args: Parameters<typeof startHarness>): Promise<Harness> {
  const h = await startHarness(...args);
  open.push(h);
  return h;
}

describe.skipIf(!bwrap)('aos record', () => {
  it('keeps a run as a tape whose replay gives the same event stream, times aside', async () => {
    const first = await harness({ root: RUN.map((reply) => ({ reply, usage: { prompt: 100, output: 10 } })) });
    const origin = await first.run({ task: 'Count the plan\nthen stop' });
    expect(origin.exitCode).toBe(0);
    const recording = await recordTape(first.kernel, origin.pid);
    expect(recording).toMatchObject({ turns: 7, agents: [{ name: 'root', pids: [origin.pid], turns: 7 }] });
    const tape = parseTape(recording.tape, 'run.yaml');
    const entries = tape.agents.get('root') ?? [];
    expect(entries.map((e) => e.reply)).toEqual(RUN);
    expect(entries.map((e) => e.expect)).toEqual([
      ['Count the plan'],
      ['[SYS_RESULT::FS_WRITE] {"ok":true'],
      ['[SYS_RESULT::EXEC_CMD] {"ok":true'],
      ['[SYS_RESULT::FS_READ] {"ok":true'],
      ['[SYS_RESULT::FS_READ] {"ok":false,"errno":"ENOENT"'],
      ['[SYS_RESULT::EXEC_CMD] {"ok":true'],
      ['[SYS_RESULT::FS_READ] {"ok":true', '[SYS_RESULT::FS_WRITE] {"ok":true'],
    ]);
    const prompts = first.eventsOf(origin.pid, 'prompt') as Array<Extract<KernelEvent, { type: 'prompt' }>>;
    expect(entries.map((e) => e.sent)).toEqual(prompts.map((p) => p.text));
    expect(entries.every((e) => e.usage?.prompt === 100 && e.usage.output === 10)).toBe(true);
    expect(tape.recorded).toMatchObject({
      pid: origin.pid,
      agent: 'root',
      turns: 7,
      prompt_tokens: 700,
      output_tokens: 70,
      ended: { state: 'exited', code: 0 },
    });
    expect(tape.recorded?.system).toContain(`You are process ${origin.pid} ("root", role: assistant)`);

    // A fresh workspace (as empty as the first was), the same task, the recorded tape.
    const second = await harness({});
    const file = path.join(second.dir, 'run.yaml');
    await writeFile(file, recording.tape);
    const replayed = await second.kernel.waitExit(
      (await second.kernel.spawn({ task: 'Count the plan\nthen stop', model: `replay:${file}` })).pid,
    );
    expect(replayed.exitCode).toBe(0);
    const before = normalised(await first.kernel.history(origin.pid, { tree: true }));
    const after = normalised(await second.kernel.history(replayed.pid, { tree: true }));
    expect(after).toEqual(before);
    expect(after.length).toBeGreaterThan(20);
  }, 60_000);
});

/**
 * A tree's events of each process in turn (pid order), what the replies made: prompts, replies,
 * calls, results and each process's end. When a child's exit reaches its parent — as a
 * [EVENT::CHILD_EXIT] line in its next prompt, or through the WAIT it is blocked in — and the
 * parent's waits (its blocked/ready states) depend on timing, in a run as in its replay.
 */
function byProcess(events: readonly KernelEvent[]): KernelEvent[] {
  const kept = events.flatMap((event): KernelEvent[] => {
    if (event.type === 'prompt')
      return [
        {
          ...event,
          text: event.text
            .split('\n')
            .filter((line) => !line.startsWith('[EVENT::CHILD_EXIT]'))
            .join('\n'),
        },
      ];
    if (event.type === 'state')
      return event.to === 'exited' || event.to === 'killed' || event.from === null ? [event] : [];
    return [event];
  });
  return kept.sort((a, b) => a.pid - b.pid);
}

describe('aos record, a tree', () => {
  const WRITER = [call('FS_WRITE', { path: 'a.txt', content: 'from the writer' }), EXIT];
  const WORKER = [call('FS_LIST', { path: '/' }), EXIT];

  it('is one agent per process name: children of other names each their own, two of one name with the same replies one', async () => {
    const root = [
      [
        call('SPAWN_AGENT', { role: 'writer', task: 'write a.txt', name: 'writer' }),
        call('SPAWN_AGENT', { role: 'worker', task: 'list one', name: 'worker' }),
        call('SPAWN_AGENT', { role: 'worker', task: 'list two', name: 'worker' }),
      ].join('\n'),
      // A fresh kernel's pids: the root is 1, its children 2, 3 and 4.
      call('WAIT', { pid: 2 }),
      call('WAIT', { pid: 3 }),
      call('WAIT', { pid: 4 }),
      EXIT,
    ];
    const first = await harness({ root, writer: WRITER, worker: WORKER });
    const origin = await first.run({ task: 'Share the work' });
    expect(origin).toMatchObject({ pid: 1, exitCode: 0 });
    const recording = await recordTape(first.kernel, origin.pid);
    const [writer, w1, w2] = [origin.pid + 1, origin.pid + 2, origin.pid + 3];
    expect(recording.agents).toEqual([
      { name: 'root', pids: [origin.pid], turns: 5 },
      { name: 'writer', pids: [writer], turns: 2 },
      { name: 'worker', pids: [w1, w2], turns: 2 },
    ]);
    const tape = parseTape(recording.tape, 'tree.yaml');
    expect(tape.agents.get('writer')?.map((e) => e.reply)).toEqual(WRITER);
    // Each worker's task line was its own: neither is expected of both.
    expect(tape.agents.get('worker')?.map((e) => e.expect)).toEqual([[], ['[SYS_RESULT::FS_LIST] {"ok":true']]);
    expect(tape.agents.get('writer')?.[0]?.expect).toEqual(['write a.txt']);
    expect((await recordTape(first.kernel, origin.pid, { tree: false })).agents).toEqual([
      { name: 'root', pids: [origin.pid], turns: 5 },
    ]);

    const second = await harness({});
    const file = path.join(second.dir, 'tree.yaml');
    await writeFile(file, recording.tape);
    const replayed = await second.kernel.waitExit(
      (await second.kernel.spawn({ task: 'Share the work', model: `replay:${file}` })).pid,
    );
    expect(replayed.exitCode).toBe(0);
    expect(normalised(byProcess(await second.kernel.history(replayed.pid, { tree: true })))).toEqual(
      normalised(byProcess(await first.kernel.history(origin.pid, { tree: true }))),
    );
  }, 60_000);

  it('refuses two processes of one name whose replies differ, naming both', async () => {
    const first = await harness(
      {
        root: [
          `${call('SPAWN_AGENT', { role: 'worker', task: 'a', model: 'replay:/a.yaml' })}\n${call('SPAWN_AGENT', { role: 'worker', task: 'b', model: 'replay:/b.yaml' })}`,
          call('WAIT', {}),
          call('WAIT', {}),
          EXIT,
        ],
      },
      { rootCapabilities: ['fs.read:/**', 'fs.write:/**', 'spawn', 'model:replay:/**'] },
    );
    await mkdir(first.workspace, { recursive: true });
    await writeFile(
      path.join(first.workspace, 'a.yaml'),
      YAML.stringify({ agents: { worker: [call('FS_LIST', { path: '/' }), EXIT] } }),
    );
    await writeFile(
      path.join(first.workspace, 'b.yaml'),
      YAML.stringify({ agents: { worker: [call('FS_READ', { path: 'a.yaml' }), EXIT] } }),
    );
    const origin = await first.run({ task: 'two workers' });
    expect(origin.exitCode).toBe(0);
    await expect(recordTape(first.kernel, origin.pid)).rejects.toThrow(
      new RegExp(
        `processes ${origin.pid + 1} and ${origin.pid + 2} are both named "worker" but their replies differ at turn 0: .*aos record ${origin.pid + 1} --no-tree`,
      ),
    );
    // Each alone is fine.
    expect((await recordTape(first.kernel, origin.pid + 2, { tree: false })).agents).toEqual([
      { name: 'worker', pids: [origin.pid + 2], turns: 2 },
    ]);
  }, 60_000);

  it('refuses a run still going, and a pid nobody had', async () => {
    const first = await harness({ root: [call('SYS_READ_STDIN', { timeout_s: 60 }), EXIT] });
    const pcb = await first.spawn();
    await until(() => first.kernel.pcb(pcb.pid)?.state === 'blocked');
    await expect(recordTape(first.kernel, pcb.pid)).rejects.toThrow(
      /cannot record a run that has not ended: process \d+ \(blocked\) is still going; wait for it \(aos wait \d+\) or stop it/,
    );
    await expect(recordTape(first.kernel, 999)).rejects.toThrow(/no such process 999/);
    // Killed mid-turn: the tape ends at the last whole turn.
    first.kernel.kill(pcb.pid);
    await first.kernel.waitExit(pcb.pid);
    const tape = parseTape((await recordTape(first.kernel, pcb.pid)).tape, 'cut.yaml');
    expect(tape.agents.get('root')?.map((e) => e.reply)).toEqual([call('SYS_READ_STDIN', { timeout_s: 60 })]);
    expect(tape.recorded?.ended).toMatchObject({ state: 'killed', code: 137 });
  }, 30_000);
});

describe('aos record and secrets', () => {
  const TOKEN = 'ghp_test_value_never_shown_0123456789';
  const spec = { name: 'GH_TOKEN', fromEnv: 'GH_TOKEN', fromFile: null, hosts: [], exec: [], mcp: [], channels: [] };

  it('keeps no secret in the tape: not in what was sent, the replies or the system prompt', async () => {
    const secrets = await SecretBox.load([spec], '/nonexistent', { GH_TOKEN: TOKEN });
    const first = await harness(
      { root: [call('FS_WRITE', { path: 'key.txt', content: TOKEN }), call('FS_READ', { path: 'key.txt' }), EXIT] },
      { secrets },
    );
    const origin = await first.run({ task: `Keep ${TOKEN} safe`, role: `the keeper of ${TOKEN}` });
    expect(origin.exitCode).toBe(0);
    const { tape } = await recordTape(first.kernel, origin.pid);
    // The store holds the task masked (as the model saw it) and the reply as written: the tape masks the reply.
    expect(tape).not.toContain(TOKEN);
    expect(tape).not.toContain(TOKEN.slice(4, 20));
    expect(tape).toContain('[secret GH_TOKEN]');
    // The task's line is expected as the model saw it: masked where the process was made.
    expect(
      parseTape(tape, 'secret.yaml')
        .agents.get('root')
        ?.map((e) => e.expect),
    ).toEqual([
      ['Keep [secret GH_TOKEN] safe'],
      ['[SYS_RESULT::FS_WRITE] {"ok":true'],
      ['[SYS_RESULT::FS_READ] {"ok":true'],
    ]);
  });
});
