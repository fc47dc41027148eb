/** RECV_MSG's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { ok, states, type SyscallCases } from './shared.js';

export default {
  happy: {
    root: [
      call('SPAWN_AGENT', { role: 'worker' }),
      call('RECV_MSG', { timeout_s: 5 }),
      { expect: [ok('RECV_MSG'), '"content":"hi parent"'], reply: EXIT },
    ],
    agents: { worker: [call('SEND_MSG', { to_pid: 1, content: 'hi parent' }), EXIT] },
    verify: ({ subject }) => {
      expect(subject.value).toEqual({ messages: [{ from_pid: 2, content: 'hi parent', ts: expect.any(String) }] });
      const { messages } = subject.value as { messages: Array<{ ts: string }> };
      expect(Number.isNaN(Date.parse(messages[0]?.ts ?? ''))).toBe(false);
    },
  },
  einval: {
    calls: [
      { args: { timeout_s: 0 }, field: 'timeout_s', kind: 'range' },
      { args: { timeout_s: '5' }, field: 'timeout_s', kind: 'type' },
      { args: { timeout_s: 24 * 3600 + 1 }, field: 'timeout_s', kind: 'range' },
      { args: { from: 1 }, field: 'from', kind: 'unknown' },
    ],
    nothingHappened: ({ h: harness }) => {
      expect(states(harness, 1)).not.toContain('running>blocked');
    },
  },
  eperm: {
    needs: 'ipc',
    caps: [],
    root: [call('RECV_MSG', { timeout_s: 3600 }), { expect: '"errno":"EPERM"', reply: EXIT }],
    verify: ({ h: harness }) => {
      // Refused before it could park: it never blocked waiting for the hour.
      expect(states(harness, 1)).not.toContain('running>blocked');
    },
  },
} satisfies SyscallCases;
