/** SYS_REGISTER_WEBHOOK's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { ALL_CAPS, call, EXIT } from '../../helpers/kernel-harness.js';
import { ok, type SyscallCases } from './shared.js';

export default {
  happy: {
    caps: [...ALL_CAPS, 'webhook'],
    root: [
      [call('SYS_REGISTER_WEBHOOK', { path: 'gh/push' }), call('SYS_REGISTER_WEBHOOK', { path: 'gh/push' })].join('\n'),
      { expect: [ok('SYS_REGISTER_WEBHOOK'), '"webhook_id":1'], reply: EXIT },
    ],
    verify: ({ results }) => {
      expect(results[0]?.value).toEqual({
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/hooks\/[\w-]{32}\/gh\/push$/),
        webhook_id: 1,
      });
      // The same path twice: the same URL.
      expect(results[1]?.value).toEqual(results[0]?.value);
    },
  },
  einval: {
    calls: [
      { args: {}, field: 'path', kind: 'missing' },
      { args: { path: 7 }, field: 'path', kind: 'type' },
      { args: { path: '../x' }, field: 'path', kind: 'range' },
      { args: { path: 'a/../b' }, field: 'path', kind: 'range' },
      { args: { path: 'x', method: 'POST' }, field: 'method', kind: 'unknown' },
    ],
  },
  eperm: {
    needs: 'webhook',
    root: [call('SYS_REGISTER_WEBHOOK', { path: 'x' }), { expect: '"errno":"EPERM"', reply: EXIT }],
    verify: ({ subject }) => {
      expect(subject.value).toBeUndefined();
    },
  },
} satisfies SyscallCases;
