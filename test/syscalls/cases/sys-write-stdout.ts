/** SYS_WRITE_STDOUT's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { call } from '../../helpers/kernel-harness.js';
import { msgEvents, ok, type SyscallCases } from './shared.js';

export default {
  happy: {
    root: [
      call('SYS_WRITE_STDOUT', { text: 'hello\n' }),
      { expect: ok('SYS_WRITE_STDOUT'), reply: call('SYS_EXIT', {}) },
    ],
    verify: ({ h: harness, pcb, subject }) => {
      expect(subject.value).toEqual({ ok: true, piped_to: null });
      expect(msgEvents(harness)).toMatchObject([{ from_pid: 1, to_pid: 0, channel: 'stdout', content: 'hello\n' }]);
      // Without a SYS_EXIT result, WAIT's output is the captured stdout.
      expect(pcb.output).toBe('hello\n');
    },
  },
  einval: {
    calls: [
      { args: {}, field: 'text', kind: 'missing' },
      { args: { text: 5 }, field: 'text', kind: 'type' },
      { args: { text: 'x'.repeat(64 * 1024 + 1) }, field: 'text', kind: 'range' },
      { args: { text: 'x', stream: 'stderr' }, field: 'stream', kind: 'unknown' },
    ],
    nothingHappened: ({ h: harness, pcb }) => {
      expect(msgEvents(harness)).toEqual([]);
      expect(pcb.output).toBeNull();
    },
  },
  // Every process has a stdout.
  eperm: null,
} satisfies SyscallCases;
