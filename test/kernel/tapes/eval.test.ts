/**
 * `aos eval` (issue 35): a recorded run played to a model, turn by turn, with the results as they
 * were recorded. The recording played to itself follows to the end and ends as it did; a model that
 * makes another call at turn 5 diverges there, at that call; calls compare by syscall and canonical
 * arguments (an alias, a seed spelling, prose around them do not count); several tapes and models
 * give a run each; a tape with nothing recorded of what was sent is refused; nothing reaches the host.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { evalTapes } from '../../../kernel/tapes/eval.js';
import { recordTape } from '../../../kernel/tapes/record.js';
import type { KernelEvent } from '../../../protocol/events.js';
import { call, type Harness, startHarness } from '../../helpers/kernel-harness.js';
import { RUN } from './run-fixture.js';

const bwrap = await findBwrap();
let h: Harness;
let pid: number;
let recorded: string;

/** The recorded tape with some of its root's replies replaced (or its list cut), written beside it. */
async function variant(name: string, change: (replies: Array<Record<string, unknown>>) => void): Promise<string> {
  const doc = YAML.parse(await readFile(recorded, 'utf8')) as { agents: { root: Array<Record<string, unknown>> } };
  change(doc.agents.root);
  const file = path.join(h.dir, name);
  await writeFile(file, YAML.stringify(doc, { lineWidth: 0 }));
  return file;
}

