/** THREAD_OPEN's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { ALL_CAPS, call, EXIT } from '../../helpers/kernel-harness.js';
import { ok, type SyscallCases } from './shared.js';

const CAPS = [...ALL_CAPS, 'thread:client:*'];

export default {
  happy: {
    root: [
      call('THREAD_OPEN', { key: 'client:acme' }),
      { expect: [ok('THREAD_OPEN'), '"text":"net 30"'], reply: EXIT },
    ],
    caps: CAPS,
    setup: async (h) => {
      h.kernel.threads.append('client:acme', { text: 'net 30', kind: 'decision', pid: 0, unit: null });
    },
    verify: ({ subject }) => {
      expect(subject.value).toEqual({
        key: 'client:acme',
        created: false,
        entries: 1,
        summary: '',
        summary_through: 0,
        recent: [expect.objectContaining({ seq: 1, pid: 0, unit: null, kind: 'decision', text: 'net 30' })],
        last_seq: 1,
      });
    },
  },
  einval: {
    calls: [
      { args: {}, field: 'key', kind: 'missing' },
      { args: { key: 7 }, field: 'key', kind: 'type' },
      { args: { key: 'Client:Acme' }, field: 'key', kind: 'range' },
      { args: { key: 'client:acme', create: 'yes' }, field: 'create', kind: 'type' },
      { args: { key: 'client:acme', mode: 'w' }, field: 'mode', kind: 'unknown' },
    ],
    nothingHappened: ({ h }) => {
      expect(h.kernel.threads.list('')).toEqual([]);
    },
  },
  eperm: {
    root: [call('THREAD_OPEN', { key: 'client:acme', create: true }), EXIT],
    caps: [...ALL_CAPS, 'thread:client:beta'],
    needs: 'thread:client:acme',
    verify: ({ h }) => {
      expect(h.kernel.threads.get('client:acme')).toBeUndefined();
    },
  },
} satisfies SyscallCases;
