/** `aos rm`, `aos prune` and AOS_RETENTION through the real CLI and daemon. */
import { afterEach, describe, expect, it } from 'vitest';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { psDirect } from '../helpers/kernel-probe.js';

const call = (name: string, args: Record<string, unknown> = {}): string =>
  `[SYS_CALL::${name}] ${JSON.stringify(args)}`;

let t: TestHome | null = null;
afterEach(async () => {
  await t?.dispose();
  t = null;
});

async function spawn(home: TestHome, model: string, name: string, attached = true): Promise<number> {
  const run = await home.cli([
    'spawn',
    't',
    '--model',
    model,
    '--name',
    name,
    '--json',
    ...(attached ? [] : ['--detach']),
  ]);
  if (!attached) return (JSON.parse(run.stdout) as { pid: number }).pid;
  const first = JSON.parse(run.stdout.split('\n')[0] ?? '{}') as { pid: number };
  return first.pid;
}

describe('removing ended processes', () => {
  it('rm removes an ended tree with its history, refuses a running one; prune keeps what is running', async () => {
    t = await makeHome();
    const model = await t.tape({
      parent: [call('SPAWN_AGENT', { role: 'kid' }), call('WAIT', { timeout_s: 10 }), call('SYS_EXIT', { code: 0 })],
      kid: [call('SYS_EXIT', { code: 0 })],
      other: [call('SYS_EXIT', { code: 3 })],
      sleeper: [call('SLEEP', { seconds: 60 })],
    });
    const parent = await spawn(t, model, 'parent');
    const other = await spawn(t, model, 'other');
    const sleeper = await spawn(t, model, 'sleeper', false);
    expect((await psDirect(t.home, true)).map((r) => r.pid)).toEqual([parent, parent + 1, other, sleeper]);

    const busy = await t.cli(['rm', String(sleeper)]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain(`process ${sleeper} is still running: stop it first (aos kill ${sleeper})`);

    const rm = await t.cli(['rm', String(parent), '--json']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(JSON.parse(rm.stdout)).toEqual({ removed: [parent, parent + 1] });
    expect((await psDirect(t.home, true)).map((r) => r.pid)).toEqual([other, sleeper]);
    const logs = await t.cli(['logs', String(parent)]);
    expect(logs.code).toBe(1);
    expect(logs.stderr).toContain(`no such process ${parent}`);
    const again = await t.cli(['rm', String(parent)]);
    expect(again.code).toBe(1);

    expect((await t.cli(['prune', '--older-than', '1h'])).stdout).toBe('pruned 0 ended processes\n');
    const bad = await t.cli(['prune', '--older-than', 'soon']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--older-than must be a duration like 90s, 30m, 12h, 7d or 2w (got "soon")');
    // aos wait: the exit code, printed and returned, like docker wait; --timeout gives up with 124.
    expect(await t.cli(['wait', String(other)])).toMatchObject({ code: 3, stdout: '3\n' });
    expect(await t.cli(['wait', String(sleeper), '--timeout', '1s'])).toMatchObject({
      code: 124,
      stdout: `${sleeper} still sleeping\n`,
    });
    expect((await t.cli(['wait', '9999'])).stderr).toContain('no such process 9999');

    // One shape for rm --json and prune --json: the pids removed.
    const prune = await t.cli(['prune', '--json']);
    expect(JSON.parse(prune.stdout)).toEqual({ removed: [other] });
    expect((await psDirect(t.home, true)).map((r) => r.pid)).toEqual([sleeper]);
    const status = JSON.parse((await t.cli(['kernel', 'status', '--json'])).stdout) as {
      processes: Record<string, number>;
    };
    expect(status.processes).toMatchObject({ exited: 0, sleeping: 1 });

    // rm -f: what still runs is killed and waited for, then removed.
    const forced = await t.cli(['rm', '-f', String(sleeper), '--json']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toEqual({ removed: [sleeper] });
    expect(await psDirect(t.home, true)).toEqual([]);
  }, 60_000);

  it('AOS_RETENTION prunes ended processes past it when the kernel starts', async () => {
    t = await makeHome();
    const model = await t.tape({ root: [call('SYS_EXIT', { code: 0 })] });
    await spawn(t, model, 'root');
    await t.cli(['kernel', 'stop']);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const start = await t.cli(['kernel', 'start'], { env: { AOS_RETENTION: '1s' } });
    expect(start.code, start.stderr).toBe(0);
    const deadline = Date.now() + 10_000;
    while ((await psDirect(t.home, true)).length > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await psDirect(t.home, true)).toEqual([]);
  }, 60_000);
});
