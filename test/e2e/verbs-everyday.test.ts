/** The verbs people reach for, through the real CLI and daemon: inspect, restart, stop, ps -q/--filter, logs without a pid, attach. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines } from '../helpers/cli.js';
import { makeHome, startCli, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const BLOCK = '[SYS_CALL::RECV_MSG] {"timeout_s": 300}';
let t: TestHome;
beforeAll(async () => {
  t = await makeHome();
});
afterAll(async () => {
  await t.dispose();
});

async function state(pid: string): Promise<string> {
  const rows = JSON.parse((await t.cli(['ps', '--all', '--json'])).stdout) as Array<{ pid: number; state: string }>;
  return rows.find((r) => r.pid === Number(pid))?.state ?? '';
}

describe('everyday verbs', () => {
  it('inspect shows the task, capabilities, limits and children; restart starts a like process', async () => {
    const model = await t.tape(
      { boss: ['[SYS_CALL::SPAWN_AGENT] {"role": "helper", "name": "helper"}', BLOCK], helper: [BLOCK] },
      'boss.yaml',
    );
    const pid = (
      await t.cli([
        'spawn',
        'mind the shop',
        '--model',
        model,
        '--name',
        'boss',
        '--max-turns',
        '7',
        '--max-cost',
        '2',
        '--detach',
      ])
    ).stdout.trim();
    await until(
      async () => (await state(String(Number(pid) + 1))) === 'blocked' && (await state(pid)) === 'blocked',
      20_000,
      'both blocked',
    );
    const human = await t.cli(['inspect', pid]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^pid +\d+ \(root\)\nname +boss\nstatus +blocked \(message\)\n/);
    expect(human.stdout).toContain('task      mind the shop');
    expect(human.stdout).toMatch(/limits +7 turns, tokens none, cost \$2\.00, time none/);
    expect(human.stdout).toMatch(new RegExp(`children +${Number(pid) + 1} helper \\(blocked \\(message\\)\\)`));
    const detail = JSON.parse((await t.cli(['inspect', pid, '--json'])).stdout) as {
      task: string;
      capabilities: string[];
      limits: { max_turns: number };
      row: { model: string };
    };
    expect(detail).toMatchObject({ task: 'mind the shop', limits: { max_turns: 7, max_cost: 2 }, row: { model } });
    expect(detail.capabilities.length).toBeGreaterThan(0);

    const restarted = await t.cli(['restart', pid, '--json']);
    expect(restarted.code).toBe(0);
    const { pid: fresh, killed } = JSON.parse(restarted.stdout) as { pid: number; killed: number[] };
    expect(killed.sort()).toEqual([Number(pid), Number(pid) + 1]);
    const again = JSON.parse((await t.cli(['inspect', String(fresh), '--json'])).stdout) as typeof detail;
    expect(again).toMatchObject({
      task: 'mind the shop',
      capabilities: detail.capabilities,
      limits: { max_turns: 7, max_cost: 2 },
      row: { model },
    });
    expect((await t.cli(['inspect', '9999'])).stderr).toBe('aos: no such process 9999\n');
    await t.cli(['kill', String(fresh)]);
  }, 60_000);

  it('stop: a process that heeds [EVENT::STOP] exits in time; one that does not is killed at the deadline', async () => {
    const model = await t.tape({
      polite: [BLOCK, { expect: 'EVENT::STOP', reply: '[SYS_CALL::SYS_EXIT] {"code": 0}' }],
      stubborn: [BLOCK, BLOCK],
    });
    const polite = (await t.cli(['spawn', '--model', model, '--name', 'polite', '--detach'])).stdout.trim();
    const stubborn = (await t.cli(['spawn', '--model', model, '--name', 'stubborn', '--detach'])).stdout.trim();
    await until(
      async () => (await state(polite)) === 'blocked' && (await state(stubborn)) === 'blocked',
      20_000,
      'blocked',
    );
    expect(await t.cli(['stop', polite])).toMatchObject({ code: 0, stdout: `${polite} exited 0\n` });
    expect(await t.cli(['stop', stubborn, '--time', '1'])).toMatchObject({
      code: 0,
      stdout: `${stubborn} killed 137: stopped: did not exit within 1 s\n`,
    });
    expect((await t.cli(['ps', '--all', '--no-trunc', '--filter', `pid=${stubborn}`])).stdout).toMatch(
      /killed 137 \(stopped\)/,
    );
    expect((await t.cli(['stop', polite])).stderr).toContain('has already ended');
  }, 60_000);

  it('stop takes the subtree: the parent heeds [EVENT::STOP], its stubborn child is killed at the deadline; --no-tree leaves children', async () => {
    const exit = '[SYS_CALL::SYS_EXIT] {"code": 0}';
    const model = await t.tape(
      {
        lead: [
          '[SYS_CALL::SPAWN_AGENT] {"role": "helper", "name": "mule"}',
          BLOCK,
          { expect: 'EVENT::STOP', reply: exit },
        ],
        mule: [BLOCK, { expect: 'is being stopped', reply: BLOCK }],
      },
      'lead.yaml',
    );
    const lead = (await t.cli(['spawn', '--model', model, '--name', 'lead', '--detach'])).stdout.trim();
    const mule = String(Number(lead) + 1);
    await until(
      async () => (await state(lead)) === 'blocked' && (await state(mule)) === 'blocked',
      20_000,
      'both blocked',
    );
    const stopped = await t.cli(['stop', lead, '--time', '1', '--json']);
    expect(stopped.code).toBe(0);
    expect(JSON.parse(stopped.stdout)).toEqual({
      pid: Number(lead),
      stopped: true,
      end: { pid: Number(lead), state: 'exited', code: 0, reason: expect.any(String) },
      children: [
        {
          pid: Number(mule),
          state: 'killed',
          code: 137,
          reason: `stopped with its ancestor ${lead}: did not exit within 1 s`,
        },
      ],
    });
    expect(await state(mule)).toBe('killed');

    const solo = await t.tape(
      { lead2: ['[SYS_CALL::SPAWN_AGENT] {"role": "helper", "name": "mule2"}', BLOCK, BLOCK], mule2: [BLOCK] },
      'lead2.yaml',
    );
    const lead2 = (await t.cli(['spawn', '--model', solo, '--name', 'lead2', '--detach'])).stdout.trim();
    const mule2 = String(Number(lead2) + 1);
    await until(
      async () => (await state(lead2)) === 'blocked' && (await state(mule2)) === 'blocked',
      20_000,
      'both blocked',
    );
    expect(await t.cli(['stop', lead2, '--time', '1', '--no-tree'])).toMatchObject({
      code: 0,
      stdout: `${lead2} killed 137: stopped: did not exit within 1 s\n`,
    });
    expect(await state(mule2)).toBe('blocked');
    await t.cli(['kill', mule2]);
  }, 60_000);

  it('ps -q and --filter; logs without a pid, --since and -t', async () => {
    const model = await t.tape({ web1: [BLOCK], web2: ['[SYS_CALL::SYS_EXIT] {"code": 0}'], db: [BLOCK] });
    const pids: Record<string, string> = {};
    for (const name of ['web1', 'web2', 'db'])
      pids[name] = (await t.cli(['spawn', '--model', model, '--name', name, '--detach'])).stdout.trim();
    await until(
      async () => (await state(pids.web2 ?? '')) === 'exited' && (await state(pids.web1 ?? '')) === 'blocked',
      20_000,
      'settled',
    );
    expect((await t.cli(['ps', '-q', '--filter', 'name=web*'])).stdout).toBe(`${pids.web1}\n`);
    expect((await t.cli(['ps', '-q', '--filter', 'name=web*,state=exited'])).stdout).toBe(`${pids.web2}\n`);
    expect((await t.cli(['ps', '-q', '--filter', 'name=web1', '--filter', 'name=db'])).stdout).toBe(
      `${pids.web1}\n${pids.db}\n`,
    );
    expect((await t.cli(['ps', '--filter', 'colour=red'])).stderr).toContain('--filter takes key=value');

    const all = await t.cli(['logs', '--since', '10m', '-t']);
    expect(all.code).toBe(0);
    for (const name of ['web1', 'web2', 'db'])
      expect(all.stdout).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+ \\[${pids[name]} ${name}\\] spawned`, 'm'));
    expect((await t.cli(['logs', '--since', '2999-01-01T00:00'])).stdout).toBe('');
    expect((await t.cli(['logs', '--since', '10m', '--until', '2000-01-01T00:00'])).stdout).toBe('');
    expect((await t.cli(['logs', pids.db ?? '', '--until', '2999-01-01T00:00'])).stdout).toMatch(
      new RegExp(`\\[${pids.db} db\\] spawned`),
    );
    const both = await t.cli(['logs', '-f', '--until', '1m']);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain("option '--until <when>' cannot be used with option '-f, --follow'");
    const last = await t.cli(['logs', '--tail', '2', '--json']);
    expect(jsonLines(last.stdout)).toHaveLength(2);
    await t.cli(['kill', pids.web1 ?? '']);
    await t.cli(['kill', pids.db ?? '']);
  }, 60_000);

  it('attach follows a process and sends typed lines to its stdin, then exits with its code', async () => {
    const model = await t.tape({
      reader: [
        '[SYS_CALL::SYS_READ_STDIN] {"timeout_s": 60}',
        { expect: 'forty-two', reply: '[SYS_CALL::SYS_EXIT] {"code": 4}' },
      ],
    });
    const pid = (await t.cli(['spawn', '--model', model, '--name', 'reader', '--detach'])).stdout.trim();
    const attached = startCli(['attach', pid], t.env);
    await attached.waitFor(/waiting for stdin|spawned/);
    attached.child.stdin.write('forty-two\n');
    expect(await attached.exit).toBe(4);
    expect(attached.stdout()).toContain(`[${pid} reader] stdin → ${pid} forty-two`);
    expect(attached.stdout()).toContain(`[${pid} reader] exited 4\n`);
  }, 60_000);
});
