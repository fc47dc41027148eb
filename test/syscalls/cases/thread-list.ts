/** THREAD_LIST's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { ALL_CAPS, call, EXIT } from '../../helpers/kernel-harness.js';
import { ok, type SyscallCases } from './shared.js';

export default {
  happy: {
    root: [call('THREAD_LIST', { prefix: 'client:' }), { expect: ok('THREAD_LIST'), reply: EXIT }],
    caps: [...ALL_CAPS, 'thread:client:a*'],
    setup: async (h) => {
      for (const key of ['client:acme', 'client:beta', 'invoice:1', 'client:apex'])
        h.kernel.threads.append(key, { text: 'x', pid: 0, unit: null });
    },
    // Only what its capabilities reach, by key.
    verify: ({ subject }) => {
      expect((subject.value as { threads: Array<{ key: string }> }).threads.map((t) => t.key)).toEqual([
        'client:acme',
        'client:apex',
      ]);
    },
  },
  einval: {
    calls: [
      { args: { prefix: 5 }, field: 'prefix', kind: 'type' },
      { args: { prefix: 'client:', all: true }, field: 'all', kind: 'unknown' },
    ],
  },
  // Any process may list: it is shown only the threads its capabilities reach (none without one).
  eperm: null,
} satisfies SyscallCases;
