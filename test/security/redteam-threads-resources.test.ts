/**
 * Red team (issue 33): what one agent's calls cost the kernel. A THREAD_READ page is stored whole as
 * its result event (500 entries of 16 KiB were 8 MiB for a call of ~60 bytes: now a page holds at
 * most param.threadReadMaxChars), and retention dropped only what a summary covers (now a thread
 * keeps at most threadMaxEntries, saying in its summary which it dropped unread). How long
 * HISTORY_SEARCH's indexing holds the kernel is a benchmark's to measure, not a test's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { param } from '../../sys/param.js';
import { ALL_CAPS, call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const CAPS = { rootCapabilities: [...ALL_CAPS, 'thread:**'] };
/** An entry of the largest size, of many different words (what the full-text index pays for). */
const BIG = Array.from({ length: 5_000 }, (_, i) => `tok${(i * 7919) % 100_000}`)
  .join(' ')
  .slice(0, param.threadEntryMaxChars - 20);

describe('red team: resources', () => {
  it('a reply of 16 THREAD_READs of a full thread records at most a few MiB of results', async () => {
    const reads = Array.from({ length: 16 }, () =>
      call('THREAD_READ', { key: 'big:1', since: 0, limit: param.threadReadMax }),
    ).join('\n');
    h = await startHarness({ a: [reads, EXIT] }, CAPS);
    for (let i = 0; i < param.threadReadMax; i++)
      h.kernel.threads.append('big:1', { text: `${i} ${BIG}`, pid: 0, unit: null });
    const pcb = await h.run({ name: 'a' });
    expect(pcb.exitCode).toBe(0);
    const stored = h
      .results(pcb.pid)
      .filter((r) => r.name === 'THREAD_READ')
      .reduce((n, r) => n + JSON.stringify(r).length, 0);
    // The reply was ~1.5 KB; what it made the store keep:
    expect(stored, `${(stored / 2 ** 20).toFixed(0)} MiB of result events from one reply`).toBeLessThan(16 * 2 ** 20);
  }, 120_000);

  it('a thread past threadMaxEntries that nobody summarizes keeps at most threadMaxEntries entries', async () => {
    h = await startHarness({}, CAPS);
    const saved = param.threadMaxEntries;
    (param as { threadMaxEntries: number }).threadMaxEntries = 50;
    try {
      for (let i = 0; i < 500; i++) h.kernel.threads.append('log:all', { text: `line ${i}`, pid: 0, unit: null });
      const info = h.kernel.threads.info('log:all');
      expect(info.last_seq - info.first_seq + 1).toBeLessThanOrEqual(50);
      const view = await h.kernel.threads.open('log:all');
      expect(view.summary).toContain('were dropped by retention before a summary covered them');
      expect((await h.kernel.threads.read('log:all', { afterSeq: 0, limit: 500 })).entries.map((e) => e.seq)).toEqual(
        Array.from({ length: 50 }, (_, i) => 451 + i),
      );
    } finally {
      (param as { threadMaxEntries: number }).threadMaxEntries = saved;
    }
  });
});
