/** THREAD_READ's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { ALL_CAPS, call, EXIT } from '../../helpers/kernel-harness.js';
import { ok, type SyscallCases } from './shared.js';

const CAPS = [...ALL_CAPS, 'thread:client:*'];

export default {
  happy: {
    root: [call('THREAD_READ', { key: 'client:acme', since: 1, limit: 1 }), { expect: ok('THREAD_READ'), reply: EXIT }],
    caps: CAPS,
    setup: async (h) => {
      for (const text of ['one', 'two', 'three']) h.kernel.threads.append('client:acme', { text, pid: 0, unit: null });
    },
    verify: ({ subject }) => {
      expect(subject.value).toEqual({
        key: 'client:acme',
        entries: [expect.objectContaining({ seq: 2, text: 'two', kind: 'note' })],
        last_seq: 3,
        next_since: 2,
      });
    },
  },
  einval: {
    calls: [
      { args: {}, field: 'key', kind: 'missing' },
      { args: { key: 'client:acme', since: -1 }, field: 'since', kind: 'type' },
      { args: { key: 'client:acme', limit: 0 }, field: 'limit', kind: 'range' },
      { args: { key: 'client:acme', query: '' }, field: 'query', kind: 'range' },
      { args: { key: 'client:acme', offset: 3 }, field: 'offset', kind: 'unknown' },
    ],
  },
  eperm: {
    root: [call('THREAD_READ', { key: 'client:acme' }), EXIT],
    caps: [...ALL_CAPS, 'thread:client:beta'],
    needs: 'thread:client:acme',
    setup: async (h) => {
      h.kernel.threads.append('client:acme', { text: 'private', pid: 0, unit: null });
    },
    verify: ({ subject }) => {
      expect(JSON.stringify(subject)).not.toContain('private');
    },
  },
} satisfies SyscallCases;
