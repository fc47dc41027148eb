import { spawnSync } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { announceSkip, makeTempDir, removeDir, runIn, TEST_LIMITS } from './exec-helpers.js';

const bwrap = await findBwrap();
announceSkip(bwrap);

describe.skipIf(!bwrap)('runSandboxed limits', () => {
  let workspace = '';
  beforeAll(async () => {
    workspace = await makeTempDir('aos-exec-limits-');
  });
  afterAll(async () => {
    await removeDir(workspace);
  });

  it('caps the number of processes', async () => {
    // Only builtins run after the spawning starts, so the count itself cannot be refused a fork.
    const cmd =
      'sleep 1 & s=$!; ( for i in {1..80}; do sleep 5 & done ) 2>/dev/null & wait $s; ' +
      'n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo $n';
    const result = await runIn(workspace, cmd, { maxProcesses: 16 });
    const count = Number(result.stdout.trim());
    expect(count).toBeGreaterThan(8);
    expect(count).toBeLessThanOrEqual(16 + 1);
  });

  it('contains a fork bomb within the wall timeout and keeps the host responsive', async () => {
    let ticks = 0;
    const ticker = setInterval(() => {
      ticks += 1;
    }, 50);
    try {
      const result = await runIn(workspace, ':(){ :|:& };:; sleep 10', { wallTimeoutMs: 3000, maxProcesses: 32 });
      expect(result.duration_ms).toBeLessThan(5000);
    } finally {
      clearInterval(ticker);
    }
    expect(ticks).toBeGreaterThan(20);
    expect(spawnSync('true').status).toBe(0);
  });

  it('truncates an output flood and stops it quickly', async () => {
    const result = await runIn(workspace, 'yes', { wallTimeoutMs: 10_000 });
    expect(result.truncated).toBe(true);
    expect(result.timed_out).toBe(false);
    expect(result.stdout.length).toBe(TEST_LIMITS.maxOutputBytes);
    expect(result.duration_ms).toBeLessThan(3000);
  });

  it('truncates a flood on stderr and binary floods too', async () => {
    const result = await runIn(workspace, 'cat /dev/zero >&2', { wallTimeoutMs: 10_000 });
    expect(result).toMatchObject({ truncated: true, timed_out: false, stdout: '' });
    expect(result.stderr.length).toBe(TEST_LIMITS.maxOutputBytes);
  });

  it('lets a command that overshoots the cap a little finish normally', async () => {
    const result = await runIn(workspace, 'head -c 100000 /dev/zero | tr "\\0" a; echo done >&2');
    expect(result).toMatchObject({ truncated: true, exit_code: 0, stderr: 'done\n' });
    expect(result.stdout).toBe('a'.repeat(TEST_LIMITS.maxOutputBytes));
  });

  it('limits file size', async () => {
    const result = await runIn(workspace, 'head -c 100M /dev/zero > big', { maxFileBytes: 1024 * 1024 });
    expect(result.signal).toBe('SIGXFSZ');
    expect((await stat(path.join(workspace, 'big'))).size).toBeLessThanOrEqual(1024 * 1024);
  });

  it('sizes the scratch tmpfs', async () => {
    const cmd = 'for i in 1 2 3; do head -c 900K /dev/zero > /tmp/f$i || exit 9; done';
    const result = await runIn(workspace, cmd, { maxFileBytes: 1024 * 1024 });
    expect(result.exit_code).toBe(9);
    expect(result.stderr).toContain('No space left on device');
  });

  it('limits CPU time', async () => {
    // No wall-clock bound on how soon: on a loaded machine 1 s of CPU takes longer than 1 s. The
    // wall timeout is far away, so a kill that is not a timeout is the CPU limit's.
    const result = await runIn(workspace, 'while :; do :; done', { cpuSeconds: 1, wallTimeoutMs: 60_000 });
    expect(result.timed_out).toBe(false);
    expect(['SIGXCPU', 'SIGKILL']).toContain(result.signal);
  });

  it('limits memory', async () => {
    const cmd = 'x=$(head -c 200M /dev/zero | tr "\\0" a); echo ${#x}';
    const result = await runIn(workspace, cmd, { maxMemoryBytes: 64 * 1024 * 1024 });
    expect(result.exit_code).not.toBe(0);
    expect(result.stdout).not.toContain('209715200');
    expect(result.stderr).toMatch(/cannot allocate/);
  });

  it('limits open files', async () => {
    const cmd = 'for i in {1..100}; do exec {fd}</dev/null || exit 7; done';
    const result = await runIn(workspace, cmd, { maxOpenFiles: 32 });
    expect(result.exit_code).toBe(7);
    expect(result.stderr).toContain('Too many open files');
  });
});
