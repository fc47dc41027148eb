/**
 * Red team of `aos fork`'s workspace restore (issue 35, kernel/fork.ts through
 * kernel/safety/rollback.ts): only what the origin and its subtree changed from turn N is put back,
 * only inside the workspace, all or nothing — a symlink or hard link planted since, or a file
 * another process changed, refuses the whole fork with nothing changed — and the origin's journal
 * before turn N stays. The files are the agent's to plant: they are planted here by hand, as an
 * agent's EXEC_CMD could.
 */
import { link, mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const write = (file: string, content: string): string => call('FS_WRITE', { path: file, content });
const read = (file: string): Promise<string> => readFile(path.join(h!.workspace, file), 'utf8');
const readOrGone = (file: string): Promise<string> => read(file).catch(() => '(gone)');
const exists = (file: string): Promise<boolean> =>
  stat(path.join(h!.workspace, file)).then(
    () => true,
    () => false,
  );
/** Turn 0 writes keep.txt, 1 writes a.txt, 2 writes b.txt and sub/c.txt, 3 exits: a fork at turn 1 puts back a, b and c. */
const ROOT = [
  write('keep.txt', 'k0'),
  write('a.txt', 'a1'),
  `${write('b.txt', 'b2')}\n${write('sub/c.txt', 'c2')}`,
  EXIT,
];
const processCount = async (): Promise<number> => (await h!.kernel.processes({ all: true })).length;
/** A model for the fork that exits at once, whatever turn it begins at. */
async function exitAtOnce(): Promise<string> {
  const file = path.join(h!.dir, 'exit.yaml');
  await writeFile(file, `agents:\n  root: ${JSON.stringify(Array(8).fill(EXIT))}\n`);
  return `replay:${file}`;
}

/** The fork is refused, and no file, journal row or process changed. */
async function refusedWhole(pid: number, turn: number, why: RegExp, model?: string): Promise<void> {
  const files = { a: await readOrGone('a.txt'), b: await readOrGone('b.txt'), keep: await readOrGone('keep.txt') };
  const journal = h!.kernel.safety.journal.entries([pid]).length;
  const before = await processCount();
  await expect(h!.kernel.fork({ pid, turn, ...(model ? { model } : {}) })).rejects.toThrow(why);
  expect({ a: await readOrGone('a.txt'), b: await readOrGone('b.txt'), keep: await readOrGone('keep.txt') }).toEqual(
    files,
  );
  expect(h!.kernel.safety.journal.entries([pid])).toHaveLength(journal);
  expect(await processCount()).toBe(before);
}

describe("a fork's restore: refused whole, nothing changed", () => {
  it('when a symlink to outside was planted since where a file it would restore was', async () => {
    h = await startHarness({ root: ROOT });
    const origin = await h.run();
    const outside = path.join(h.dir, 'outside.txt');
    await writeFile(outside, 'host file');
    await rm(path.join(h.workspace, 'b.txt'));
    await symlink(outside, path.join(h.workspace, 'b.txt'));
    await refusedWhole(origin.pid, 1, /b\.txt cannot be reached safely now/);
    expect(await readFile(outside, 'utf8')).toBe('host file');
  });

  it('when a directory on the way was swapped for a symlink to outside', async () => {
    h = await startHarness({ root: ROOT });
    const origin = await h.run();
    const elsewhere = path.join(h.dir, 'elsewhere');
    await mkdir(elsewhere);
    await writeFile(path.join(elsewhere, 'c.txt'), 'c2');
    await rm(path.join(h.workspace, 'sub'), { recursive: true });
    await symlink(elsewhere, path.join(h.workspace, 'sub'));
    await refusedWhole(origin.pid, 1, /sub\/c\.txt cannot be reached safely now/);
    expect(await readFile(path.join(elsewhere, 'c.txt'), 'utf8')).toBe('c2');
  });

  it('when a file it would restore is now a hard link to a host file', async () => {
    h = await startHarness({ root: ROOT });
    const origin = await h.run();
    const outside = path.join(h.dir, 'linked.txt');
    await writeFile(outside, 'b2');
    await rm(path.join(h.workspace, 'b.txt'));
    await link(outside, path.join(h.workspace, 'b.txt'));
    await refusedWhole(origin.pid, 1, /b\.txt cannot be reached safely now/);
    expect(await readFile(outside, 'utf8')).toBe('b2');
  });

  it('when another process changed a file since, or someone outside the journal did', async () => {
    h = await startHarness({ root: ROOT, other: [write('sub/c.txt', 'theirs'), EXIT] });
    const origin = await h.run();
    expect((await h.run({ name: 'other' })).exitCode).toBe(0);
    await refusedWhole(origin.pid, 1, /sub\/c\.txt was changed since by process \d+/);
    expect(await read('sub/c.txt')).toBe('theirs');
    await writeFile(path.join(h.workspace, 'sub/c.txt'), 'c2');
    await writeFile(path.join(h.workspace, 'b.txt'), 'by hand');
    await expect(h.kernel.fork({ pid: origin.pid, turn: 1 })).rejects.toThrow(
      /b\.txt was changed since outside the journal/,
    );
    expect(await read('b.txt')).toBe('by hand');
  });
});

describe('a fork that cannot start', () => {
  // Was broken (fixed): kernel/fork.ts puts the files back (and drops their journal rows) before it spawns; a
  // spawn that then fails (a model that cannot be opened, a thread the policy no longer gives, a
  // full table, a kernel shutting down) leaves the workspace changed and no fork.
  it('changes no file and no journal row', async () => {
    h = await startHarness({ root: ROOT });
    const origin = await h.run();
    await refusedWhole(origin.pid, 1, /unknown model provider "nosuch"/, 'nosuch:model');
    expect(await read('b.txt')).toBe('b2');
  });
});

describe("a fork's restore: what it puts back", () => {
  it("keeps the origin's journal before turn N, and touches no file changed before it", async () => {
    h = await startHarness({ root: ROOT });
    const origin = await h.run();
    const earlier = h.kernel.safety.journal.entries([origin.pid]).filter((e) => e.turn < 1);
    const forked = await h.kernel.fork({ pid: origin.pid, turn: 1 });
    expect(forked.files.map((f) => f.path).sort()).toEqual(['/a.txt', '/b.txt', '/sub/c.txt']);
    expect(await read('keep.txt')).toBe('k0');
    expect(h.kernel.safety.journal.entries([origin.pid]).filter((e) => e.turn < 1)).toEqual(earlier);
  });

  // Was broken (fixed): the journal's turn is each writer's own; the subtree's entries are cut at N by those numbers.
  it("counts a child's writes by when they happened in the origin's turns, not by the child's own turn numbers", async () => {
    // The origin's turn 0 spawns a child and waits for it; the child writes early.txt at its own turn 2.
    const root = [
      `${call('SPAWN_AGENT', { role: 'kid', name: 'kid', task: 'write' })}\n${call('WAIT', {})}`,
      write('late.txt', 'late'),
      EXIT,
    ];
    const kid = [call('FS_LIST', { path: '/' }), call('FS_READ', { path: 'nothing' }), write('early.txt', 'kid'), EXIT];
    h = await startHarness({ root, kid });
    const origin = await h.run();
    expect(await read('early.txt')).toBe('kid');
    // At the origin's turn 1 early.txt was there already (written during its turn 0): a fork there keeps it.
    const forked = await h.kernel.fork({ pid: origin.pid, turn: 1 });
    expect(forked.files.map((f) => f.path)).toEqual(['/late.txt']);
    expect(await exists('early.txt')).toBe(true);
  });

  // Was broken (fixed): the other direction: a child's turn-0 write made during the origin's turn 1 is not put back.
  it("puts back a child's write made after turn N even when it was the child's turn 0", async () => {
    const root = [
      write('first.txt', '1'),
      `${call('SPAWN_AGENT', { role: 'kid', name: 'kid', task: 'write' })}\n${call('WAIT', {})}`,
      EXIT,
    ];
    h = await startHarness({ root, kid: [write('kid.txt', 'kid'), EXIT] });
    const origin = await h.run();
    const forked = await h.kernel.fork({ pid: origin.pid, turn: 1, model: await exitAtOnce() });
    expect(forked.files.map((f) => f.path)).toContain('/kid.txt');
  });

  // Was broken (fixed): the origin has ended, but a descendant of it still runs: its files are pulled from under it.
  it('is refused while a descendant of the origin still runs', async () => {
    const root = [call('SPAWN_AGENT', { role: 'kid', name: 'kid', task: 'write then wait' }), EXIT];
    const kid = [write('kid.txt', 'kid'), call('SYS_READ_STDIN', { timeout_s: 30 }), EXIT];
    h = await startHarness({ root, kid });
    const origin = await h.run();
    const child = origin.pid + 1;
    await until(() => h!.kernel.pcb(child)?.state === 'blocked');
    expect(await read('kid.txt')).toBe('kid');
    await expect(h.kernel.fork({ pid: origin.pid, turn: 0, model: await exitAtOnce() })).rejects.toThrow(/running/);
    expect(await read('kid.txt')).toBe('kid');
    h.kernel.kill(child);
  });

  // Was broken (fixed): the first fork's restore deleted the origin's journal rows from its turn on: a second
  // fork at a later turn finds nothing to put back and begins, silently, in the wrong workspace.
  it('gives a second fork at a later turn the workspace of that turn, or refuses it', async () => {
    const root = [write('n.txt', 'v0'), write('n.txt', 'v1'), write('n.txt', 'v2'), EXIT];
    h = await startHarness({ root });
    const origin = await h.run();
    const first = await h.kernel.fork({ pid: origin.pid, turn: 1, model: await exitAtOnce() });
    expect(await read('n.txt')).toBe('v0');
    await h.kernel.waitExit(first.pcb.pid);
    const second = h.kernel.fork({ pid: origin.pid, turn: 2, model: await exitAtOnce() });
    const outcome = await second.then(
      () => 'forked',
      (error: Error) => error.message,
    );
    // At the origin's turn 2, n.txt held v1.
    if (outcome === 'forked') expect(await read('n.txt')).toBe('v1');
    else expect(outcome).toMatch(/n\.txt/);
  });
});
