/**
 * HISTORY_SEARCH (issue 33): a process finds, by words, a result from hundreds of turns back that
 * compaction has long dropped from its context, and reads it whole with SYS_RESULT_READ; its
 * tree's children's results and its threads are searched too; another tree's past never is.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { excerpt, sinceIso } from '../../kernel/ipc/history.js';
import { ALL_CAPS, call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

const CAPS = { rootCapabilities: [...ALL_CAPS, 'thread:**'] };
let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

type Result = {
  ok: boolean;
  errno?: string;
  value?: { hits: Array<Record<string, unknown>> } & Record<string, unknown>;
};
const resultsOf = (k: Harness, pid: number, name: string): Result[] =>
  k.results(pid).filter((r) => r.name === name) as Result[];

describe('HISTORY_SEARCH', () => {
  it('finds a result from 300 turns ago that compaction dropped, reads it whole, and nothing of another tree', async () => {
    const filler = Array.from(
      { length: 300 },
      (_, i) =>
        `Turn ${i}: thinking about unrelated chores. ${'padding words '.repeat(120)}\n${call('SYS_SLEEP', { seconds: 0 })}`,
    );
    h = await startHarness(
      {
        other: [call('FS_READ', { path: 'notes/ledger.txt' }), EXIT],
        worker: [
          call('FS_READ', { path: 'notes/ledger.txt' }),
          ...filler,
          call('HISTORY_SEARCH', { query: 'zanzibar ledger' }),
          call('SYS_RESULT_READ', { turn: 0, seq: 0 }),
          EXIT,
        ],
      },
      CAPS,
    );
    await mkdir(path.join(h.workspace, 'notes'), { recursive: true });
    await writeFile(
      path.join(h.workspace, 'notes/ledger.txt'),
      `The zanzibar ledger: account 7731 owes 4,200 EUR.\n${'more lines of the ledger\n'.repeat(200)}`,
    );
    const other = await h.run({ name: 'other' });
    expect(other.exitCode).toBe(0);
    const worker = await h.run({ name: 'worker', maxTurns: 400, contextTokens: 4_000 });
    expect(worker.exitCode).toBe(0);
    const compactions = h
      .eventsOf(worker.pid, 'state')
      .filter((e) => e.type === 'state' && e.reason?.startsWith('context compacted'));
    expect(compactions.length).toBeGreaterThan(5);
    const [search] = resultsOf(h, worker.pid, 'HISTORY_SEARCH');
    expect(search?.ok).toBe(true);
    const hits = search?.value?.hits ?? [];
    expect(hits[0]).toMatchObject({
      kind: 'result',
      pid: worker.pid,
      turn: 0,
      seq: 0,
      name: 'FS_READ',
      read: { SYS_RESULT_READ: { turn: 0, seq: 0 } },
    });
    expect(String(hits[0]?.excerpt)).toContain('zanzibar ledger: account 7731');
    // The other tree read the very same file: never a hit.
    expect(hits.filter((hit) => hit.pid !== worker.pid)).toEqual([]);
    const [page] = resultsOf(h, worker.pid, 'SYS_RESULT_READ');
    expect(JSON.stringify(page?.value)).toContain('account 7731 owes 4,200 EUR');
  }, 60_000);

  it("searches its children's results and its threads, and refuses a pid of another tree", async () => {
    h = await startHarness(
      {
        outsider: [call('THREAD_APPEND', { key: 'client:zeta', text: 'quokka terms for zeta' }), EXIT],
        parent: [
          call('SPAWN_AGENT', { role: 'helper', name: 'child', task: 'look' }) +
            '\n' +
            call('THREAD_APPEND', { key: 'client:acme', text: 'quokka discount agreed', kind: 'decision' }),
          call('WAIT', {}),
          [
            call('HISTORY_SEARCH', { query: 'quokka' }),
            call('HISTORY_SEARCH', { query: 'quokka', pid: 1 }),
            call('SYS_RESULT_READ', { pid: 1, turn: 0, seq: 0 }),
          ].join('\n'),
          EXIT,
        ],
        child: [
          call('SYS_WRITE_STDOUT', { text: 'the quokka report' }) +
            '\n' +
            call('SYS_EXIT', { code: 0, result: 'quokka count: 3' }),
          EXIT,
        ],
      },
      CAPS,
    );
    const outsider = await h.run({ name: 'outsider' });
    expect(outsider.pid).toBe(1);
    const parent = await h.run({ name: 'parent' });
    expect(parent.exitCode).toBe(0);
    const [mine, theirs] = resultsOf(h, parent.pid, 'HISTORY_SEARCH');
    const hits = mine?.value?.hits ?? [];
    expect(hits).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'thread',
          thread: 'client:acme',
          seq: 1,
          entry_kind: 'decision',
          pid: parent.pid,
        }),
        expect.objectContaining({
          kind: 'result',
          name: 'WAIT',
          pid: parent.pid,
          excerpt: expect.stringContaining('quokka count: 3'),
        }),
        expect.objectContaining({ kind: 'message', pid: parent.pid + 1, excerpt: 'the quokka report' }),
        expect.objectContaining({ kind: 'reply', pid: parent.pid + 1, turn: 0 }),
      ]),
    );
    expect(JSON.stringify(hits)).not.toContain('zeta');
    expect(mine?.value?.searched).toEqual({ events: true, threads: ['client:acme'] });
    expect(theirs).toMatchObject({ ok: false, errno: 'EPERM' });
    expect(resultsOf(h, parent.pid, 'SYS_RESULT_READ')[0]).toMatchObject({ ok: false, errno: 'EPERM' });
  }, 30_000);

  it("finds what reached it between turns — a timer's prompt — as the [EVENT::…] line of a later prompt", async () => {
    h = await startHarness(
      {
        t: [
          call('SYS_SCHEDULE', { seconds: 1, prompt: 'feed the walrus' }) + '\n' + call('SLEEP', { seconds: 5 }),
          call('HISTORY_SEARCH', { query: 'walrus' }),
          EXIT,
        ],
      },
      CAPS,
    );
    const pcb = await h.run({ name: 't' });
    expect(pcb.exitCode).toBe(0);
    const hits = resultsOf(h, pcb.pid, 'HISTORY_SEARCH')[0]?.value?.hits ?? [];
    expect(hits).toEqual([
      expect.objectContaining({
        kind: 'prompt',
        turn: 1,
        excerpt: expect.stringMatching(/^\[EVENT::TIMER\] .*feed the walrus/),
      }),
      expect.objectContaining({ kind: 'reply', turn: 0 }),
    ]);
  }, 30_000);

  it('cuts excerpts around the first word found and reads ages as times', () => {
    const text = `${'a'.repeat(1_000)} needle ${'b'.repeat(1_000)}`;
    const cut = excerpt(text, ['Needle']);
    expect(cut).toContain('needle');
    expect(cut.length).toBeLessThan(300);
    expect(sinceIso('2h', Date.parse('2026-11-25T12:00:00Z'))).toBe('2026-11-25T10:00:00.000Z');
    expect(sinceIso('2026-11-20T09:00:00Z')).toBe('2026-11-20T09:00:00.000Z');
    expect(() => sinceIso('last tuesday')).toThrow(/since must be a time/);
  });
});
