/** EXEC_CMD's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { findBwrap } from '../../../drivers/exec/index.js';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { ok, type SyscallCases, workspaceFile } from './shared.js';

const bwrap = await findBwrap();
if (!bwrap) console.warn('bwrap not installed: EXEC_CMD happy case checks the ENOSYS error instead');

export default {
  happy: {
    root: [call('EXEC_CMD', { cmd: 'echo made > made.txt && cat made.txt && pwd' }), EXIT],
    verify: async ({ h: harness, subject }) => {
      if (!bwrap) {
        expect(subject).toMatchObject({ ok: false, errno: 'ENOSYS' });
        expect(subject.message).toContain('apt-get install -y bubblewrap');
        return;
      }
      expect(subject.value).toMatchObject({
        stdout: 'made\n/workspace\n',
        exit_code: 0,
        truncated: false,
        timed_out: false,
      });
      expect(await readFile(workspaceFile(harness, 'made.txt'), 'utf8')).toBe('made\n');
    },
  },
  einval: {
    calls: [
      { args: {}, field: 'cmd', kind: 'missing' },
      { args: { cmd: 5 }, field: 'cmd', kind: 'type' },
      { args: { cmd: '' }, field: 'cmd', kind: 'range' },
      { args: { cmd: 'true', timeout_s: 0 }, field: 'timeout_s', kind: 'range' },
      { args: { cmd: 'true', env: {} }, field: 'env', kind: 'unknown' },
    ],
  },
  eperm: {
    needs: 'exec',
    caps: ['fs.read:/**', 'fs.write:/**'],
    root: [call('EXEC_CMD', { cmd: 'echo x > leaked.txt' }), { expect: '"errno":"EPERM"', reply: EXIT }],
    verify: ({ h: harness }) => {
      expect(existsSync(workspaceFile(harness, 'leaked.txt'))).toBe(false);
    },
  },
} satisfies SyscallCases;
