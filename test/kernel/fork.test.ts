/**
 * Fork (issue 35): a new process from another's turn N. Its first prompt is exactly the origin's
 * turn-N prompt; its workspace is as the origin's was at turn N (the journal puts back what turns
 * N and after changed); what the origin did before N — an EXEC_CMD that bumped a counter — is not
 * done again. Its context is referred to, not copied: a restart rebuilds it from the origin's rows.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { pruneProcesses, removeProcesses } from '../../kernel/upkeep/retention.js';
import { recordTape } from '../../kernel/tapes/record.js';
import type { KernelEvent } from '../../protocol/events.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';
import { turnOf } from '../../kernel/loop/turn-state.js';

const bwrap = await findBwrap();
let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const BUMP = call('EXEC_CMD', { cmd: 'n=$(cat counter.txt 2>/dev/null || echo 0); echo $((n+1)) > counter.txt' });
/** Turn 0 writes notes v1, 1 bumps the counter, 2 writes v2, 3 bumps again and writes v3, 4 exits. */
const ROOT = [
  call('FS_WRITE', { path: 'notes.txt', content: 'v1' }),
  BUMP,
  call('FS_WRITE', { path: 'notes.txt', content: 'v2' }),
  `${BUMP}\n${call('FS_WRITE', { path: 'notes.txt', content: 'v3' })}`,
  EXIT,
];
const prompts = (k: Harness, pid: number): Array<Extract<KernelEvent, { type: 'prompt' }>> =>
  k.eventsOf(pid, 'prompt') as Array<Extract<KernelEvent, { type: 'prompt' }>>;
const read = (k: Harness, file: string): Promise<string> =>
  readFile(path.join(k.workspace, file), 'utf8').then((t) => t.trim());

