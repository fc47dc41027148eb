import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const POLICY = `version: 1
root:
  capabilities: ["fs.read:/**", "fs.write:/**", exec, spawn, ipc]
rules:
  - ask: "fs.write:/src/**"
  - deny: "exec:rm *"
approvals:
  timeout_s: 120
`;
const WRITE = (p: string): string => `[SYS_CALL::FS_WRITE] {"path":"${p}","content":"x"}`;
const EXIT = '[SYS_CALL::SYS_EXIT] {"code":0}';

let t: TestHome;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  t = await makeHome();
  const policy = path.join(t.home, 'strict.yaml');
  await writeFile(policy, POLICY);
  env = { AOS_POLICY: policy };
});
afterAll(async () => {
  await t.dispose();
});

interface Pending {
  id: string;
  pid: number;
  call: string;
  rule: string;
  args: Record<string, unknown>;
}

async function pending(): Promise<Pending[]> {
  const out = await t.cli(['approvals', '--json'], { env });
  expect(out).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(out.stdout) as Pending[];
}

describe('approvals, policy and audit through the CLI', () => {
  it('lists a parked call, approves one, denies one with a reason, and keeps the decisions on record', async () => {
    const model = await t.tape({
      a: [WRITE('/src/a.txt'), { expect: '"bytes":1', reply: EXIT }],
      b: [WRITE('/src/b.txt'), { expect: ['EACCES', 'use /out'], reply: EXIT }],
    });
    const a = JSON.parse(
      (await t.cli(['spawn', 'a', '--model', model, '--name', 'a', '--detach', '--json'], { env })).stdout,
    ) as { pid: number };
    const b = JSON.parse(
      (await t.cli(['spawn', 'b', '--model', model, '--name', 'b', '--detach', '--json'], { env })).stdout,
    ) as { pid: number };
    let list: Pending[] = [];
    await until(async () => (list = await pending()).length === 2, 15_000, 'two pending approvals');
    const ofA = list.find((r) => r.pid === a.pid)!;
    const ofB = list.find((r) => r.pid === b.pid)!;
    expect(ofA).toMatchObject({ call: 'FS_WRITE', rule: 'ask: "fs.write:/src/**"', args: { path: '/src/a.txt' } });
    const human = await t.cli(['approvals'], { env });
    expect(human.stdout).toMatch(new RegExp(`${ofA.id}\\s+${a.pid}\\s+a\\s+FS_WRITE`));
    expect(human.stdout).toMatch(
      new RegExp(
        `${ofA.id}\\s+${a.pid}\\s+a\\s+FS_WRITE .*ask: "fs\\.write:/src/\\*\\*"  path /src/a\\.txt · content 1 byte: x\\n`,
      ),
    );
    const ps = JSON.parse((await t.cli(['ps', '--json'], { env })).stdout) as Array<{ pid: number; state: string }>;
    expect(ps.find((r) => r.pid === a.pid)?.state).toBe('blocked');

    // The answer says what it let run, as aos approvals showed it (protocol/show-call.ts).
    expect(await t.cli(['approve', ofA.id], { env })).toMatchObject({
      code: 0,
      stdout: `approved ${ofA.id} (process ${a.pid}): FS_WRITE path /src/a.txt · content 1 byte: x\n`,
    });
    expect(await t.cli(['deny', ofB.id, '--reason', 'use /out', '--json'], { env })).toMatchObject({
      code: 0,
      stdout: `{"id":"${ofB.id}","pid":${b.pid}}\n`,
    });
    expect(await t.cli(['approve', ofA.id], { env })).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/no pending approval/),
    });
    await until(async () => (await t.cli(['ps', '--json'], { env })).stdout === '[]\n', 15_000, 'both processes ended');
    const logs = await t.cli(['logs', String(b.pid), '--json'], { env });
    expect(logs.stdout).toMatch(/"type":"approval".*"status":"denied".*"via":"socket"/);

    const audit = JSON.parse((await t.cli(['audit', '--json'], { env })).stdout) as Array<Record<string, unknown>>;
    expect(audit.map((r) => [r.pid, r.decision, r.decided_by])).toEqual(
      expect.arrayContaining([
        [a.pid, 'ask', 'policy'],
        [a.pid, 'approved', 'person'],
        [b.pid, 'denied', 'person'],
      ]),
    );
    expect((await t.cli(['audit', '--pid', String(b.pid)], { env })).stdout).toMatch(
      /denied\s+FS_WRITE.*person via socket.*use \/out/,
    );
    expect(await t.cli(['audit', 'verify'], { env })).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/audit trail intact: 4 records/),
    });

    // The approved write is in the journal: aos diff shows it, aos rollback undoes it.
    expect((await t.cli(['diff', String(a.pid)], { env })).stdout).toMatch(
      /^A \/src\/a\.txt {2}- → 1 bytes {2}pid \d+ turn 0\n$/,
    );
    expect(await t.cli(['rollback', String(a.pid), '--json'], { env })).toMatchObject({
      code: 0,
      stdout: '[{"path":"/src/a.txt","action":"removed"}]\n',
    });
    expect((await t.cli(['diff', String(a.pid), '--json'], { env })).stdout).toBe('[]\n');
  });

  it('shows identical requests of one tree as a group, and answers them together with --group', async () => {
    const child = '[SYS_CALL::SPAWN_AGENT] {"role":"c","name":"c","task":"write","dedup":false}';
    const model = await t.tape({
      boss: [child, child, child, '[SYS_CALL::RECV_MSG] {"timeout_s":600}'],
      c: [WRITE('/src/c.txt'), { expect: '"bytes":1', reply: EXIT }],
    });
    const boss = JSON.parse(
      (await t.cli(['spawn', 'boss', '--model', model, '--name', 'boss', '--detach', '--json'], { env })).stdout,
    ) as { pid: number };
    let list: Array<Pending & { group: string; group_size: number }> = [];
    await until(async () => (list = (await pending()) as typeof list).length === 3, 15_000, 'three pending approvals');
    expect(list.map((r) => r.group_size)).toEqual([3, 3, 3]);
    const human = await t.cli(['approvals'], { env });
    expect(human.stdout).toMatch(/\bSAME\b/);
    expect(human.stdout.match(/FS_WRITE\s+×3/g)).toHaveLength(3);
    const [first, ...rest] = list;
    const done = await t.cli(['approve', first!.id, '--group'], { env });
    expect(done).toMatchObject({ code: 0 });
    expect(done.stdout.trim().split('\n')).toEqual(
      [first!, ...rest].map((r) => `approved ${r.id} (process ${r.pid}): FS_WRITE path /src/c.txt · content 1 byte: x`),
    );
    expect(await pending()).toEqual([]);
    const audit = JSON.parse((await t.cli(['audit', '--json'], { env })).stdout) as Array<{
      approval: string | null;
      decision: string;
    }>;
    for (const r of list)
      expect(audit.filter((a) => a.approval === r.id).map((a) => a.decision)).toEqual(['ask', 'approved']);
    expect(await t.cli(['kill', String(boss.pid)], { env })).toMatchObject({ code: 0 });
  });

  it('prints an audit subject escaped and cut with a mark: an ESC a model wrote never reaches the terminal raw', async () => {
    const cmd = `rm \u001b[2K${'x'.repeat(200)}`;
    const model = await t.tape({ r: [`[SYS_CALL::EXEC_CMD] ${JSON.stringify({ cmd })}`, EXIT] });
    const r = JSON.parse(
      (await t.cli(['spawn', 'r', '--model', model, '--name', 'r', '--detach', '--json'], { env })).stdout,
    ) as { pid: number };
    await until(async () => (await t.cli(['ps', '--json'], { env })).stdout === '[]\n', 15_000, 'the process ended');
    const rows = JSON.parse((await t.cli(['audit', '--pid', String(r.pid), '--json'], { env })).stdout) as Array<{
      decision: string;
      subject: string;
    }>;
    expect(rows.find((row) => row.decision === 'deny')?.subject).toContain('\u001b[2K');
    const text = await t.cli(['audit', '--pid', String(r.pid)], { env: { ...env, COLUMNS: '100' } });
    expect(text.stdout).not.toContain('\u001b');
    expect(text.stdout).toMatch(/deny +EXEC_CMD rm \\e\[2Kx+…\(\+\d+ chars; --no-trunc shows all\) {2}\[policy\]/);
    const whole = await t.cli(['audit', '--pid', String(r.pid), '--no-trunc'], { env });
    expect(whole.stdout).toContain(`rm \\e[2K${'x'.repeat(200)}`);
    expect(whole.stdout).not.toContain('\u001b');
  });

  it('shows the effective policy, with the rules and their lines', async () => {
    const shown = JSON.parse((await t.cli(['policy', 'show', '--json'], { env })).stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({
      pid: null,
      capabilities: ['fs.read:/**', 'fs.write:/**', 'exec', 'spawn', 'ipc'],
      rules: [
        { verdict: 'ask', capability: 'fs.write:/src/**', line: 5, applies: true },
        { verdict: 'deny', capability: 'exec:rm *', line: 6, applies: true },
      ],
      approvals: { timeout_s: 120 },
    });
    const human = await t.cli(['policy', 'show'], { env });
    expect(human.stdout).toMatch(/ask\s+fs\.write:\/src\/\*\*\s+line 5/);
    expect(human.stdout).toMatch(/denied after 120s/);
  });

  it('names the records cut from the end of the audit trail while the kernel was stopped', async () => {
    const before = await t.cli(['audit', '--json'], { env });
    const rows = (JSON.parse(before.stdout) as Array<{ id: number }>).length;
    expect(rows).toBeGreaterThan(1);
    expect(await t.cli(['kernel', 'stop'], { env, timeoutMs: 20_000 })).toMatchObject({ code: 0 });
    const db = new Database(path.join(t.home, 'aos.db'));
    db.prepare('DELETE FROM audit WHERE id = ?').run(rows);
    db.close();
    expect(await t.cli(['audit', 'verify'], { env })).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(
        `the audit trail ends at row ${rows - 1} but its head says ${rows}: row ${rows} was removed`,
      ),
    });
  });
});
