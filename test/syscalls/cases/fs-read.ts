/** FS_READ's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { ok, seed, type SyscallCases } from './shared.js';

export default {
  happy: {
    setup: (harness) => seed(harness, { 'a.txt': 'hello' }),
    root: [
      `${call('FS_READ', { path: 'a.txt' })}\n${call('FS_READ', { path: '/a.txt', offset: 1, length: 2 })}`,
      { expect: [ok('FS_READ'), '"content":"hello"', '"content":"el"'], reply: EXIT },
    ],
    verify: ({ results }) => {
      expect(results[0]?.value).toEqual({
        path: '/a.txt',
        content: 'hello',
        encoding: 'utf8',
        size: 5,
        offset: 0,
        bytes: 5,
        truncated: false,
      });
      expect(results[1]?.value).toEqual({
        path: '/a.txt',
        content: 'el',
        encoding: 'utf8',
        size: 5,
        offset: 1,
        bytes: 2,
        truncated: true,
      });
    },
  },
  einval: {
    calls: [
      { args: {}, field: 'path', kind: 'missing' },
      { args: { path: 7 }, field: 'path', kind: 'type' },
      { args: { path: '' }, field: 'path', kind: 'range' },
      { args: { path: 'a.txt', length: 0 }, field: 'length', kind: 'range' },
      { args: { path: 'a.txt', offset: -1 }, field: 'offset', kind: 'range' },
      { args: { path: 'a.txt', encoding: 'utf8' }, field: 'encoding', kind: 'unknown' },
      { args: { path: 'a\u0000b.txt' }, field: 'path', kind: 'value' },
    ],
  },
  eperm: {
    needs: 'fs.read:/secret/key.txt',
    caps: ['fs.read:/pub/**', 'fs.write:/**'],
    setup: (harness) => seed(harness, { 'secret/key.txt': 'TOP SECRET', 'pub/ok.txt': 'fine' }),
    root: [
      call('FS_READ', { path: 'secret/key.txt' }),
      { expect: '"errno":"EPERM"', reply: call('FS_READ', { path: 'pub/ok.txt' }) },
      { expect: '"content":"fine"', reply: EXIT },
    ],
    verify: ({ h: harness, subject }) => {
      expect(subject.value).toBeUndefined();
      // The secret reached neither a result nor any prompt the model saw.
      expect(JSON.stringify(harness.events)).not.toContain('TOP SECRET');
    },
  },
} satisfies SyscallCases;
