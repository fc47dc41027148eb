/** SEND_MSG's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { msgEvents, ok, type SyscallCases } from './shared.js';

export default {
  happy: {
    root: [
      call('SPAWN_AGENT', { role: 'worker' }),
      call('SEND_MSG', { to_pid: 2, content: 'hello worker' }),
      { expect: ok('SEND_MSG'), reply: call('WAIT', { pid: 2, timeout_s: 5 }) },
      { expect: '"output":"got hello worker"', reply: EXIT },
    ],
    agents: {
      worker: [
        call('RECV_MSG', { timeout_s: 5 }),
        {
          expect: ['"from_pid":1', '"content":"hello worker"'],
          reply: call('SYS_EXIT', { result: 'got hello worker' }),
        },
      ],
    },
    verify: ({ h: harness, subject }) => {
      expect(subject.value).toEqual({ ok: true });
      expect(msgEvents(harness).filter((e) => e.channel === 'msg')).toMatchObject([
        { from_pid: 1, to_pid: 2, content: 'hello worker' },
      ]);
    },
  },
  einval: {
    calls: [
      { args: { to_pid: 1 }, field: 'content', kind: 'missing' },
      { args: { content: 'x' }, field: 'to_pid', kind: 'missing' },
      { args: { to_pid: '1', content: 'x' }, field: 'to_pid', kind: 'type' },
      { args: { to_pid: 0, content: 'x' }, field: 'to_pid', kind: 'range' },
      { args: { to_pid: 1, content: { text: 'x' } }, field: 'content', kind: 'type' },
      { args: { to_pid: 1, content: 'x', urgent: true }, field: 'urgent', kind: 'unknown' },
    ],
    nothingHappened: ({ h: harness, probes }) => {
      expect(msgEvents(harness)).toEqual([]);
      expect(probes.every((p) => p.mailbox === 0)).toBe(true);
    },
  },
  eperm: {
    needs: 'ipc',
    caps: ['spawn'],
    root: [
      call('SPAWN_AGENT', { role: 'worker' }),
      call('SEND_MSG', { to_pid: 2, content: 'should not arrive' }),
      { expect: '"errno":"EPERM"', reply: call('WAIT', { pid: 2, timeout_s: 5 }) },
      EXIT,
    ],
    agents: { worker: [call('SLEEP', { seconds: 0.1 }), EXIT] },
    verify: async ({ h: harness }) => {
      harness.kernel.store.flush();
      expect((await harness.kernel.store.mail.messages()).filter((m) => m.to_pid === 2)).toEqual([]);
      expect(msgEvents(harness)).toEqual([]);
      expect(
        harness
          .eventsOf(2, 'prompt')
          .map((e) => (e.type === 'prompt' ? e.text : ''))
          .join('\n'),
      ).not.toContain('should not arrive');
    },
  },
} satisfies SyscallCases;