describe.skipIf(!bwrap)('aos fork', () => {
  it("begins at turn N with the origin's turn-N prompt, its files as they were then, nothing before N done again", async () => {
    h = await startHarness({ root: ROOT });
    const origin = await h.run();
    expect(origin.exitCode).toBe(0);
    expect(await read(h, 'counter.txt')).toBe('2');
    expect(await read(h, 'notes.txt')).toBe('v3');
    const forked = await h.kernel.fork({ pid: origin.pid, turn: 3 });
    expect(forked.files.map((f) => f.path).sort()).toEqual(['/counter.txt', '/notes.txt']);
    // Put back before the fork's first turn: the counter as turn 1 left it, the notes as turn 2 did.
    const end = await h.kernel.waitExit(forked.pcb.pid);
    expect(end.exitCode).toBe(0);
    const [first] = prompts(h, forked.pcb.pid);
    const originalTurn3 = prompts(h, origin.pid).find((p) => p.turn === 3);
    expect(first).toMatchObject({ turn: 3, text: originalTurn3?.text });
    // The fork ran turn 3 again (the tape's reply 3: bump, v3) and 4: the counter went 1 → 2, never 3.
    expect(await read(h, 'counter.txt')).toBe('2');
    expect(await read(h, 'notes.txt')).toBe('v3');
    expect(h.eventsOf(forked.pcb.pid, 'result').map((e) => (e as { name: string }).name)).toEqual([
      'EXEC_CMD',
      'FS_WRITE',
      'SYS_EXIT',
    ]);
    expect(h.eventsOf(forked.pcb.pid, 'state')[0]).toMatchObject({ reason: `forked from ${origin.pid} at turn 3` });
  }, 60_000);

  it('switches the model and adds a message; refuses a running origin, a turn it never had, a file changed since', async () => {
    h = await startHarness({
      root: ROOT,
      other: [call('FS_WRITE', { path: 'notes.txt', content: 'theirs' }), EXIT],
      sleepy: [call('SYS_READ_STDIN', { timeout_s: 30 }), EXIT],
    });
    const origin = await h.run();
    await expect(h.kernel.fork({ pid: origin.pid, turn: 9 })).rejects.toThrow(/has no turn 9 \(its turns are 0 to 4\)/);
    await expect(h.kernel.fork({ pid: 999, turn: 1 })).rejects.toThrow(/no such process 999/);
    const forked = await h.kernel.fork({
      pid: origin.pid,
      turn: 4,
      model: `replay:${h.tape}`,
      append: 'Before you exit, say why.',
    });
    await h.kernel.waitExit(forked.pcb.pid);
    const [first] = prompts(h, forked.pcb.pid);
    expect(first?.text).toMatch(/\n\nBefore you exit, say why\.$/);
    // Another process changes notes.txt: a fork to before the origin's last write of it is refused, nothing changed.
    expect((await h.run({ name: 'other' })).exitCode).toBe(0);
    await expect(h.kernel.fork({ pid: origin.pid, turn: 2 })).rejects.toThrow(
      /notes\.txt was changed since by process \d+/,
    );
    expect(await read(h, 'notes.txt')).toBe('theirs');
    expect(await read(h, 'counter.txt')).toBe('2');
    // A live origin: its files would be pulled from under it.
    const sleeper = await h.spawn({ name: 'sleepy' });
    await new Promise<void>((resolve) => {
      const check = (): void =>
        h!.kernel.pcb(sleeper.pid)?.state === 'blocked' ? resolve() : void setTimeout(check, 5);
      check();
    });
    await expect(h.kernel.fork({ pid: sleeper.pid, turn: 0 })).rejects.toThrow(/still running \(blocked\)/);
  }, 60_000);

  it("stands, before its first turn, in the workspace of turn N; after a kernel restart its context is the origin's rows again", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-fork-'));
    const storeFile = path.join(dir, 'aos.db');
    try {
      h = await startHarness({ root: ROOT }, { storeFile });
      const origin = await h.run();
      // The fork's model waits at turn 3 (its reply 3 reads stdin): the files can be looked at first.
      const waiting = path.join(dir, 'wait.yaml');
      await writeFile(
        waiting,
        YAML.stringify({ agents: { root: ['x', 'x', 'x', call('SYS_READ_STDIN', { timeout_s: 60 }), EXIT] } }),
      );
      const forked = await h.kernel.fork({ pid: origin.pid, turn: 3, model: `replay:${waiting}` });
      const blocked = (): Promise<void> =>
        new Promise((resolve) => {
          const check = (): void =>
            h!.kernel.pcb(forked.pcb.pid)?.state === 'blocked' ? resolve() : void setTimeout(check, 5);
          check();
        });
      await blocked();
      expect(await read(h, 'counter.txt')).toBe('1');
      expect(await read(h, 'notes.txt')).toBe('v2');
      const seqs = turnOf(h.kernel.proc(forked.pcb.pid)!).transcript.map((e) => e.seq);
      await h.kernel.close();
      const again = await startHarness({ root: ROOT }, { storeFile });
      try {
        const proc = again.kernel.proc(forked.pcb.pid);
        expect(proc?.pcb.fork).toEqual({
          pid: origin.pid,
          turn: 3,
          segments: [{ pid: origin.pid, through: expect.any(Number) }],
        });
        expect(turnOf(proc)?.transcript.map((e) => e.seq)).toEqual(seqs);
        again.kernel.send(forked.pcb.pid, 'go on');
        expect((await again.kernel.waitExit(forked.pcb.pid)).exitCode).toBe(0);
      } finally {
        await again.close();
      }
    } finally {
      if (h) await rm(h.dir, { recursive: true, force: true });
      h = null;
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("a fork's origin in the store", () => {
  it('is not removed while a fork that begins with its rows runs (rm refuses, prune leaves it)', async () => {
    h = await startHarness({
      root: [call('FS_WRITE', { path: 'a.txt', content: 'a' }), call('SYS_READ_STDIN', { timeout_s: 60 }), EXIT],
    });
    const origin = await h.spawn();
    h.kernel.send(origin.pid, 'done');
    await h.kernel.waitExit(origin.pid);
    const forked = await h.kernel.fork({ pid: origin.pid, turn: 1 });
    await expect(removeProcesses(h.kernel, [origin.pid])).rejects.toThrow(
      new RegExp(`what the running fork ${forked.pcb.pid} began with`),
    );
    expect(await pruneProcesses(h.kernel, Date.now() + 1_000)).toEqual([]);
    h.kernel.send(forked.pcb.pid, 'done');
    await h.kernel.waitExit(forked.pcb.pid);
    expect(await removeProcesses(h.kernel, [origin.pid])).toEqual([origin.pid]);
  }, 30_000);
});

describe('aos record of a fork', () => {
  it("gives a tape that replays from turn 0: the origin's turns before the fork, then the fork's own", async () => {
    const other = [
      call('FS_WRITE', { path: 'a.txt', content: '1' }),
      call('FS_WRITE', { path: 'b.txt', content: '2' }),
      call('FS_WRITE', { path: 'c.txt', content: 'forked' }),
      EXIT,
    ];
    h = await startHarness({
      root: [
        call('FS_WRITE', { path: 'a.txt', content: '1' }),
        call('FS_WRITE', { path: 'b.txt', content: '2' }),
        EXIT,
      ],
    });
    const origin = await h.run();
    const tape = path.join(h.dir, 'other.yaml');
    await writeFile(tape, YAML.stringify({ agents: { root: other } }));
    const forked = await h.kernel.fork({ pid: origin.pid, turn: 2, model: `replay:${tape}` });
    await h.kernel.waitExit(forked.pcb.pid);
    const recorded = YAML.parse((await recordTape(h.kernel, forked.pcb.pid)).tape) as {
      agents: { root: Array<{ reply: string }> };
    };
    expect(recorded.agents.root.map((e) => e.reply)).toEqual(other);
  }, 30_000);
});
