/**
 * Issue 51.4's day-three traps through the real CLI and daemon: a webhook unit whose runs could not
 * answer is refused where it is added, a run that exited 1 reads as a failure in `unit ls`, `unit
 * runs` and `unit show`, and `aos logs --unit` prints one unit's runs as `journalctl -u` does.
 */
import { rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISHED } from '../../protocol/schemas.js';
import { ROOT } from '../helpers/cli.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';

const POLICY = `version: 1
root:
  capabilities: ["fs.read:/**", "fs.write:/**", "ipc", "webhook"]
`;

let t: TestHome;
beforeAll(async () => {
  t = await makeHome();
  const policy = path.join(t.home, 'policy-traps.yaml');
  await writeFile(policy, POLICY);
  Object.assign(t.env, { AOS_POLICY: policy, AOS_WEBHOOK_PORT: '0' });
  await writeFile(
    path.join(t.home, 'traps-tape.yaml'),
    [
      'agents:',
      '  failer:',
      `    - '[SYS_CALL::SYS_WRITE_STDOUT] {"text": "failer was here"}'`,
      `    - '[SYS_CALL::SYS_EXIT] {"code": 1, "result": "the report was not found"}'`,
      '  fine:',
      `    - '[SYS_CALL::SYS_WRITE_STDOUT] {"text": "fine was here"}'`,
      `    - '[SYS_CALL::SYS_EXIT] {"code": 0}'`,
      '',
    ].join('\n'),
  );
  expect((await t.cli(['kernel', 'start'], { timeoutMs: 60_000 })).code).toBe(0);
}, 90_000);
afterAll(async () => {
  await t.dispose();
});

async function file(name: string, body: string): Promise<string> {
  const at = path.join(t.home, name);
  await writeFile(at, body);
  return at;
}

describe('a webhook unit its runs could not answer (issue 51.4 item 1)', () => {
  it('is refused at aos unit add and at aos up, saying to add the webhook capability; with it, it is added', async () => {
    const body = (caps: string): string =>
      `name: intake\ntask: answer {{trigger.body}}\nmodel: replay:traps-tape.yaml\ncapabilities: ${caps}\ntriggers:\n  - webhook: orders\n`;
    const without = await file('intake.yaml', body('["fs.read:/**"]'));
    const added = await t.cli(['unit', 'add', without, '--yes']);
    expect(added.code).toBe(1);
    expect(added.stderr).toMatch(/unit intake has a webhook trigger, but its capabilities lack "webhook"/);
    expect(added.stderr).toMatch(/add "webhook" to its capabilities/);
    const set = await file('traps-set.yaml', 'units:\n  - file: intake.yaml\n');
    const up = await t.cli(['up', '-f', set, '--yes']);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/its capabilities lack "webhook"/);
    expect((await t.cli(['unit', 'ls'])).stdout).toMatch(/^no units/);

    await file('intake.yaml', body('["fs.read:/**", "webhook"]'));
    const ok = await t.cli(['unit', 'add', without, '--yes']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/webhook orders: http:\/\/127\.0\.0\.1:\d+\/hooks\//);
    expect((await t.cli(['unit', 'rm', 'intake'])).code).toBe(0);
  }, 60_000);
});

