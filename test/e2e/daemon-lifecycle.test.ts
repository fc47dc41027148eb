import { spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../sys/host/pid-file.js';
import { ROOT } from '../helpers/cli.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';

let t: TestHome | null = null;
afterEach(async () => {
  await t?.dispose();
  t = null;
});

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

describe('aos kernel start|stop|status', () => {
  it('status says "kernel not running" (exit 2); start, status --json, stop waits until it is gone', async () => {
    t = await makeHome();
    const down = await t.cli(['kernel', 'status']);
    expect(down.code).toBe(2);
    expect(down.stderr).toContain('kernel not running');
    // --json answers in JSON even then, with the same exit code.
    const downJson = await t.cli(['kernel', 'status', '--json']);
    expect(downJson.code).toBe(2);
    expect(JSON.parse(downJson.stdout)).toEqual({
      running: false,
      home: t.home,
      socket: path.join(t.home, 'kernel.sock'),
      workspace: t.env.AOS_WORKSPACE,
    });
    expect(await exists(path.join(t.home, 'kernel.sock'))).toBe(false);

    const start = await t.cli(['kernel', 'start', '--json']);
    expect(start.code).toBe(0);
    const started = JSON.parse(start.stdout) as { pid: number; socket: string; started: boolean };
    expect(started).toEqual({
      pid: expect.any(Number),
      socket: path.join(t.home, 'kernel.sock'),
      workspace: t.env.AOS_WORKSPACE,
      started: true,
    });
    expect((await stat(started.socket)).mode & 0o777).toBe(0o600);
    expect(await t.daemonPid()).toBe(started.pid);

    const again = await t.cli(['kernel', 'start']);
    expect(again.stdout).toContain(`kernel already running (pid ${started.pid}`);

    const status = await t.cli(['kernel', 'status', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({
      pid: started.pid,
      socket: started.socket,
      home: t.home,
      version: expect.any(String),
      uptime_s: expect.any(Number),
      processes: { ready: 0, running: 0, blocked: 0, sleeping: 0, exited: 0, killed: 0 },
    });
    expect((await t.cli(['kernel', 'status'])).stdout).toMatch(/^kernel +running, pid \d+/);

    const stop = await t.cli(['kernel', 'stop']);
    expect(stop).toMatchObject({ code: 0, stdout: `kernel stopped (pid ${started.pid})\n` });
    expect(isAlive(started.pid)).toBe(false);
    expect(await exists(started.socket)).toBe(false);
    expect(await exists(path.join(t.home, 'kernel.pid'))).toBe(false);
    expect(await readFile(path.join(t.home, 'kernel.log'), 'utf8')).toMatch(/"msg":"stopped"/);
    expect((await t.cli(['kernel', 'stop'])).stdout).toBe('kernel not running\n');

    // Any other verb starts it again on demand.
    const ps = await t.cli(['ps', '--json']);
    expect(ps).toMatchObject({ code: 0, stdout: '[]\n', stderr: '' });
    expect(await t.daemonPid()).not.toBe(started.pid);
  });

  it('a SIGKILLed kernel leaves a stale socket: exit 2 without auto-start, recovery with it', async () => {
    t = await makeHome();
    expect((await t.cli(['kernel', 'start'])).code).toBe(0);
    const pid = (await t.daemonPid()) as number;
    process.kill(pid, 'SIGKILL');
    while (isAlive(pid)) await new Promise((r) => setTimeout(r, 20));
    expect((await stat(path.join(t.home, 'kernel.sock'))).isSocket()).toBe(true);

    const refused = await t.cli(['ps'], { env: { AOS_NO_AUTOSTART: '1' } });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `aos: cannot reach the kernel at ${path.join(t.home, 'kernel.sock')}: no kernel is listening (stale socket). Start it with "aos kernel start" or see ${path.join(t.home, 'kernel.log')}\n`,
    );

    const recovered = await t.cli(['ps']);
    expect(recovered.code).toBe(0);
    expect(recovered.stdout).toMatch(/^PID +PPID +NAME/);
    const fresh = await t.daemonPid();
    expect(fresh).not.toBe(pid);
    expect(isAlive(fresh as number)).toBe(true);
  });

  it('a bad policy stops the start with its message, in the CLI and in the log', async () => {
    t = await makeHome();
    await writeFile(path.join(t.home, 'policy.yaml'), 'version: 1\nroot:\n  capabilities: [fs.read:/**, teleport]\n');
    const run = await t.cli(['spawn', 'x', '--model', 'replay:examples/hello-loop.yaml']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^aos: the kernel failed to start: policy .*policy\.yaml: unknown capability "teleport"/,
    );
    expect(run.stderr).toContain(path.join(t.home, 'kernel.log'));
    expect(await readFile(path.join(t.home, 'kernel.log'), 'utf8')).toContain('unknown capability \\"teleport\\"');
    expect(await exists(path.join(t.home, 'kernel.pid'))).toBe(false);
    const missing = await t.cli(['kernel', 'start'], { env: { AOS_POLICY: path.join(t.home, 'nope.yaml') } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read the policy');
  });

  it('a second daemon on the same AOS_HOME backs off, without loading the kernel, and leaves the first one serving', async () => {
    t = await makeHome();
    const first = JSON.parse((await t.cli(['kernel', 'start', '--json'])).stdout) as { pid: number };
    const trace = path.join(t.home, 'imports.txt');
    const second = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        path.join(ROOT, 'test/helpers/trace-imports.mjs'),
        path.join(ROOT, 'daemon/aosd.ts'),
      ],
      {
        cwd: ROOT,
        env: { ...process.env, ...t.env, AOS_TRACE_IMPORTS: trace },
        stdio: 'ignore',
      },
    );
    const code = await new Promise((resolve) => second.on('close', resolve));
    expect(code).toBe(0);
    expect(await t.daemonPid()).toBe(first.pid);
    expect(await readFile(path.join(t.home, 'kernel.log'), 'utf8')).toContain(`kernel pid ${first.pid} already holds`);
    // Twenty CLIs racing to start one home launch twenty daemons: the nineteen that lose cost node's
    // start, not the kernel's (~0.8 s of CPU each, which starved every other start on the machine).
    const loaded = (await readFile(trace, 'utf8')).split('\n');
    expect(loaded.some((url) => url.endsWith('/daemon/aosd.ts'))).toBe(true);
    expect(loaded.filter((url) => /\/(kernel\/kernel|daemon\/aosd-run|drivers\/exec\/index)\.ts$/.test(url))).toEqual(
      [],
    );
    expect((await t.cli(['kernel', 'status', '--json'], { env: { AOS_NO_AUTOSTART: '1' } })).code).toBe(0);
  });
});

describe('processes across a kernel restart', () => {
  it('a blocked process survives aos kernel stop and finishes under the next kernel', async () => {
    t = await makeHome();
    const model = await t.tape({
      root: [
        '[SYS_CALL::SYS_READ_STDIN] {"timeout_s": 60}',
        { expect: 'after the restart', reply: '[SYS_CALL::SYS_EXIT] {"code": 9}' },
      ],
    });
    const pid = (await t.cli(['spawn', '--model', model, '--detach'])).stdout.trim();
    const before = await t.daemonPid();
    await t.cli(['logs', pid, '--tail', '1']);
    expect((await t.cli(['kernel', 'stop'])).code).toBe(0);
    const rows = JSON.parse((await t.cli(['ps', '--json'])).stdout) as Array<{ pid: number; state: string }>;
    expect(await t.daemonPid()).not.toBe(before);
    expect(rows.find((r) => String(r.pid) === pid)?.state).toMatch(/blocked|ready|running/);
    expect((await t.cli(['send', pid, 'after the restart'])).code).toBe(0);
    const logs = await t.cli(['logs', '-f', pid, '--json', '--tail', '1']);
    expect(logs.stdout).toMatch(/"to":"exited".*"code":9/);
  });
});
