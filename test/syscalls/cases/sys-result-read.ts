/** SYS_RESULT_READ's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { ok, type SyscallCases } from './shared.js';

export default {
  happy: {
    root: [
      `${call('FS_WRITE', { path: 'r.txt', content: 'hello world' })}\n${call('FS_READ', { path: 'r.txt' })}`,
      call('SYS_RESULT_READ', { turn: 0, seq: 1, field: 'content', offset: 6 }),
      { expect: [ok('SYS_RESULT_READ'), '"content":"world"'], reply: EXIT },
    ],
    verify: ({ subject }) => {
      expect(subject.value).toEqual({
        turn: 0,
        seq: 1,
        name: 'FS_READ',
        field: 'content',
        offset: 6,
        length: 5,
        total: 11,
        content: 'world',
        next_offset: null,
      });
    },
  },
  einval: {
    calls: [
      { args: { seq: 0 }, field: 'turn', kind: 'missing' },
      { args: { turn: '0', seq: 0 }, field: 'turn', kind: 'type' },
      { args: { turn: 0, seq: -1 }, field: 'seq', kind: 'range' },
      { args: { turn: 0, seq: 0, length: 0 }, field: 'length', kind: 'range' },
      { args: { turn: 0, seq: 0, field: '' }, field: 'field', kind: 'range' },
      { args: { turn: 0, seq: 0, pid: 0 }, field: 'pid', kind: 'range' },
      { args: { turn: 0, seq: 0, tree: 2 }, field: 'tree', kind: 'unknown' },
    ],
  },
  // It names only the caller's own tree's results (a pid outside it is EPERM: test/kernel/history-search.test.ts): anyone may.
  eperm: null,
} satisfies SyscallCases;
