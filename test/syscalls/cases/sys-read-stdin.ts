/** SYS_READ_STDIN's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { ok, states, type SyscallCases } from './shared.js';

export default {
  happy: {
    root: [
      call('SPAWN_AGENT', { role: 'producer', pipe_to: 'parent' }),
      call('SYS_READ_STDIN', { timeout_s: 5 }),
      { expect: [ok('SYS_READ_STDIN'), '"text":"line 1\\n"'], reply: EXIT },
    ],
    agents: { producer: [call('SYS_WRITE_STDOUT', { text: 'line 1\n' }), { expect: '"piped_to":1', reply: EXIT }] },
    verify: ({ subject }) => {
      expect(subject.value).toEqual({ text: 'line 1\n' });
    },
  },
  einval: {
    calls: [
      { args: { timeout_s: -1 }, field: 'timeout_s', kind: 'range' },
      { args: { timeout_s: '1' }, field: 'timeout_s', kind: 'type' },
      { args: { wait: true }, field: 'wait', kind: 'unknown' },
    ],
    nothingHappened: ({ h: harness }) => {
      expect(states(harness, 1)).not.toContain('running>blocked');
    },
  },
  // Every process has a stdin.
  eperm: null,
} satisfies SyscallCases;
