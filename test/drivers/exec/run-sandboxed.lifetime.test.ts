import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AosError } from '../../../sys/errno.js';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { announceSkip, makeTempDir, removeDir, runIn } from './exec-helpers.js';

const bwrap = await findBwrap();
announceSkip(bwrap);

describe.skipIf(!bwrap)('runSandboxed lifetime', () => {
  let workspace = '';
  beforeAll(async () => {
    workspace = await makeTempDir('aos-exec-life-');
  });
  afterAll(async () => {
    await removeDir(workspace);
  });

  it('kills the whole tree on timeout, even a child holding the pipes', async () => {
    const result = await runIn(workspace, 'echo before; sleep 30 & wait', { wallTimeoutMs: 1500 });
    expect(result).toMatchObject({ stdout: 'before\n', timed_out: true, exit_code: null, signal: 'SIGKILL' });
    expect(result.duration_ms).toBeGreaterThanOrEqual(1400);
    expect(result.duration_ms).toBeLessThan(3500);
  });

  it('does not let background processes outlive the call', async () => {
    const late = (name: string): string => `sh -c 'sleep 2; echo late > /workspace/${name}'`;
    const cmd = [
      `(${late('marker-disown')}) & disown`,
      `setsid ${late('marker-setsid')} &`,
      `nohup ${late('marker-nohup')} >/dev/null 2>&1 &`,
      '(sleep 0.2; echo ok > /workspace/marker-control) & wait $!',
      'echo started',
    ].join('\n');
    const result = await runIn(workspace, cmd);
    expect(result).toMatchObject({ stdout: 'started\n', exit_code: 0 });
    expect(result.duration_ms).toBeLessThan(1500);
    await sleep(3000);
    expect(existsSync(path.join(workspace, 'marker-control'))).toBe(true);
    for (const name of ['marker-disown', 'marker-setsid', 'marker-nohup']) {
      expect(existsSync(path.join(workspace, name))).toBe(false);
    }
  });

  it('stops the command when the abort signal fires', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    const error: unknown = await runIn(workspace, 'sleep 30 & wait', {}, controller.signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AosError);
    expect((error as AosError).code).toBe('EINTR');
    // Ended by the abort (EINTR), not by `sleep 30` (past the test's timeout); not timed by the clock.
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('does not start when the signal is already aborted', async () => {
    const error: unknown = await runIn(workspace, 'touch started', {}, AbortSignal.abort()).catch((e: unknown) => e);
    expect((error as AosError).code).toBe('EINTR');
    expect(existsSync(path.join(workspace, 'started'))).toBe(false);
  });
});
