/** SLEEP's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { ok, states, type SyscallCases } from './shared.js';

export default {
  happy: {
    root: [
      `${call('SLEEP', { seconds: 0.02 })}\n${call('SLEEP', { seconds: 0 })}`,
      { expect: [ok('SLEEP'), '"slept":0.02', '"slept":0'], reply: EXIT },
    ],
    verify: ({ h: harness, results }) => {
      expect(results.slice(0, 2).map((r) => r.value)).toEqual([{ slept: 0.02 }, { slept: 0 }]);
      // Only the non-zero sleep parks.
      expect(states(harness, 1).filter((s) => s === 'running>sleeping')).toHaveLength(1);
    },
  },
  einval: {
    calls: [
      { args: {}, field: 'seconds', kind: 'missing' },
      { args: { seconds: '1' }, field: 'seconds', kind: 'type' },
      { args: { seconds: -1 }, field: 'seconds', kind: 'range' },
      { args: { seconds: 24 * 3600 + 1 }, field: 'seconds', kind: 'range' },
      { args: { seconds: 1, reason: 'nap' }, field: 'reason', kind: 'unknown' },
    ],
    nothingHappened: ({ h: harness }) => {
      expect(states(harness, 1)).not.toContain('running>sleeping');
    },
  },
  // Sleeping spends nothing: anyone may.
  eperm: null,
} satisfies SyscallCases;
