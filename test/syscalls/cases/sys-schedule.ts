/** SYS_SCHEDULE's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { ok, type SyscallCases } from './shared.js';

export default {
  happy: {
    root: [
      call('SYS_SCHEDULE', { seconds: 60, prompt: 'tick', repeat: true }),
      { expect: [ok('SYS_SCHEDULE'), '"timer_id":"t1"'], reply: EXIT },
    ],
    verify: async ({ h: harness, subject, probes }) => {
      expect(subject.value).toEqual({ timer_id: 't1' });
      expect(probes[0]?.timers).toBe(1);
      // Exiting cancels the process's timers, in memory and in the store.
      expect(harness.kernel.proc(1)?.queues.timers.size ?? 0).toBe(0);
      harness.kernel.store.flush();
      expect((await harness.kernel.store.mail.timers()).filter((t) => t.pid === 1)).toEqual([]);
    },
  },
  einval: {
    calls: [
      { args: { prompt: 'x' }, field: 'seconds', kind: 'missing' },
      { args: { seconds: 0.5, prompt: 'x' }, field: 'seconds', kind: 'range' },
      { args: { seconds: 1 }, field: 'prompt', kind: 'missing' },
      { args: { seconds: 1, prompt: '' }, field: 'prompt', kind: 'range' },
      { args: { seconds: 1, prompt: 'x', repeat: 'yes' }, field: 'repeat', kind: 'type' },
      { args: { seconds: 1, prompt: 'x', cron: '* * * * *' }, field: 'cron', kind: 'unknown' },
    ],
    nothingHappened: ({ probes }) => {
      expect(probes.every((p) => p.timers === 0)).toBe(true);
    },
  },
  eperm: {
    needs: 'timer',
    caps: ['fs.read:/**'],
    root: [call('SYS_SCHEDULE', { seconds: 1, prompt: 'tick' }), { expect: '"errno":"EPERM"', reply: EXIT }],
    verify: ({ probes }) => {
      expect(probes[0]?.timers).toBe(0);
    },
  },
} satisfies SyscallCases;
