/** FS_WRITE's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { ok, type SyscallCases, workspaceFile } from './shared.js';

export default {
  happy: {
    root: [
      `${call('FS_WRITE', { path: 'out/a.txt', content: 'hi' })}\n${call('FS_WRITE', { path: '/out/a.txt', content: ' there', append: true })}`,
      { expect: [ok('FS_WRITE'), '"bytes":2', '"bytes":6'], reply: EXIT },
    ],
    verify: async ({ h: harness, results }) => {
      expect(results[0]?.value).toEqual({ path: '/out/a.txt', bytes: 2 });
      expect(results[1]?.value).toEqual({ path: '/out/a.txt', bytes: 6 });
      expect(await readFile(workspaceFile(harness, 'out/a.txt'), 'utf8')).toBe('hi there');
    },
  },
  einval: {
    calls: [
      { args: { content: 'x' }, field: 'path', kind: 'missing' },
      { args: { path: 'w.txt' }, field: 'content', kind: 'missing' },
      { args: { path: 'w.txt', content: 5 }, field: 'content', kind: 'type' },
      { args: { path: 'w.txt', content: 'x', append: 'yes' }, field: 'append', kind: 'type' },
      { args: { path: 'w.txt', content: 'x', mode: 420 }, field: 'mode', kind: 'unknown' },
    ],
    nothingHappened: ({ h: harness }) => {
      expect(existsSync(workspaceFile(harness, 'w.txt'))).toBe(false);
    },
  },
  eperm: {
    needs: 'fs.write:/x.txt',
    caps: ['fs.read:/**', 'fs.write:/out/**'],
    root: [call('FS_WRITE', { path: 'x.txt', content: 'nope' }), { expect: '"errno":"EPERM"', reply: EXIT }],
    verify: ({ h: harness }) => {
      expect(existsSync(workspaceFile(harness, 'x.txt'))).toBe(false);
    },
  },
} satisfies SyscallCases;
