/** WAIT's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { ok, type SyscallCases } from './shared.js';

export default {
  happy: {
    root: [
      call('SPAWN_AGENT', { role: 'worker' }),
      call('WAIT', { pid: 2, timeout_s: 5 }),
      { expect: [ok('WAIT'), '"exit_code":7', '"output":"done"'], reply: EXIT },
    ],
    agents: { worker: [call('SYS_EXIT', { code: 7, result: 'done' })] },
    verify: ({ subject }) => {
      expect(subject.value).toEqual({
        pid: 2,
        name: 'worker',
        exit_code: 7,
        reason: 'exited with code 7',
        output: 'done',
      });
    },
  },
  einval: {
    calls: [
      { args: { pid: '2' }, field: 'pid', kind: 'type' },
      { args: { pid: 0 }, field: 'pid', kind: 'range' },
      { args: { pid: 1.5 }, field: 'pid', kind: 'type' },
      { args: { timeout_s: 0 }, field: 'timeout_s', kind: 'range' },
      { args: { timeout_s: 24 * 3600 + 1 }, field: 'timeout_s', kind: 'range' },
      { args: { child: 2 }, field: 'child', kind: 'unknown' },
    ],
  },
  // WAIT has no capability: any process may wait for its own children.
  eperm: null,
} satisfies SyscallCases;
