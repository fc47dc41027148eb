/**
 * `aos unit …` through the real CLI and daemon: a unit file is shown against the policy before it is
 * kept, refused when it asks for more than the root holds, and then runs by itself; every --json
 * matches the schema `aos schema` publishes.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISHED } from '../../protocol/schemas.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const POLICY = `version: 1
root:
  capabilities: ["fs.read:/**", "fs.write:/**"]
`;
const EXIT = '[SYS_CALL::SYS_EXIT] {"code":0}';

let t: TestHome;
beforeAll(async () => {
  t = await makeHome();
  const policy = path.join(t.home, 'policy-units.yaml');
  await writeFile(policy, POLICY);
  Object.assign(t.env, { AOS_POLICY: policy });
  // A tape beside the unit files, named relatively in them.
  await writeFile(
    path.join(t.home, 'beat-tape.yaml'),
    `agents:\n  beat:\n    - expect: '[EVENT::TRIGGER]'\n      reply: '${EXIT}'\n  greedy:\n    - '${EXIT}'\n`,
  );
  // The kernel starts here, with room for a loaded machine: the tests' calls are then plain requests.
  expect((await t.cli(['kernel', 'start'], { timeoutMs: 60_000 })).code).toBe(0);
}, 90_000);
afterAll(async () => {
  await t.dispose();
});

async function unitFile(name: string, body: string): Promise<string> {
  const file = path.join(t.home, `${name}.yaml`);
  await writeFile(file, body);
  return file;
}

async function json(args: string[], schema: keyof typeof PUBLISHED): Promise<unknown> {
  const run = await t.cli([...args, '--json']);
  expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
  const parsed = PUBLISHED[schema].safeParse(JSON.parse(run.stdout));
  expect(parsed.success, `${schema}: ${parsed.error?.message ?? ''}\n${run.stdout}`).toBe(true);
  return parsed.data;
}

describe('aos unit', () => {
  it('shows the plan, asks for --yes without a terminal, refuses what the policy lacks, and says what is wrong with a file', async () => {
    const beat = await unitFile(
      'beat',
      'name: beat\ntask: due {{trigger.scheduled_for}}\nmodel: replay:beat-tape.yaml\ncapabilities: ["fs.write:/beat/**"]\ntriggers:\n  - every: 2s\n',
    );
    const asked = await t.cli(['unit', 'add', beat], { input: '' });
    expect(asked.code).toBe(1);
    expect(asked.stderr).toContain('unit beat');
    expect(asked.stderr).toContain('triggers:  every 2s');
    expect(asked.stderr).toContain('✓ fs.write:/beat/**');
    expect(asked.stderr).toMatch(/not added: confirm with --yes/);
    expect((await json(['unit', 'ls'], 'unit-ls')) as { units: unknown[] }).toEqual({ units: [] });

    const greedy = await unitFile(
      'greedy',
      'name: greedy\ntask: t\nmodel: replay:beat-tape.yaml\ncapabilities: ["fs.read:/**", "exec", "net.fetch:*"]\n',
    );
    const refused = await t.cli(['unit', 'add', greedy, '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('✗ exec');
    expect(refused.stderr).toMatch(/refused: it asks for more than the policy's root holds: exec, net\.fetch:\*/);

    const missing = await t.cli(['unit', 'add', path.join(t.home, 'nope.yaml'), '--yes']);
    expect(missing).toMatchObject({ code: 1 });
    expect(missing.stderr).toMatch(/cannot read .*nope\.yaml: no such file/);
    const broken = await t.cli(['unit', 'add', await unitFile('broken', 'name: [unclosed\n'), '--yes']);
    expect(broken.stderr).toMatch(/broken\.yaml is not YAML/);
    const wrong = await t.cli([
      'unit',
      'add',
      await unitFile('wrong', 'name: wrong\ntask: t\ntriggers:\n  - cron: "* * *"\n'),
      '--yes',
    ]);
    expect(wrong.stderr).toMatch(/cron "\* \* \*" must have five fields/);
  });

  it('adds a unit that then runs by itself, lists it, runs it by hand, and disables, enables and removes it', async () => {
    const beat = path.join(t.home, 'beat.yaml');
    const added = (await json(['unit', 'add', beat, '--yes'], 'unit-add')) as {
      unit: { name: string; next_run: number };
    };
    expect(added.unit.name).toBe('beat');
    // every 2s: within ~7 s of real time, 2 to 4 runs.
    await new Promise((resolve) => setTimeout(resolve, 7_000));
    const runs = (
      (await json(['unit', 'runs', 'beat'], 'unit-runs')) as { runs: Array<{ outcome: string; pid: number | null }> }
    ).runs;
    const started = runs.filter((r) => r.outcome === 'started');
    expect(started.length).toBeGreaterThanOrEqual(2);
    expect(started.length).toBeLessThanOrEqual(4);
    // Each run is an ordinary process that saw why it ran (its tape expects the trigger) and exited 0.
    for (const r of started) expect((await t.cli(['wait', String(r.pid)])).code).toBe(0);
    // ps --filter unit= lists its runs, and nothing else.
    const other = JSON.parse(
      (
        await t.cli([
          'spawn',
          'x',
          '--model',
          `replay:${path.join(t.home, 'beat-tape.yaml')}`,
          '--name',
          'greedy',
          '--detach',
          '--json',
        ])
      ).stdout,
    ) as { pid: number };
    await t.cli(['wait', String(other.pid)]);
    const listed = (await t.cli(['ps', '-a', '--filter', 'unit=be*', '-q'])).stdout.trim().split('\n').map(Number);
    const now = (
      (await json(['unit', 'runs', 'beat'], 'unit-runs')) as { runs: Array<{ pid: number | null }> }
    ).runs.map((r) => r.pid);
    for (const r of started) expect(listed).toContain(r.pid);
    for (const pid of listed) expect(now).toContain(pid); // the unit runs on meanwhile: a newer run may be listed too
    expect(listed).not.toContain(other.pid);
    const none = await t.cli(['ps', '--filter', 'unit=nosuch']);
    expect(none.stderr).toMatch(/no unit matches \(there are: beat\)/);
    const human = await t.cli(['unit', 'ls']);
    expect(human.stdout).toMatch(/^NAME\s+STATE\s+TRIGGERS\s+NEXT\s+LAST\s+RUNS\s+SKIPS/);
    // Its last run as it came out: still going (started), or ended (exited 0).
    expect(human.stdout).toMatch(
      /beat\s+(enabled|running \d+)\s+every 2s\s+(in \d+s|now)\s+(started \d+|exited 0 \(pid \d+\)), \d+s ago/,
    );
    await json(['unit', 'show', 'beat'], 'unit-show');
    const byHand = (await json(['unit', 'run', 'beat'], 'unit-run')) as { outcome: string; pid: number | null };
    expect(['started', 'skipped']).toContain(byHand.outcome);
    const disabled = (await json(['unit', 'disable', 'beat'], 'unit-changed')) as {
      unit: { enabled: boolean; next_run: number | null };
    };
    expect(disabled.unit).toMatchObject({ enabled: false, next_run: null });
    const before = ((await json(['unit', 'runs', 'beat'], 'unit-runs')) as { runs: unknown[] }).runs.length;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(((await json(['unit', 'runs', 'beat'], 'unit-runs')) as { runs: unknown[] }).runs.length).toBe(before);
    expect(
      ((await json(['unit', 'enable', 'beat'], 'unit-changed')) as { unit: { enabled: boolean } }).unit.enabled,
    ).toBe(true);
    await until(
      async () => ((await json(['unit', 'runs', 'beat'], 'unit-runs')) as { runs: unknown[] }).runs.length > before,
      10_000,
      'a run after enable',
    );
    const humanRuns = await t.cli(['unit', 'runs', 'beat', '-n', '3']);
    expect(humanRuns.stdout).toMatch(/^WHEN\s+TRIGGER\s+DUE\s+OUTCOME\s+PID\s+REASON/);
    expect(humanRuns.stdout.trim().split('\n')).toHaveLength(4);
    await json(['unit', 'rm', 'beat'], 'unit-changed');
    const gone = await t.cli(['unit', 'show', 'beat']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/no unit named beat/);
  }, 60_000);

  it('aos up applies a file of units as a set, showing the plan; a changed file adds, changes and removes; aos down removes them all', async () => {
    await writeFile(
      path.join(t.home, 'one.yaml'),
      'name: one\ntask: first\nmodel: replay:beat-tape.yaml\ncapabilities: ["fs.read:/**"]\n',
    );
    const set = path.join(t.home, 'aos.yaml');
    await writeFile(
      set,
      'units:\n  - file: one.yaml\n  - name: two\n    task: second\n    capabilities: ["fs.read:/**"]\n    triggers: [{every: 1h}]\n',
    );
    const asked = await t.cli(['up', '-f', set], { input: '' });
    expect(asked.code).toBe(1);
    expect(asked.stderr).toMatch(/\+ one {2}\(added\)\n {2}\+ two {2}\(added\)/);
    expect(asked.stderr).toMatch(/confirm with --yes/);
    const up = (await json(['up', '-f', set, '--yes'], 'unit-set')) as { applied: boolean; plan: { added: string[] } };
    expect(up).toMatchObject({ applied: true, plan: { added: ['one', 'two'] } });
    const again = await t.cli(['up', '-f', set, '--yes']);
    expect(again.stderr).toContain('nothing to change');
    await writeFile(
      set,
      'units:\n  - file: one.yaml\n  - name: three\n    task: third\n    capabilities: ["fs.read:/**"]\n',
    );
    await writeFile(
      path.join(t.home, 'one.yaml'),
      'name: one\ntask: first, changed\nmodel: replay:beat-tape.yaml\ncapabilities: ["fs.read:/**"]\n',
    );
    const changed = (await json(['up', '-f', set, '--yes'], 'unit-set')) as { plan: Record<string, string[]> };
    expect(changed.plan).toMatchObject({ added: ['three'], changed: ['one'], removed: ['two'], unchanged: [] });
    expect(((await json(['unit', 'show', 'one'], 'unit-show')) as { spec: { model: string } }).spec.model).toBe(
      `replay:${path.join(t.home, 'beat-tape.yaml')}`,
    );
    const greedy = path.join(t.home, 'greedy-set.yaml');
    await writeFile(greedy, 'units:\n  - name: bad\n    task: t\n    capabilities: [exec]\n');
    const refused = await t.cli(['up', '-f', greedy, '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/✗ bad asks for exec/);
    const down = (await json(['down', '-f', set, '--yes'], 'unit-set')) as { plan: { removed: string[] } };
    expect(down.plan.removed.sort()).toEqual(['one', 'three']);
    expect(((await json(['unit', 'ls'], 'unit-ls')) as { units: unknown[] }).units).toEqual([]);
  }, 60_000);

  it('units that would start each other in a loop are refused at aos unit add and aos up, naming the loop, before anything is kept (issue 47.6)', async () => {
    const ping = await unitFile(
      'ping',
      'name: ping\ntask: t\ncapabilities: []\ntriggers:\n  - on: {exit: {unit: pong}}\n',
    );
    const pong = await unitFile(
      'pong',
      'name: pong\ntask: t\ncapabilities: []\ntriggers:\n  - on: {exit: {unit: ping}}\n',
    );
    const loop =
      /the units' triggers make a loop: ping -> pong -> ping \(pong runs on exit of ping; ping runs on exit of pong\)/;
    await json(['unit', 'add', ping, '--yes'], 'unit-add');
    const added = await t.cli(['unit', 'add', pong, '--yes']);
    expect(added.code).toBe(1);
    expect(added.stderr).toMatch(loop);
    const asked = await t.cli(['unit', 'add', pong], { input: '' });
    expect(asked.code).toBe(1);
    expect(asked.stderr).toMatch(loop);
    await json(['unit', 'rm', 'ping'], 'unit-changed');
    const set = path.join(t.home, 'loop-set.yaml');
    await writeFile(set, 'units:\n  - file: ping.yaml\n  - file: pong.yaml\n');
    const up = await t.cli(['up', '-f', set, '--yes']);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(loop);
    expect(((await json(['unit', 'ls'], 'unit-ls')) as { units: unknown[] }).units).toEqual([]);
  }, 60_000);
});