describe('a unit whose run exited 1 (issue 51.4 item 2)', () => {
  it('reads as failing in unit ls, runs and show; aos logs --unit prints its runs and nothing else', async () => {
    for (const name of ['failer', 'fine'])
      expect(
        (
          await t.cli([
            'unit',
            'add',
            await file(`${name}.yaml`, `name: ${name}\ntask: t\nmodel: replay:traps-tape.yaml\n`),
            '--yes',
          ])
        ).code,
      ).toBe(0);
    const pids: Record<string, string> = {};
    for (const name of ['failer', 'fine']) {
      const run = await t.cli(['unit', 'run', name]);
      expect(run.code, run.stderr).toBe(0);
      pids[name] = run.stdout.trim();
      await t.cli(['wait', pids[name]]);
    }

    const ls = await t.cli(['unit', 'ls']);
    const row = (name: string): string => ls.stdout.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
    expect(row('failer')).toMatch(
      new RegExp(`^failer +enabled, 1 failed in a row .* exited 1 \\(pid ${pids.failer}\\), `),
    );
    expect(row('fine')).toMatch(new RegExp(`^fine +enabled +by hand .* exited 0 \\(pid ${pids.fine}\\), `));
    const json = PUBLISHED['unit-ls'].parse(JSON.parse((await t.cli(['unit', 'ls', '--json'])).stdout)) as {
      units: Array<{ name: string; failing: number; last: { end: { state: string; code: number } | null } }>;
    };
    expect(json.units.find((u) => u.name === 'failer')).toMatchObject({
      failing: 1,
      last: { end: { state: 'exited', code: 1 } },
    });
    expect(json.units.find((u) => u.name === 'fine')?.failing).toBe(0);

    const runs = await t.cli(['unit', 'runs', 'failer']);
    expect(runs.stdout).toMatch(new RegExp(`by hand +— +exited 1 +${pids.failer}\n`));
    const show = await t.cli(['unit', 'show', 'failer']);
    expect(show.stdout).toContain(`last run: pid ${pids.failer} exited 1\n`);
    expect(show.stdout).toContain("its runs' logs: aos logs --unit failer");

    const logs = await t.cli(['logs', '--unit', 'failer']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain('failer was here');
    expect(logs.stdout).not.toContain('fine was here');
    expect((await t.cli(['logs', '--unit', 'fine'])).stdout).not.toContain('failer was here');
    const unknown = await t.cli(['logs', '--unit', 'nosuch']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no unit named nosuch \(there are: failer, fine\)/);
    expect((await t.cli(['logs', '1', '--unit', 'fine'])).stderr).toMatch(/give a pid or --unit, not both/);
  }, 60_000);
});

describe('AOS_POLICY other than the running kernel’s (issue 51.4 item 3)', () => {
  it('refuses the spawn, naming both policies and the restart that fixes it; after the restart it runs', async () => {
    const h = await makeHome();
    try {
      const hello = ['spawn', 'Show the loop', '--model', 'replay:examples/hello-loop.yaml'];
      // `npm run demo`: a kernel on the home's default policy.
      expect((await h.cli(hello, { timeoutMs: 60_000 })).code).toBe(0);
      // The README's next step, relative to the checkout, as a person types it.
      const mine = { AOS_POLICY: 'examples/mcp-policy.yaml' };
      const refused = await h.cli(hello, { env: mine });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `the kernel (pid ${await h.daemonPid()}) runs the policy ${path.join(h.home, 'policy.yaml')}, not yours (AOS_POLICY=${path.join(ROOT, 'examples/mcp-policy.yaml')})`,
      );
      expect(refused.stderr).toMatch(/Run "aos kernel restart" to restart it with your settings/);
      const restarted = await h.cli(['kernel', 'restart'], { env: mine, timeoutMs: 60_000 });
      expect(restarted.code, restarted.stderr).toBe(0);
      // The restarted kernel runs in its home: the relative name it was given still names the checkout's
      // file, so the same file spelled absolute is no drift (it read as one before, and warned).
      const same = await h.cli(hello, { env: { AOS_POLICY: path.join(ROOT, 'examples/mcp-policy.yaml') } });
      expect(same.code, same.stderr).toBe(0);
      expect(same.stderr).not.toMatch(/other settings/);
    } finally {
      await h.dispose();
    }
  }, 120_000);
});

describe('aos kernel restart into a start that cannot be made (issue 51.4 item 4)', () => {
  it('checks the workspace before it stops anything: the running kernel keeps running, and the reason is named', async () => {
    const h = await makeHome();
    const other = await makeHome();
    try {
      expect((await h.cli(['kernel', 'start'], { timeoutMs: 60_000 })).code).toBe(0);
      const pid = await h.daemonPid();
      // Outside the home: a workspace inside it is refused for that reason alone.
      const notDir = path.join(os.tmpdir(), `aos-not-a-dir-${process.pid}`);
      await writeFile(notDir, 'not a directory');
      const restart = await h.cli(['kernel', 'restart'], { env: { AOS_WORKSPACE: notDir } });
      expect(restart.code).toBe(1);
      expect(restart.stderr).toContain(
        `not restarting: a new kernel could not start (the workspace ${notDir} is a file, not a directory: set AOS_WORKSPACE to a directory you can write); the running kernel keeps running`,
      );
      expect(restart.stderr).not.toMatch(/EEXIST|mkdir/);
      const under = await h.cli(['kernel', 'restart'], { env: { AOS_WORKSPACE: path.join(notDir, 'ws') } });
      expect(under.stderr).toContain(`cannot be made: ${notDir} is a file, not a directory`);
      // Another home's kernel holds that workspace: refused here too, naming it, instead of at the start.
      expect((await other.cli(['kernel', 'start'], { timeoutMs: 60_000 })).code).toBe(0);
      const held = await h.cli(['kernel', 'restart'], { env: { AOS_WORKSPACE: other.env.AOS_WORKSPACE } });
      expect(held.code).toBe(1);
      expect(held.stderr).toMatch(/not restarting: .*is in use by the kernel of .*the running kernel keeps running/);
      expect(await h.daemonPid()).toBe(pid);
      expect((await h.cli(['kernel', 'status'])).code).toBe(0);
      // A plain start in a file says so too, not EEXIST.
      await h.cli(['kernel', 'stop']);
      const start = await h.cli(['kernel', 'start'], { env: { AOS_WORKSPACE: notDir } });
      expect(start.code).not.toBe(0);
      expect(start.stderr).toContain(`the workspace ${notDir} is a file, not a directory`);
    } finally {
      await rm(path.join(os.tmpdir(), `aos-not-a-dir-${process.pid}`), { force: true });
      await other.dispose();
      await h.dispose();
    }
  }, 120_000);
});

