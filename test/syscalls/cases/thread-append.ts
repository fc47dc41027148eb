/** THREAD_APPEND's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { ALL_CAPS, call, EXIT } from '../../helpers/kernel-harness.js';
import { ok, type SyscallCases } from './shared.js';

export default {
  happy: {
    root: [
      call('THREAD_APPEND', { key: 'client:acme', text: 'signed', kind: 'decision' }),
      { expect: ok('THREAD_APPEND'), reply: EXIT },
    ],
    caps: [...ALL_CAPS, 'thread:client:*'],
    verify: async ({ h, pcb, subject }) => {
      expect(subject.value).toEqual({ key: 'client:acme', seq: 1, created: true });
      expect((await h.kernel.threads.open('client:acme')).recent).toEqual([
        expect.objectContaining({ seq: 1, pid: pcb.pid, kind: 'decision', text: 'signed' }),
      ]);
    },
  },
  einval: {
    calls: [
      { args: { key: 'client:acme' }, field: 'text', kind: 'missing' },
      { args: { key: 'client:acme', text: 5 }, field: 'text', kind: 'type' },
      { args: { key: 'client:acme', text: '' }, field: 'text', kind: 'range' },
      { args: { key: 'client:acme', text: 'x', kind: 'rumour' }, field: 'kind', kind: 'range' },
      { args: { key: 'client::acme', text: 'x' }, field: 'key', kind: 'range' },
      { args: { key: 'client:acme', text: 'x', ts: 1 }, field: 'ts', kind: 'unknown' },
    ],
    nothingHappened: ({ h }) => {
      expect(h.kernel.threads.list('')).toEqual([]);
    },
  },
  eperm: {
    root: [call('THREAD_APPEND', { key: 'client:acme', text: 'x' }), EXIT],
    caps: [...ALL_CAPS, 'thread:client:beta'],
    needs: 'thread:client:acme',
    verify: ({ h }) => {
      expect(h.kernel.threads.get('client:acme')).toBeUndefined();
    },
  },
} satisfies SyscallCases;
