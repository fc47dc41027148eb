/** Trap 1: a daemon with yesterday's settings is reported, and `aos kernel restart` takes today's keeping every process. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHome, type TestHome } from '../helpers/daemon.js';

const BLOCK = '[SYS_CALL::RECV_MSG] {"timeout_s": 300}';
const CLEAN = {
  GEMINI_API_KEY: '',
  GOOGLE_API_KEY: '',
  OPENAI_API_KEY: '',
  OPENAI_BASE_URL: '',
  GEMINI_BASE_URL: '',
  CHROMA_URL: '',
};
const TODAY = { ...CLEAN, OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', GEMINI_API_KEY: 'secret-key-value' };

let t: TestHome;
beforeAll(async () => {
  t = await makeHome();
});
afterAll(async () => {
  await t.dispose();
});

describe('settings drift and aos kernel restart', () => {
  it('says what differs (keys by fingerprint), restarts with the caller settings and keeps the processes', async () => {
    const started = await t.cli(['kernel', 'start', '--json'], { env: CLEAN });
    const { pid: oldPid, workspace } = JSON.parse(started.stdout) as { pid: number; workspace: string };
    expect(workspace).toBe(t.env.AOS_WORKSPACE);
    const model = await t.tape({ root: [BLOCK] });
    const proc = (await t.cli(['spawn', '--model', model, '--detach'], { env: CLEAN })).stdout.trim();
    expect((await t.cli(['ps'], { env: CLEAN })).stderr).toBe('');

    const drifted = await t.cli(['ps', '--json'], { env: TODAY });
    expect(drifted.code).toBe(0);
    expect(drifted.stderr).toContain(`aos: the kernel (pid ${oldPid}) runs with other settings than yours:`);
    expect(drifted.stderr).toContain('OPENAI_BASE_URL: yours "http://127.0.0.1:9/v1", the kernel\'s unset');
    expect(drifted.stderr).toMatch(/GEMINI_API_KEY: yours a key \(sha256:[0-9a-f]{12}\), the kernel's unset/);
    expect(drifted.stderr).not.toContain('secret-key-value');
    expect(drifted.stderr).toContain('aos kernel restart');

    const restart = await t.cli(['kernel', 'restart', '--json'], { env: TODAY, timeoutMs: 40_000 });
    expect(restart.code).toBe(0);
    const after = JSON.parse(restart.stdout) as { old_pid: number; pid: number; processes: number };
    expect(after).toMatchObject({ old_pid: oldPid, processes: 1 });
    expect(after.pid).not.toBe(oldPid);

    const ps = await t.cli(['ps', '--json'], { env: TODAY });
    expect(ps.stderr).toBe('');
    expect(JSON.parse(ps.stdout)).toContainEqual(expect.objectContaining({ pid: Number(proc), state: 'blocked' }));
    await t.cli(['kill', proc], { env: TODAY });
  }, 60_000);

  it('warns when the caller names another workspace, and kernel start prints the workspace', async () => {
    const other = await t.cli(['ps'], { env: { ...TODAY, AOS_WORKSPACE: '/tmp/elsewhere' } });
    expect(other.stderr).toContain(
      `aos: files land in the kernel's workspace ${t.env.AOS_WORKSPACE}, not in yours (/tmp/elsewhere)`,
    );
    const alias = await t.cli(['ps'], { env: { ...TODAY, AOS_WORKSPACE: '', WORKSPACE_PATH: t.env.AOS_WORKSPACE } });
    expect(alias.stderr).toBe('');
    const start = await t.cli(['kernel', 'start'], { env: TODAY });
    expect(start.stdout).toMatch(
      new RegExp(`kernel already running \\(pid \\d+, socket .*, workspace ${t.env.AOS_WORKSPACE}\\)`),
    );
  });
});
