import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines } from '../helpers/cli.js';
import { makeHome, startCli, type TestHome } from '../helpers/daemon.js';

const READ = '[SYS_CALL::SYS_READ_STDIN] {"timeout_s": 30}';
const BLOCK = '[SYS_CALL::RECV_MSG] {"timeout_s": 30}';

let t: TestHome;
beforeAll(async () => {
  t = await makeHome();
});
afterAll(async () => {
  await t.dispose();
});

describe('aos verbs through the daemon', () => {
  it('spawn --detach → ps → logs -f → send → the process ends, followers see it', async () => {
    const model = await t.tape({
      root: [READ, { expect: 'hello there', reply: '[SYS_CALL::SYS_EXIT] {"code": 5, "result": "ok"}' }],
    });
    const spawned = await t.cli(['spawn', 'echo me', '--model', model, '--detach', '--json']);
    expect(spawned).toMatchObject({ code: 0, stderr: '' });
    const { pid } = JSON.parse(spawned.stdout) as { pid: number };
    expect(pid).toBeGreaterThan(0);

    const ps = await t.cli(['ps', '--json']);
    const rows = JSON.parse(ps.stdout) as Array<Record<string, unknown>>;
    const row = rows.find((r) => r.pid === pid);
    for (const field of ['pid', 'ppid', 'name', 'state', 'model', 'turns', 'syscalls', 'tokens', 'cost', 'age_s'])
      expect(row).toHaveProperty(field);
    expect(row).toMatchObject({ ppid: 0, name: 'root', model, state: expect.stringMatching(/ready|running|blocked/) });

    const follower = startCli(['logs', '-f', String(pid), '--json'], t.env);
    await follower.waitFor(/waiting for stdin/);
    const sent = await t.cli(['send', String(pid), 'hello', 'there']);
    expect(sent).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await follower.exit).toBe(0);
    const events = jsonLines(follower.stdout());
    expect(events[0]).toMatchObject({ pid, type: 'state', from: null, to: 'ready' });
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'message', channel: 'stdin', content: 'hello there' }),
    );
    expect(events.at(-1)).toMatchObject({ pid, type: 'state', to: 'exited', code: 5 });

    const history = await t.cli(['logs', String(pid)]);
    expect(history.code).toBe(0);
    expect(history.stdout).toContain(`[${pid} root] exited 5\n`);
    const tail = await t.cli(['logs', String(pid), '--tail', '2', '--json']);
    expect(jsonLines(tail.stdout)).toHaveLength(2);
  });

  it('send reads the text from stdin with "-"', async () => {
    const model = await t.tape({ root: [READ, { expect: 'from a pipe', reply: '[SYS_CALL::SYS_EXIT] {"code": 0}' }] });
    const pid = (await t.cli(['spawn', '--model', model, '--detach'])).stdout.trim();
    expect(pid).toMatch(/^\d+$/);
    expect((await t.cli(['send', pid, '-'], { input: 'from a pipe' })).code).toBe(0);
    const logs = await t.cli(['logs', '-f', pid, '--json']);
    expect(jsonLines(logs.stdout).at(-1)).toMatchObject({ type: 'state', to: 'exited', code: 0 });
  });

  it('kill ends the tree and prints the pids; ps --all shows them killed', async () => {
    const model = await t.tape({
      root: ['[SYS_CALL::SPAWN_AGENT] {"role": "helper", "name": "helper"}', BLOCK],
      helper: [BLOCK],
    });
    const pid = Number((await t.cli(['spawn', '--model', model, '--detach'])).stdout);
    const follower = startCli(['logs', '-f', String(pid)], t.env);
    await follower.waitFor(/\[\d+ helper\] running → blocked|\[\d+ helper\].*turn 0/);
    const killed = await t.cli(['kill', String(pid)]);
    expect(killed.code).toBe(0);
    expect(killed.stdout).toMatch(new RegExp(`^killed ${pid} ${pid + 1}\\n$|^killed ${pid + 1} ${pid}\\n$`));
    expect(await follower.exit).toBe(0);
    expect(follower.stdout()).toContain(`[${pid} root] killed 137\n`);
    const rows = JSON.parse((await t.cli(['ps', '--all', '--json'])).stdout) as Array<{ pid: number; state: string }>;
    expect(rows.filter((r) => r.pid === pid || r.pid === pid + 1).map((r) => r.state)).toEqual(['killed', 'killed']);
    const again = await t.cli(['kill', String(pid), '--json']);
    expect(again).toMatchObject({ code: 0, stdout: '{"killed":[]}\n' });
  });

  it('kill --no-tree leaves the children running', async () => {
    const model = await t.tape({
      root: ['[SYS_CALL::SPAWN_AGENT] {"role": "helper", "name": "helper"}', BLOCK],
      helper: [BLOCK],
    });
    const pid = Number((await t.cli(['spawn', '--model', model, '--detach'])).stdout);
    const follower = startCli(['logs', '-f', String(pid), '--json'], t.env);
    await follower.waitFor(/"name":"helper"/);
    expect((await t.cli(['kill', String(pid), '--no-tree', '--json'])).stdout).toBe(`{"killed":[${pid}]}\n`);
    await follower.exit;
    const live = JSON.parse((await t.cli(['ps', '--json'])).stdout) as Array<{ pid: number; ppid: number }>;
    const child = live.find((r) => r.ppid === pid);
    expect(child).toBeDefined();
    expect((await t.cli(['kill', String(child?.pid)])).code).toBe(0);
  });

  it('refuses unknown pids and bad arguments with exit 1 and a clear message', async () => {
    for (const args of [
      ['logs', '9999'],
      ['kill', '9999'],
      ['send', '9999', 'x'],
    ]) {
      const run = await t.cli(args);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/no such (running )?process 9999/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    const badPid = await t.cli(['kill', 'abc']);
    expect(badPid).toMatchObject({ code: 1, stderr: 'aos: pid must be a positive integer (got "abc")\n' });
    const badTail = await t.cli(['logs', '1', '--tail', '-3']);
    expect(badTail.code).toBe(1);
    expect(badTail.stderr).toContain('--tail');
  });

  it('ps prints a table that fits 80 columns, with the contract columns', async () => {
    const model = await t.tape(
      { 'a-rather-long-process-name-for-the-table': [BLOCK] },
      'a-tape-with-a-very-long-file-name-indeed.yaml',
    );
    const pid = (
      await t.cli(['spawn', '--model', model, '--name', 'a-rather-long-process-name-for-the-table', '--detach'])
    ).stdout.trim();
    const ps = await t.cli(['ps']);
    const lines = ps.stdout.trimEnd().split('\n');
    // A long name keeps 16 columns and STATE all of its own: SYSCALLS gives way for them (-o wide shows it).
    expect(lines[0]?.split(/\s+/)).toEqual(['PID', 'PPID', 'NAME', 'STATE', 'MODEL', 'TURNS', 'TOKENS', 'COST', 'AGE']);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    const wide = (await t.cli(['ps', '-o', 'wide'])).stdout.split('\n')[0]?.split(/\s+/);
    expect(wide).toEqual([
      'PID',
      'PPID',
      'NAME',
      'STATE',
      'MODEL',
      'TURNS',
      'SYSCALLS',
      'TOKENS',
      'COST',
      'TIME',
      'AGE',
    ]);
    // A long name is cut in its middle (both ends stay), STATE whole, MODEL cut in its middle too.
    expect(lines.find((l) => l.trimStart().startsWith(`${pid} `))).toMatch(
      /a-rat\S*…\S*table +blocked \(message\) +repla\S*…\S*yaml /,
    );
    await t.cli(['kill', pid]);
  });

  it('attached spawn: Ctrl-C detaches without killing and says how to re-attach', async () => {
    const model = await t.tape({ root: [BLOCK] });
    const attached = startCli(['spawn', '--model', model], t.env);
    await attached.waitFor(/waiting for a message/);
    const pid = Number(/\[(\d+) root\] spawned/.exec(attached.stdout())?.[1]);
    attached.child.kill('SIGINT');
    expect(await attached.exit).toBe(130);
    expect(attached.stderr()).toContain(`Re-attach with: aos attach ${pid}`);
    const rows = JSON.parse((await t.cli(['ps', '--json'])).stdout) as Array<{ pid: number; state: string }>;
    expect(rows.find((r) => r.pid === pid)?.state).toBe('blocked');
    await t.cli(['kill', String(pid)]);
  });

  it('every verb has --help with an example', async () => {
    for (const verb of [['spawn'], ['ps'], ['logs'], ['kill'], ['send'], ['kernel', 'status']]) {
      const help = await t.cli([...verb, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/Examples?:\n {2}aos /);
    }
  });
});
