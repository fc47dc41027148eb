/** SYS_EXIT's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import type { SyscallCases } from './shared.js';

export default {
  happy: {
    exitCode: 3,
    root: [call('SYS_EXIT', { code: 3, result: 'the answer' })],
    verify: ({ pcb, subject }) => {
      expect(subject.value).toEqual({ exiting: true, code: 3 });
      expect(pcb).toMatchObject({
        state: 'exited',
        exitCode: 3,
        exitReason: 'exited with code 3',
        output: 'the answer',
      });
      expect(pcb.counters.turns).toBe(1);
    },
  },
  einval: {
    calls: [
      { args: { code: 256 }, field: 'code', kind: 'range' },
      { args: { code: -1 }, field: 'code', kind: 'range' },
      { args: { code: '0' }, field: 'code', kind: 'type' },
      { args: { code: 1.5 }, field: 'code', kind: 'type' },
      { args: { result: 5 }, field: 'result', kind: 'type' },
      { args: { code: 0, reason: 'done' }, field: 'reason', kind: 'unknown' },
    ],
    nothingHappened: ({ pcb }) => {
      // None of the bad exits ended the process: it went on to the tape's final EXIT.
      expect(pcb.counters.turns).toBe(2);
      expect(pcb.exitCode).toBe(0);
    },
  },
  // Any process may end itself.
  eperm: null,
} satisfies SyscallCases;