describe('a replay tape edited between two spawns (issue 51.4 item 5)', () => {
  it('the second spawn replays the edited text, not the one the daemon read first', async () => {
    const tape = path.join(t.home, 'edited-tape.yaml');
    const say = (text: string): string =>
      `agents:\n  root:\n    - '[SYS_CALL::SYS_WRITE_STDOUT] {"text": "${text}"}'\n    - '[SYS_CALL::SYS_EXIT] {"code": 0}'\n`;
    await writeFile(tape, say('before the edit'));
    const first = await t.cli(['spawn', 't', '--model', `replay:${tape}`]);
    expect(first.stdout).toContain('before the edit');
    await writeFile(tape, say('after the edit!'));
    const second = await t.cli(['spawn', 't', '--model', `replay:${tape}`]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('after the edit!');
    expect(second.stdout).not.toContain('before the edit');
  }, 60_000);
});

describe('AOS_WEB_PORT taken by another program (issue 51.4 item 9)', () => {
  it('aos web says which port, how to find who holds it, and the variable to change', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    const h = await makeHome();
    try {
      Object.assign(h.env, { AOS_WEB_PORT: String(port) });
      const web = await h.cli(['web', '--no-open'], { timeoutMs: 60_000 });
      expect(web.code).not.toBe(0);
      expect(web.stderr).toContain(
        `the web view cannot listen on 127.0.0.1:${port} (AOS_WEB_PORT): another program holds that port (\`ss -ltnp 'sport = :${port}'\` names it)`,
      );
      expect(web.stderr).toContain('choose another: AOS_WEB_PORT=<port> aos kernel restart (0: any free port');
      // The port freed, the same kernel opens its view there.
      await new Promise((resolve) => holder.close(resolve));
      const again = await h.cli(['web', '--no-open']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain(`http://127.0.0.1:${port}/login?token=`);
    } finally {
      holder.close();
      await h.dispose();
    }
  }, 90_000);
});

describe('a unit file with several mistakes (issue 51.4 item 10)', () => {
  it('aos unit add names them all at once, each with its line', async () => {
    const wrong = await file(
      'wrong-many.yaml',
      'name: wrong\ntask: t\non_overlap: sometimes\ntriggers:\n  - cron: "* * *"\n  - every: soon\n',
    );
    const added = await t.cli(['unit', 'add', wrong, '--yes']);
    expect(added.code).toBe(1);
    expect(added.stderr).toContain(`${wrong}: not a valid unit: 3 problems:`);
    expect(added.stderr).toMatch(/\n {2}line 3: on_overlap: /);
    expect(added.stderr).toMatch(/\n {2}line 5: triggers\[0\]: cron "\* \* \*" must have five fields/);
    expect(added.stderr).toMatch(/\n {2}line 6: triggers\[1\]: every/);
    // aos up: a unit written in the set file, its lines the set file's.
    const set = await file(
      'wrong-set.yaml',
      'units:\n  - name: fine\n    task: t\n  - name: Bad\n    task: t\n    max_time: forever\n',
    );
    const up = await t.cli(['up', '-f', set, '--yes']);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(`${set}: units[1]: not a valid unit: 2 problems:`);
    expect(up.stderr).toMatch(/\n {2}line 4: name: /);
    expect(up.stderr).toMatch(/\n {2}line 6: max_time/);
  }, 30_000);
});
