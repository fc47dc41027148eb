/**
 * Red team of a fork's context (issue 35, kernel/fork.ts, kernel/loop/turn-state.ts storedTranscript,
 * kernel/loop/recovery.ts, kernel/upkeep/retention.ts): it is exactly the origin's rows up to turn
 * N — nothing from after N, from another process or from a removed one; a fork of a fork refers to
 * the right segments; the origin's rows stay while a fork that refers to them runs (rm refuses,
 * prune skips); after a kernel restart the context is the same.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { storedTranscript, turnOf } from '../../kernel/loop/turn-state.js';
import { pruneProcesses, removeProcesses } from '../../kernel/upkeep/retention.js';
import type { KernelEvent } from '../../protocol/events.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';

const open: Harness[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function harness(...args: Parameters<typeof startHarness>): Promise<Harness> {
  const h = await startHarness(...args);
  open.push(h);
  return h;
}

const write = (file: string, content: string): string => call('FS_WRITE', { path: file, content });
/** Each turn's reply names its turn; what turns 2 and after wrote and said must never reach a fork at 2. */
const ROOT = [
  `turn zero\n${write('t0.txt', 'T0-BODY')}`,
  `turn one\n${write('t1.txt', 'T1-BODY')}`,
  `AFTER-N two\n${write('t2.txt', 'AFTER-N-BODY')}`,
  `AFTER-N three\n${EXIT}`,
];
const OTHER = [`OTHER-PROC says\n${write('o.txt', 'OTHER-BODY')}`, EXIT];
const WAITING = call('SYS_READ_STDIN', { timeout_s: 60 });

/** A tape for forks named root or kid: every turn waits for a line on stdin. */
async function waitingModel(h: Harness): Promise<string> {
  const file = path.join(h.dir, 'waiting.yaml');
  const replies = JSON.stringify(Array(12).fill(WAITING));
  await writeFile(file, `agents:\n  root: ${replies}\n  kid: ${replies}\n`);
  return `replay:${file}`;
}
const prompts = (h: Harness, pid: number): Array<Extract<KernelEvent, { type: 'prompt' }>> =>
  h.eventsOf(pid, 'prompt') as Array<Extract<KernelEvent, { type: 'prompt' }>>;
const rowsOf = (h: Harness, pid: number): Array<{ seq: number; role: string; text: string }> =>
  (turnOf(h.kernel.proc(pid))?.transcript ?? []).map((e) => ({ seq: e.seq, role: e.role, text: e.text }));

describe("a fork's context", () => {
  it("is the origin's rows up to turn N's prompt: nothing after N, nothing of another process", async () => {
    const h = await harness({ root: ROOT, other: OTHER });
    const origin = await h.run({ task: 'the origin task' });
    expect((await h.run({ name: 'other', task: 'another task' })).exitCode).toBe(0);
    const forked = await h.kernel.fork({ pid: origin.pid, turn: 2, model: await waitingModel(h) });
    await until(() => h.kernel.pcb(forked.pcb.pid)?.state === 'blocked');
    const turn2 = prompts(h, origin.pid).find((p) => p.turn === 2)!;
    const originRows = (await storedTranscript(h.kernel.store, origin)).filter((r) => r.seq <= turn2.transcript_seq!);
    const context = rowsOf(h, forked.pcb.pid);
    // The fork's own rows after its context: its turn-2 reply and what that call answered.
    expect(context.slice(0, originRows.length)).toEqual(
      originRows.map((r) => ({ seq: r.seq, role: r.role, text: r.text })),
    );
    const first = prompts(h, forked.pcb.pid)[0]!;
    expect(first).toMatchObject({ turn: 2, text: turn2.text });
    const seen = JSON.stringify(context.slice(0, originRows.length));
    for (const marker of ['AFTER-N', 'OTHER-PROC', 'OTHER-BODY', 'another task']) expect(seen).not.toContain(marker);
    expect(forked.pcb.fork).toEqual({
      pid: origin.pid,
      turn: 2,
      segments: [{ pid: origin.pid, through: turn2.transcript_seq }],
    });
  });

  it('of a fork of a fork (each with a message added) refers to the right segments, and a restart rebuilds it the same', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-redteam-fork-'));
    dirs.push(dir);
    const storeFile = path.join(dir, 'aos.db');
    const h = await startHarness({ root: ROOT }, { storeFile });
    dirs.push(h.dir);
    const origin = await h.kernel.waitExit((await h.spawn({ task: 'the origin task' })).pid);
    const model = await waitingModel(h);
    const f1 = await h.kernel.fork({ pid: origin.pid, turn: 2, model, append: 'FIRST-APPEND' });
    await until(() => h.kernel.pcb(f1.pcb.pid)?.state === 'blocked');
    h.kernel.send(f1.pcb.pid, 'go on');
    await until(
      () => h.kernel.pcb(f1.pcb.pid)?.state === 'blocked' && (h.kernel.pcb(f1.pcb.pid)?.counters.turns ?? 0) >= 4,
    );
    h.kernel.kill(f1.pcb.pid);
    await h.kernel.waitExit(f1.pcb.pid);
    const f1Turn3 = prompts(h, f1.pcb.pid).find((p) => p.turn === 3)!;
    const f2 = await h.kernel.fork({ pid: f1.pcb.pid, turn: 3, model, append: 'SECOND-APPEND' });
    await until(() => h.kernel.pcb(f2.pcb.pid)?.state === 'blocked');
    const turn2 = prompts(h, origin.pid).find((p) => p.turn === 2)!;
    expect(f2.pcb.fork?.segments).toEqual([
      { pid: origin.pid, through: turn2.transcript_seq! - 1 },
      { pid: f1.pcb.pid, through: f1Turn3.transcript_seq! - 1 },
    ]);
    const [first] = prompts(h, f2.pcb.pid);
    expect(first).toMatchObject({ turn: 3, text: `${f1Turn3.text}\n\nSECOND-APPEND` });
    const before = rowsOf(h, f2.pcb.pid);
    const texts = JSON.stringify(before);
    expect(texts).toContain('FIRST-APPEND');
    expect(texts).not.toContain('AFTER-N');
    expect(before.filter((r) => r.text.includes('[TASK]'))).toHaveLength(1);
    await h.kernel.close();
    const again = await startHarness({ root: ROOT }, { storeFile });
    open.push(again);
    expect(rowsOf(again, f2.pcb.pid)).toEqual(before);
    again.kernel.send(f2.pcb.pid, 'done');
    await until(() => (again.kernel.pcb(f2.pcb.pid)?.counters.turns ?? 0) >= 5);
    again.kernel.kill(f2.pcb.pid);
  }, 30_000);
});

