/** `.env` in the working directory: loaded by the CLI (and so by the daemon it starts), never over the real environment. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDotEnv } from '../../../sys/host/dotenv.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT } from '../../helpers/cli.js';
import { makeHome, type TestHome } from '../../helpers/daemon.js';

/** The CLI run from another directory: tsx by path, since `--import tsx` resolves against the working directory. */
async function aosIn(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  const tsx = path.join(ROOT, 'node_modules/tsx/dist/loader.mjs');
  return promisify(execFile)(process.execPath, ['--import', tsx, path.join(ROOT, 'cmd/aos.ts'), ...args], {
    cwd,
    env: { ...process.env, ...env },
    timeout: 20_000,
  });
}

let t: TestHome;
let dir = '';
beforeAll(async () => {
  t = await makeHome();
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-dotenv-'));
});
afterAll(async () => {
  await t.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('.env', () => {
  it('sets what the environment lacks and nothing else', async () => {
    await writeFile(path.join(dir, '.env'), 'A_SET=from-file\nB_NEW="new value"\n# comment\n');
    const env: NodeJS.ProcessEnv = { A_SET: 'real' };
    expect(loadDotEnv(dir, env)).toEqual(['B_NEW']);
    expect(env).toEqual({ A_SET: 'real', B_NEW: 'new value' });
    expect(loadDotEnv(path.join(dir, 'none'), env)).toEqual([]);
  });

  it('gives the daemon WORKSPACE_PATH (the seed spelling of AOS_WORKSPACE) from the caller directory', async () => {
    const workspace = path.join(dir, 'ws-from-dotenv');
    await writeFile(path.join(dir, '.env'), `WORKSPACE_PATH=${workspace}\nAOS_HOME=/nowhere\n`);
    // AOS_HOME is in the real environment: the file's value must not replace it.
    const env = { ...t.env, AOS_WORKSPACE: undefined };
    const started = await aosIn(dir, ['kernel', 'start', '--json'], env);
    expect(JSON.parse(started.stdout)).toMatchObject({ workspace, socket: path.join(t.home, 'kernel.sock') });
    const status = await aosIn(dir, ['kernel', 'status', '--json'], env);
    expect(status.stderr).toBe('');
    expect(JSON.parse(status.stdout)).toMatchObject({ workspace });
  });
});
