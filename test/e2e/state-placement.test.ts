/**
 * The daemon will not start with aos's state where agents can reach it (issue 27.4): `aos kernel
 * start` says why, naming both paths and the fix, and exits 2 with nothing of aos written there.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('aos kernel start with aos state inside the workspace', () => {
  it.each([
    ['AOS_WORKSPACE=$HOME with the default ~/.aos', (d: string) => ({ HOME: d, AOS_HOME: '', AOS_WORKSPACE: d })],
    [
      'AOS_POLICY inside the workspace',
      (d: string) => ({
        AOS_HOME: path.join(d, 'home'),
        AOS_WORKSPACE: path.join(d, 'ws'),
        AOS_POLICY: path.join(d, 'ws', 'p.yaml'),
      }),
    ],
  ])('refuses %s', async (_what, env) => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-placement-e2e-'));
    const result = await runCli(['kernel', 'start'], { ...env(dir), AOS_NO_AUTOSTART: '' }, { timeoutMs: 20_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/lies inside the workspace/);
    expect(result.stderr).toContain(dir);
    // Nothing of aos was written there, not even its log.
    expect(existsSync(path.join(dir, '.aos'))).toBe(false);
    expect(existsSync(path.join(dir, 'ws', 'p.yaml'))).toBe(false);
  });
});
