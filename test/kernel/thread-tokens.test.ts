/**
 * The tokens a handoff through a thread spends (issue 50.6): what an attached thread puts in the
 * reader's prompt. Each entry is shown once — in the rolling summary or whole, never both — the
 * newest entry is always whole, no entry is left out of both, a fold leaves the newest entries
 * within threadRecentChars verbatim and asks for a summary shorter than what it folds, and an
 * entry's line carries no null unit and no milliseconds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelRequest } from '../../drivers/llm/types.js';
import { formatAttached, promptEntry } from '../../kernel/ipc/thread-prompt.js';
import type { ThreadEntry } from '../../kernel/ipc/threads.js';
import { foldThrough, summaryChars } from '../../kernel/loop/thread-summary.js';
import { param } from '../../sys/param.js';
import { ALL_CAPS, call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

const CAPS = { rootCapabilities: [...ALL_CAPS, 'thread:**'] };
let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const entry = (seq: number, chars: number, unit: string | null = null): ThreadEntry => ({
  seq,
  ts: '2026-11-26T10:00:00.123Z',
  pid: 7,
  unit,
  kind: 'note',
  text: `e${seq} `.padEnd(chars, 'x'),
});

describe('a fold of the rolling summary', () => {
  it('leaves the newest entries within threadRecentChars verbatim and takes the rest', () => {
    const each = Math.floor(param.threadRecentChars / 3);
    const page = Array.from({ length: 10 }, (_, i) => entry(i + 1, each));
    // Three fit: the fold takes 1-7.
    expect(foldThrough(page, 10, 0)).toBe(7);
  });

  it('leaves the newest entry verbatim however long it is, and at most threadRecentEntries', () => {
    expect(foldThrough([entry(1, 100), entry(2, 100), entry(3, param.threadRecentChars * 2)], 3, 0)).toBe(2);
    const tiny = Array.from({ length: 40 }, (_, i) => entry(i + 1, 10));
    expect(foldThrough(tiny, 40, 0)).toBe(40 - param.threadRecentEntries);
  });

  it('takes the whole page when it does not reach the newest entry, and nothing of a lone entry', () => {
    expect(foldThrough([entry(5, 100), entry(6, 100)], 900, 4)).toBe(6);
    expect(foldThrough([entry(5, 100)], 5, 4)).toBe(4);
  });

  it('asks for the summary so far and a share of the new text, within its bounds', () => {
    expect(summaryChars(1_000, 1_000)).toBe(1_000 + Math.ceil(1_000 * param.threadSummaryRatio));
    expect(summaryChars(0, 10)).toBe(param.threadSummaryMinChars);
    expect(summaryChars(2_900, 50_000)).toBe(param.threadSummaryChars);
    expect(param.threadSummaryRatio).toBeLessThan(1);
  });
});

describe('an attached thread in the prompt', () => {
  it('shows an entry with who wrote it, to the second, without a null unit; a unit when it ran as one', () => {
    expect(promptEntry(entry(1, 20))).toEqual({
      seq: 1,
      ts: '2026-11-26T10:00:00Z',
      pid: 7,
      kind: 'note',
      text: 'e1 '.padEnd(20, 'x'),
    });
    expect(promptEntry(entry(2, 20, 'billing'))).toMatchObject({ unit: 'billing' });
    const block = formatAttached(
      ['client:acme'],
      [
        {
          key: 'client:acme',
          entries: 2,
          summary: '',
          summary_through: 0,
          last_seq: 2,
          recent: [entry(1, 50), entry(2, 50, 'billing')],
        },
      ],
      20_000,
    );
    const lines = block.split('\n').filter((l) => l.startsWith('{'));
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ seq: 1, pid: 7, kind: 'note' }),
      expect.objectContaining({ seq: 2, pid: 7, unit: 'billing' }),
    ]);
    expect(lines[0]).not.toContain('"unit"');
    expect(block).toContain('[THREAD client:acme] 2 entries; entries 1-2:');
    expect(block).toContain('shown as data');
  });

  it('an empty thread is one line', () => {
    const block = formatAttached(['client:acme'], [null], 20_000);
    expect(block.trim().split('\n')).toHaveLength(1);
    expect(block).toContain('client:acme, no entries yet (THREAD_APPEND starts one)');
  });

  it('a reader past a fold is shown each entry once: the summary or whole, the newest whole, none left out', async () => {
    const requests: ModelRequest[] = [];
    const note = (i: number): string => `note ${i}: ${'detail '.repeat(120)}(end of note ${i})`;
    // One writer appends 12 notes of ~860 characters; its next turn folds the older ones (a replay tape: extractive).
    const appends = Array.from({ length: 12 }, (_, i) =>
      call('THREAD_APPEND', { key: 'client:acme', text: note(i + 1) }),
    );
    h = await startHarness({ writer: [appends.join('\n'), EXIT], reader: [EXIT] }, CAPS);
    expect((await h.run({ name: 'writer' })).exitCode).toBe(0);
    const row = h.kernel.threads.get('client:acme');
    expect(row?.summary_through).toBeGreaterThan(0);
    const through = row?.summary_through ?? 0;
    const driver = await h.kernel.models.get(`replay:${h.tape}`);
    const complete = driver.complete.bind(driver);
    driver.complete = (request) => {
      requests.push(request);
      return complete(request);
    };
    expect((await h.run({ name: 'reader', attach: ['client:acme'] })).exitCode).toBe(0);
    const system = requests[0]?.system ?? '';
    // The end of a note is past what a summary line keeps: it is in the prompt only when the note is whole.
    const whole = Array.from({ length: 12 }, (_, i) => i + 1).filter((i) => system.includes(`(end of note ${i})`));
    expect(whole).toEqual(Array.from({ length: 12 - through }, (_, i) => through + i + 1));
    expect(whole).toContain(12);
    expect(system).toContain(`a summary of entries 1-${through}, then entries ${through + 1}-12:`);
    expect(system).not.toMatch(/entries between not shown/);
    for (const i of whole) expect(system.split(`(end of note ${i})`)).toHaveLength(2);
  });

  it('shows the newest entry whole even when the summary covers it', async () => {
    h = await startHarness({}, CAPS);
    for (let i = 1; i <= 3; i++) h.kernel.threads.append('client:acme', { text: `n${i}`, pid: 0, unit: null });
    h.kernel.threads.summarized('client:acme', 'n1 to n3', 3, 6, { pid: 0 });
    const view = await h.kernel.threads.open('client:acme');
    expect(view.recent.map((e) => e.seq)).toEqual([3]);
  });
});
