/** FS_LIST's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { ok, seed, type SyscallCases } from './shared.js';

export default {
  happy: {
    setup: (harness) => seed(harness, { 'a.txt': 'hello', 'd/b.txt': 'b' }),
    root: [
      `${call('FS_LIST')}\n${call('FS_LIST', { path: 'd' })}`,
      { expect: [ok('FS_LIST'), '"name":"b.txt"'], reply: EXIT },
    ],
    verify: ({ results }) => {
      expect(results[0]?.value).toEqual({
        path: '/',
        entries: [
          { name: 'a.txt', type: 'file', size: 5 },
          { name: 'd', type: 'dir', size: 0 },
        ],
        truncated: false,
      });
      expect(results[1]?.value).toEqual({
        path: '/d',
        entries: [{ name: 'b.txt', type: 'file', size: 1 }],
        truncated: false,
      });
    },
  },
  einval: {
    calls: [
      { args: { path: 5 }, field: 'path', kind: 'type' },
      { args: { path: '/', recursive: true }, field: 'recursive', kind: 'unknown' },
      { args: { dir: '/' }, field: 'dir', kind: 'unknown' },
    ],
  },
  eperm: {
    needs: 'fs.read:/',
    caps: ['fs.write:/**'],
    setup: (harness) => seed(harness, { 'hidden-name.txt': 'x' }),
    root: [call('FS_LIST'), { expect: '"errno":"EPERM"', reply: EXIT }],
    verify: ({ h: harness, subject }) => {
      expect(subject.value).toBeUndefined();
      expect(JSON.stringify(harness.events)).not.toContain('hidden-name');
    },
  },
} satisfies SyscallCases;
