/**
 * A candidate policy tried on past runs, through the real CLI and daemon (issue 52.3): a recorded
 * run's calls (an allowed write, an exec the policy refused, a write that asked and expired, a
 * read) set beside what a candidate would do — the rows that differ and every call counted — the
 * same for a replay tape, and `aos policy apply` refusing a file not checked as it is, then putting
 * a checked one in force (the kernel then enforces it).
 */
import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { publishedJson } from '../helpers/published-json.js';

const policy = (rules: string): string => `version: 1
root:
  capabilities: ["fs.read:/**", "fs.write:/**", exec]
rules:
${rules}
approvals:
  timeout_s: 1
`;
const IN_FORCE = policy('  - deny: "exec:rm *"\n  - ask: "fs.write:/ask/**"');
// Denies the plain write, lets rm run, no longer asks about /ask.
const CANDIDATE = policy('  - deny: "fs.write:/a.txt"\n  - allow: "exec:rm *"');

const WRITE = (p: string): string => `[SYS_CALL::FS_WRITE] {"path":"${p}","content":"x"}`;
const RM = '[SYS_CALL::EXEC_CMD] {"cmd":"rm -rf /workspace/nothing-here"}';
const EXIT = '[SYS_CALL::SYS_EXIT] {"code":0}';

interface Tried {
  ok: true;
  sha256: string;
  calls: number;
  counts: Record<string, number>;
  runs: Array<{ source: string; calls: number }>;
  rows: Array<{
    pid: number | null;
    agent?: string;
    call: string;
    shown: string;
    before: { verdict: string; rule: string | null; answer?: string };
    after: { verdict: string; rule: string | null };
  }>;
}

let t: TestHome;
let env: NodeJS.ProcessEnv;
let inForce: string;
let candidate: string;
beforeAll(async () => {
  t = await makeHome();
  inForce = path.join(t.home, 'policy-in-force.yaml');
  candidate = path.join(t.home, 'candidate.yaml');
  await writeFile(inForce, IN_FORCE);
  await writeFile(candidate, CANDIDATE);
  env = { AOS_POLICY: inForce };
  expect((await t.cli(['kernel', 'start'], { env })).code).toBe(0);
});
afterAll(async () => {
  await t.dispose();
});

/** A replay tape of two replies: a plain write and rm, then another write and the exit. */
async function recordedTape(): Promise<string> {
  const tape = path.join(t.home, 'recorded.yaml');
  const replies = [`${WRITE('/a.txt')}\n${RM}`, `${WRITE('/b.txt')}\n${EXIT}`];
  await writeFile(tape, YAML.stringify({ agents: { main: replies } }));
  return tape;
}

/** The candidate tried, its --json checked against the schema `aos schema` publishes. */
async function tryOn(against: string): Promise<Tried> {
  return publishedJson<Tried>(
    (args) => t.cli(args, { env }),
    ['policy', 'check', candidate, '--against', against],
    'policy-try',
  );
}

