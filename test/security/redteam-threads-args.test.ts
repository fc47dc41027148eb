/**
 * Red team (issue 33): malformed and extreme arguments to the thread and recall calls from a model
 * that writes anything. Every call answers (never wedges or kills the kernel), and an argument the
 * model got wrong is EINVAL — never EIO, which says the host failed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ALL_CAPS, call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const CAPS = { rootCapabilities: [...ALL_CAPS, 'thread:**'] };

describe('red team: since values', () => {
  // An age further back than any date is everything (never EIO "host failure"); a number without a unit is no age.
  const HUGE = ['999999999w', '99999999999999d', '1e3s'];

  it('HISTORY_SEARCH with an age too large for a date searches everything; a bare number is EINVAL, not EIO "host failure"', async () => {
    h = await startHarness(
      { a: [[...HUGE, '9'.repeat(64)].map((since) => call('HISTORY_SEARCH', { query: 'x', since })).join('\n'), EXIT] },
      CAPS,
    );
    const pcb = await h.run({ name: 'a' });
    expect(pcb.exitCode).toBe(0);
    const results = h.results(pcb.pid).filter((r) => r.name === 'HISTORY_SEARCH');
    expect(results.map((r) => (r.ok ? 'ok' : `${r.errno}: ${r.message}`))).toEqual([
      'ok',
      'ok',
      expect.stringMatching(/^EINVAL: since must be/),
      expect.stringMatching(/^EINVAL: .*has no unit/),
    ]);
  }, 30_000);

  it('THREAD_READ with an age too large for a date reads everything; a string of digits is an entry seq', async () => {
    h = await startHarness(
      {
        a: [
          [
            call('THREAD_APPEND', { key: 't:1', text: 'x' }),
            ...[...HUGE, '9'.repeat(64), '0'].map((since) => call('THREAD_READ', { key: 't:1', since })),
          ].join('\n'),
          EXIT,
        ],
      },
      CAPS,
    );
    const pcb = await h.run({ name: 'a' });
    expect(pcb.exitCode).toBe(0);
    const results = h.results(pcb.pid).filter((r) => r.name === 'THREAD_READ');
    expect(results.map((r) => (r.ok ? (r.value as { entries: unknown[] }).entries.length : `${r.errno}`))).toEqual([
      1,
      1,
      'EINVAL',
      0,
      1,
    ]);
  }, 30_000);

  it('other odd since / query / limit values answer ok or EINVAL and the process goes on (holds)', async () => {
    const sinces = [
      'NaN',
      '-1h',
      '+275760-09-13T00:00:01Z',
      '-271821-04-20T00:00:00Z',
      '2026-02-30',
      '1e3',
      'Infinity',
      '0',
      '0.0000001s',
      ' ',
      '\u0000',
      '\ud800',
      '2h; DROP TABLE threads',
    ];
    const queries = [
      '\ud800',
      'a'.repeat(500),
      '"*"',
      'NEAR/2 a b',
      '-',
      '^a',
      'a:b',
      'x '.repeat(250),
      '\u0085\u2028',
      '\u0001\u0002',
    ];
    const calls = [
      ...sinces.flatMap((since) => [
        call('HISTORY_SEARCH', { query: 'x', since }),
        call('THREAD_READ', { key: 't:1', since }),
      ]),
      ...queries.flatMap((query) => [call('HISTORY_SEARCH', { query }), call('THREAD_READ', { key: 't:1', query })]),
      call('THREAD_READ', { key: 't:1', since: Number.MAX_SAFE_INTEGER }),
      call('THREAD_READ', { key: 't:1', since: 1e300 }),
      call('THREAD_READ', { key: 't:1', limit: 1e9 }),
      call('HISTORY_SEARCH', { query: 'x', limit: 1e9 }),
      call('HISTORY_SEARCH', { query: 'x', pid: -1 }),
      call('HISTORY_SEARCH', { query: 'x', pid: 1.5 }),
      call('SYS_RESULT_READ', { pid: 1, turn: -1, seq: 0 }),
      call('SYS_RESULT_READ', { pid: 1, turn: 0, seq: 0, offset: 1e15, length: 1 }),
      call('SYS_RESULT_READ', { pid: 1, turn: 0, seq: 0, field: '__proto__' }),
      call('SYS_RESULT_READ', { pid: 1, turn: 0, seq: 0, field: 'constructor' }),
      call('THREAD_LIST', { prefix: '..' }),
      call('THREAD_LIST', { prefix: 'a'.repeat(128) }),
      call('THREAD_OPEN', { key: 't:1', create: 'yes' }),
    ];
    // Split over replies (32 calls per reply at most).
    const replies: string[] = [call('THREAD_APPEND', { key: 't:1', text: 'x marks' })];
    for (let i = 0; i < calls.length; i += 30) replies.push(calls.slice(i, i + 30).join('\n'));
    h = await startHarness({ a: [...replies, EXIT] }, CAPS);
    const pcb = await h.run({ name: 'a' });
    expect(pcb.exitCode).toBe(0);
    const results = h
      .results(pcb.pid)
      .filter((r) => r.name !== 'SYS_EXIT')
      .slice(1);
    expect(results).toHaveLength(calls.length);
    const bad = results.filter((r) => !r.ok && !['EINVAL', 'ENOENT'].includes(r.errno as string));
    expect(bad.map((r) => `${r.name}: ${r.errno} ${r.message}`)).toEqual([]);
  }, 60_000);
});