describe("a fork's origins in the store", () => {
  it('stay while a fork of a fork runs: rm of either origin or of the tree holding one is refused, prune skips them', async () => {
    const root = [`${call('SPAWN_AGENT', { role: 'kid', name: 'kid', task: 'kid task' })}\n${call('WAIT', {})}`, EXIT];
    const h = await harness({ root, kid: ROOT });
    const tree = await h.run();
    const kid = tree.pid + 1;
    const model = await waitingModel(h);
    const f1 = await h.kernel.fork({ pid: kid, turn: 2, model, append: 'one' });
    await until(() => h.kernel.pcb(f1.pcb.pid)?.state === 'blocked');
    h.kernel.kill(f1.pcb.pid);
    await h.kernel.waitExit(f1.pcb.pid);
    const f2 = await h.kernel.fork({ pid: f1.pcb.pid, turn: 2, model });
    await until(() => h.kernel.pcb(f2.pcb.pid)?.state === 'blocked');
    for (const pid of [kid, tree.pid, f1.pcb.pid]) {
      await expect(removeProcesses(h.kernel, [pid])).rejects.toThrow(new RegExp(`running fork ${f2.pcb.pid}`));
    }
    const pruned = await pruneProcesses(h.kernel, Date.now() + 60_000);
    expect(pruned).not.toContain(kid);
    expect(pruned).not.toContain(f1.pcb.pid);
    expect((await storedTranscript(h.kernel.store, h.kernel.proc(f2.pcb.pid)!.pcb)).length).toBe(
      rowsOf(h, f2.pcb.pid).length,
    );
    h.kernel.kill(f2.pcb.pid);
  });

  // Was broken (fixed): once a fork has ended its origin may be removed; a fork of that fork then begins with
  // a context whose head (the task, the origin's turns) is gone, and nothing says so.
  it("refuses a fork of a fork whose origin's rows were removed, rather than begin without them", async () => {
    const h = await harness({ root: ROOT });
    const origin = await h.run({ task: 'the origin task' });
    const model = await waitingModel(h);
    const f1 = await h.kernel.fork({ pid: origin.pid, turn: 2, model });
    await until(() => h.kernel.pcb(f1.pcb.pid)?.state === 'blocked');
    h.kernel.send(f1.pcb.pid, 'go on');
    await until(
      () => h.kernel.pcb(f1.pcb.pid)?.state === 'blocked' && (h.kernel.pcb(f1.pcb.pid)?.counters.turns ?? 0) >= 4,
    );
    h.kernel.kill(f1.pcb.pid);
    await h.kernel.waitExit(f1.pcb.pid);
    expect(await removeProcesses(h.kernel, [origin.pid])).toEqual([origin.pid]);
    const outcome = await h.kernel.fork({ pid: f1.pcb.pid, turn: 3, model }).then(
      async (f2) => {
        await until(() => h.kernel.pcb(f2.pcb.pid)?.state === 'blocked');
        return JSON.stringify(rowsOf(h, f2.pcb.pid));
      },
      (error: Error) => `refused: ${error.message}`,
    );
    if (!outcome.startsWith('refused')) expect(outcome).toContain('the origin task');
  });
});
