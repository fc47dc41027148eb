import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { announceSkip, makeTempDir, removeDir, runIn } from './exec-helpers.js';

const bwrap = await findBwrap();
announceSkip(bwrap);

describe.skipIf(!bwrap)('runSandboxed basics', () => {
  let workspace = '';
  beforeAll(async () => {
    workspace = await makeTempDir('aos-exec-basics-');
  });
  afterAll(async () => {
    await removeDir(workspace);
  });

  it('returns stdout, stderr and the exit code', async () => {
    const result = await runIn(workspace, 'echo hello; echo oops >&2; exit 3');
    expect(result).toMatchObject({ stdout: 'hello\n', stderr: 'oops\n', exit_code: 3, signal: null });
    expect(result).toMatchObject({ truncated: false, timed_out: false });
    expect(result.duration_ms).toBeGreaterThanOrEqual(0);
  });

  it('reports a command killed by a signal as a signal, not an exit code', async () => {
    const result = await runIn(workspace, 'kill -SEGV $$');
    expect(result).toMatchObject({ exit_code: null, signal: 'SIGSEGV' });
  });

  it('runs in /workspace as an unprivileged user with a minimal environment', async () => {
    const result = await runIn(workspace, 'pwd; id -u; whoami; echo "$HOME|$PATH|$LANG|$TERM"');
    expect(result.stdout).toBe('/workspace\n65534\nagent\n/workspace|/usr/local/bin:/usr/bin:/bin|C.UTF-8|dumb\n');
  });

  it('writes files in /workspace that the host sees, and reads host-written ones', async () => {
    await writeFile(path.join(workspace, 'from-host.txt'), 'host data\n');
    const result = await runIn(
      workspace,
      'cat from-host.txt; mkdir -p sub && echo sandbox data > sub/out.txt && echo more >> from-host.txt',
    );
    expect(result).toMatchObject({ stdout: 'host data\n', exit_code: 0 });
    expect(await readFile(path.join(workspace, 'sub', 'out.txt'), 'utf8')).toBe('sandbox data\n');
    expect(await readFile(path.join(workspace, 'from-host.txt'), 'utf8')).toBe('host data\nmore\n');
  });

  it('passes no host environment variable, not even through /proc/1/environ', async () => {
    process.env.AOS_TEST_SECRET = 'canary';
    try {
      const result = await runIn(workspace, 'env; cat /proc/*/environ 2>/dev/null | tr "\\0" "\\n"');
      expect(result.exit_code).toBe(0);
      expect(result.stdout).not.toContain('AOS_TEST_SECRET');
      expect(result.stdout).not.toContain('canary');
      expect(result.stdout).toContain('HOME=/workspace');
    } finally {
      delete process.env.AOS_TEST_SECRET;
    }
  });

  it('decodes output as UTF-8', async () => {
    const result = await runIn(workspace, "printf 'h\\303\\251llo \\342\\234\\223\\n'");
    expect(result.stdout).toBe('héllo ✓\n');
  });
});
