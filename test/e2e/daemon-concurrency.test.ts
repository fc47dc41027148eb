import { afterEach, describe, expect, it } from 'vitest';
import { jsonLines } from '../helpers/cli.js';
import { makeHome, startCli, type TestHome } from '../helpers/daemon.js';

const READ = '[SYS_CALL::SYS_READ_STDIN] {"timeout_s": 30}';

let t: TestHome | null = null;
afterEach(async () => {
  await t?.dispose();
  t = null;
});

describe('several CLIs on one kernel', () => {
  it('CLIs starting a cold kernel at once share one daemon; their spawns get distinct pids', async () => {
    t = await makeHome();
    const home = t;
    const model = await home.tape({ root: [READ] });
    const runs = await Promise.all([1, 2, 3].map(() => home.cli(['spawn', '--model', model, '--detach', '--json'])));
    for (const run of runs) expect(run).toMatchObject({ code: 0, stderr: '' });
    const pids = runs.map((r) => (JSON.parse(r.stdout) as { pid: number }).pid);
    expect(new Set(pids).size).toBe(3);
    const rows = JSON.parse((await home.cli(['ps', '--json'])).stdout) as Array<{ pid: number }>;
    expect(rows.map((r) => r.pid).sort()).toEqual([...pids].sort());
    const status = JSON.parse((await home.cli(['kernel', 'status', '--json'])).stdout) as { pid: number };
    expect(status.pid).toBe(await home.daemonPid());
  });

  it('two logs -f followers see the same events, and so does the history afterwards', async () => {
    t = await makeHome();
    const model = await t.tape({ root: [READ, { expect: 'both of you', reply: '[SYS_CALL::SYS_EXIT] {"code": 7}' }] });
    const pid = (await t.cli(['spawn', '--model', model, '--detach'])).stdout.trim();
    const a = startCli(['logs', '-f', pid, '--json'], t.env);
    const b = startCli(['logs', '-f', pid, '--json'], t.env);
    await Promise.all([a.waitFor(/waiting for stdin/), b.waitFor(/waiting for stdin/)]);
    expect((await t.cli(['send', pid, 'both of you'])).code).toBe(0);
    expect(await a.exit).toBe(0);
    expect(await b.exit).toBe(0);
    const seenA = jsonLines(a.stdout());
    expect(seenA.at(-1)).toMatchObject({ type: 'state', to: 'exited', code: 7 });
    expect(jsonLines(b.stdout())).toEqual(seenA);
    const replay = await t.cli(['logs', pid, '--json']);
    expect(jsonLines(replay.stdout)).toEqual(seenA);
  });
});