describe('aos policy check --against', () => {
  it('sets a recorded run beside the candidate: the calls it would decide differently, and every call counted', async () => {
    const model = await t.tape({ root: [`${WRITE('/a.txt')}\n${RM}\n${WRITE('/ask/b.txt')}`, EXIT] });
    const spawned = await t.cli(['spawn', 'work', '--model', model, '--detach', '--json'], { env });
    expect(spawned.code, spawned.stderr).toBe(0);
    const pid = (JSON.parse(spawned.stdout) as { pid: number }).pid;
    // The ask expires after the policy's 1 s: the run ends on its own.
    expect((await t.cli(['wait', String(pid)], { env, timeoutMs: 60_000 })).code).toBe(0);

    const tried = await tryOn(String(pid));
    expect(tried.runs).toEqual([{ source: `process ${pid}`, calls: 4 }]);
    expect(tried.counts).toEqual({ same: 1, 'allow→deny': 1, 'deny→allow': 1, 'ask→allow': 1 });
    const byCall = tried.rows.map((r) => [r.call, r.before.verdict, r.after.verdict, r.before.rule, r.after.rule]);
    expect(byCall).toEqual([
      ['FS_WRITE', 'allow', 'deny', null, 'deny: "fs.write:/a.txt"'],
      ['EXEC_CMD', 'deny', 'allow', 'deny: "exec:rm *"', 'allow: "exec:rm *"'],
      ['FS_WRITE', 'ask', 'allow', 'ask: "fs.write:/ask/**"', null],
    ]);
    expect(tried.rows[2]?.before.answer).toBe('expired');
    expect(tried.rows[0]?.shown).toBe('path /a.txt · content 1 byte: x');
    expect(tried.rows.every((r) => r.pid === pid)).toBe(true);

    // The same, as a person reads it.
    const human = await t.cli(['policy', 'check', candidate, '--against', String(pid)], { env });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('counts: 1 same, 1 allow→deny, 1 ask→allow, 1 deny→allow');
    expect(human.stdout).toContain(`pid ${pid} turn 0 call 1  deny → allow  (deny: "exec:rm *" → allow: "exec:rm *")`);
    expect(human.stdout).toContain(
      `pid ${pid} turn 0 call 2  ask (expired) → allow  (ask: "fs.write:/ask/**" → no rule)`,
    );

    // Every process started in the last hour: this run among them, counted alike.
    const since = await publishedJson<Tried>(
      (args) => t.cli(args, { env }),
      ['policy', 'check', candidate, '--since', '1h'],
      'policy-try',
    );
    expect(since.runs).toContainEqual({ source: `process ${pid}`, calls: 4 });

    // The policy in force tried on its own run changes nothing.
    const same = await t.cli(['policy', 'check', inForce, '--against', String(pid), '--json'], { env });
    expect((JSON.parse(same.stdout) as Tried).counts).toEqual({ same: 4 });
  }, 90_000);

  it("tries a replay tape's calls, set beside the policy in force's decision", async () => {
    const tape = await recordedTape();
    const tried = await tryOn(tape);
    expect(tried.runs).toEqual([{ source: `tape ${tape}`, calls: 4 }]);
    expect(tried.counts).toEqual({ same: 2, 'allow→deny': 1, 'deny→allow': 1 });
    expect(tried.rows.map((r) => [r.agent, r.call, r.before.verdict, r.after.verdict])).toEqual([
      ['recorded.yaml:main', 'FS_WRITE', 'allow', 'deny'],
      ['recorded.yaml:main', 'EXEC_CMD', 'deny', 'allow'],
    ]);
  }, 60_000);

  it('refuses a bad candidate with its line, and an unknown process, before trying anything', async () => {
    const bad = path.join(t.home, 'bad.yaml');
    await writeFile(bad, policy('  - maybe: "fs.write:/**"'));
    const run = await t.cli(['policy', 'check', bad, '--against', '1'], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(bad);
    const missing = await t.cli(['policy', 'check', candidate, '--against', '99999'], { env });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('no such process 99999');
  }, 60_000);
});

describe('aos policy apply', () => {
  it('refuses a file not checked as it is, applies a checked one, and the kernel enforces it', async () => {
    const unchecked = path.join(t.home, 'unchecked.yaml');
    await writeFile(unchecked, policy('  - deny: "fs.write:/other/**"'));
    const refused = await t.cli(['policy', 'apply', unchecked], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('was not checked on past runs');

    const tape = await recordedTape();
    await tryOn(tape);
    // Changed after its check: refused again.
    await appendFile(candidate, '# edited after the check\n');
    expect((await t.cli(['policy', 'apply', candidate], { env })).stderr).toContain('was not checked on past runs');
    await tryOn(tape);

    const applied = await publishedJson(
      (args) => t.cli(args, { env, timeoutMs: 30_000 }),
      ['policy', 'apply', candidate],
      'policy-apply',
    );
    expect(applied).toMatchObject({
      file: inForce,
      changed: true,
      reloaded: true,
      error: null,
      counts: { same: 2, 'allow→deny': 1, 'deny→allow': 1 },
    });
    const shown = JSON.parse((await t.cli(['policy', 'show', '--json'], { env })).stdout) as {
      rules: Array<{ capability: string }>;
    };
    expect(shown.rules.map((r) => r.capability)).toEqual(['fs.write:/a.txt', 'exec:rm *']);
    const model = await t.tape({ root: [WRITE('/a.txt'), EXIT] });
    const run = await t.cli(['spawn', 'again', '--model', model], { env, timeoutMs: 60_000 });
    expect(run.stdout).toContain('FS_WRITE was refused by the policy rule deny: "fs.write:/a.txt"');
  }, 90_000);
});