/** Every file of the workspace with its content. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile())
      files[path.join(entry.parentPath, entry.name)] = await readFile(path.join(entry.parentPath, entry.name), 'utf8');
  }
  return files;
}

describe.skipIf(!bwrap)('aos eval', () => {
  beforeAll(async () => {
    h = await startHarness({ root: RUN.map((reply) => ({ reply, usage: { prompt: 100, output: 10 } })) });
    const origin = await h.run({ task: 'Count the plan' });
    expect(origin.exitCode).toBe(0);
    pid = origin.pid;
    recorded = path.join(h.dir, 'run.yaml');
    await writeFile(recorded, (await recordTape(h.kernel, pid)).tape);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('follows the recording to its end when played to itself, and runs nothing on the host', async () => {
    const before = await snapshot(h.workspace);
    const processes = (await h.kernel.processes({ all: true })).length;
    const emitted: KernelEvent[] = [];
    const stop = h.kernel.events.subscribe((event) => emitted.push(event));
    const [run, ...more] = await evalTapes(h.kernel, { tapes: [recorded], models: [`replay:${recorded}`] });
    stop();
    expect(more).toEqual([]);
    expect(run).toEqual({
      tape: recorded,
      agent: 'root',
      model: `replay:${recorded}`,
      turns: 7,
      diverged: null,
      ended: { state: 'exited', code: 0, reason: 'exited' },
      prompt_tokens: 700,
      output_tokens: 70,
      cost_usd: null,
      recorded: {
        model: `replay:${h.tape}`,
        turns: 7,
        prompt_tokens: 700,
        output_tokens: 70,
        cost_usd: 0,
        ended: { state: 'exited', code: 0, reason: 'exited' },
      },
    });
    // No call ran: not a file changed, not an event (no syscall, no result), not a process.
    expect(await snapshot(h.workspace)).toEqual(before);
    expect(emitted).toEqual([]);
    expect(await h.kernel.processes({ all: true })).toHaveLength(processes);
  });

  it('reports the turn and the call where a model first differs, and stops there', async () => {
    const differs = await variant('differs.yaml', (root) => {
      root[5] = {
        ...root[5],
        reply: `${call('FS_READ', { path: 'notes/plan.txt' })}\n${call('FS_WRITE', { path: 'done.txt', content: 'no' })}`,
      };
    });
    const [run] = await evalTapes(h.kernel, { tapes: [recorded], models: [`replay:${differs}`] });
    expect(run).toMatchObject({
      turns: 6,
      diverged: {
        turn: 5,
        call: 1,
        recorded: 'FS_WRITE {"content":"yes","path":"done.txt"}',
        got: 'FS_WRITE {"content":"no","path":"done.txt"}',
      },
      ended: {
        state: 'diverged',
        code: null,
        reason:
          'turn 5 call 1: FS_WRITE {"content":"no","path":"done.txt"} where the recording has FS_WRITE {"content":"yes","path":"done.txt"}',
      },
      prompt_tokens: 600,
      output_tokens: 60,
    });
    // A call too many, or one too few.
    const more = await variant('more.yaml', (root) => {
      root[2] = { ...root[2], reply: `${String(root[2]?.reply)}\n${call('FS_LIST', { path: '/' })}` };
    });
    const fewer = await variant('fewer.yaml', (root) => {
      root[0] = { ...root[0], reply: 'I will think about it first.' };
    });
    const [extra, none] = await evalTapes(h.kernel, {
      tapes: [recorded],
      models: [`replay:${more}`, `replay:${fewer}`],
    });
    expect(extra?.diverged).toEqual({ turn: 2, call: 1, recorded: 'no call', got: 'FS_LIST {"path":"/"}' });
    expect(none?.diverged).toEqual({
      turn: 0,
      call: 0,
      recorded: 'FS_WRITE {"content":"one\\ntwo\\n","path":"notes/plan.txt"}',
      got: 'no call',
    });
  });

  it('compares calls, not words: an alias, a seed spelling, key order and prose around them are the same call', async () => {
    const reworded = await variant('reworded.yaml', (root) => {
      root[1] = {
        ...root[1],
        reply:
          'Counting the lines now.\n[SYS_CALL::exec] {"command": "wc -l < notes/plan.txt > notes/count.txt; cat notes/count.txt"}\nThat should do it.',
      };
      root[6] = { ...root[6], reply: '[SYS_CALL::SYS_EXIT] {"result": "counted", "code": 0}' };
    });
    const [run] = await evalTapes(h.kernel, { tapes: [recorded], models: [`replay:${reworded}`] });
    expect(run).toMatchObject({ turns: 7, diverged: null, ended: { state: 'exited', code: 0 } });
  });

  it('gives one run per tape and model, tapes first', async () => {
    const again = path.join(h.dir, 'again.yaml');
    await writeFile(again, await readFile(recorded, 'utf8'));
    const differs = await variant('differs2.yaml', (root) => {
      root[3] = { ...root[3], reply: call('FS_READ', { path: 'other.txt' }) };
    });
    const runs = await evalTapes(h.kernel, {
      tapes: ['run.yaml', again],
      models: [`replay:${recorded}`, `replay:differs2.yaml`],
      cwd: h.dir,
    });
    expect(runs.map((r) => [path.basename(r.tape), path.basename(r.model), r.diverged?.turn ?? null])).toEqual([
      ['run.yaml', 'run.yaml', null],
      ['run.yaml', 'differs2.yaml', 3],
      ['again.yaml', 'run.yaml', null],
      ['again.yaml', 'differs2.yaml', 3],
    ]);
  });

  it('ends a run whose model fails as failed, with why', async () => {
    const short = await variant('short.yaml', (root) => root.splice(2));
    const [run] = await evalTapes(h.kernel, { tapes: [recorded], models: [`replay:${short}`] });
    expect(run).toMatchObject({
      turns: 3,
      diverged: null,
      ended: {
        state: 'failed',
        code: null,
        reason: expect.stringMatching(/^turn 2: replay tape exhausted: agent "root" has 2 replies/) as unknown,
      },
    });
  });

  it('refuses a tape that recorded nothing of what was sent, a missing tape, an unknown model', async () => {
    const handWritten = path.join(h.dir, 'hand.yaml');
    await writeFile(handWritten, YAML.stringify({ agents: { root: [call('SYS_EXIT', { code: 0 })] } }));
    await expect(evalTapes(h.kernel, { tapes: [handWritten], models: [`replay:${recorded}`] })).rejects.toThrow(
      /hand\.yaml holds no recorded run .*record one with aos record <pid> -o hand\.yaml/,
    );
    const unsent = await variant('unsent.yaml', (root) => {
      delete root[2]?.sent;
    });
    await expect(evalTapes(h.kernel, { tapes: [unsent], models: [`replay:${recorded}`] })).rejects.toThrow(
      /agent "root" entry 2 has no "sent" .*record one with aos record/,
    );
    await expect(
      evalTapes(h.kernel, { tapes: [path.join(h.dir, 'nope.yaml')], models: [`replay:${recorded}`] }),
    ).rejects.toThrow(/replay tape not found: .*nope\.yaml/);
    await expect(evalTapes(h.kernel, { tapes: [recorded], models: ['nosuch:model'] })).rejects.toThrow(
      /unknown model provider "nosuch"/,
    );
  });
});
