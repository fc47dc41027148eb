/**
 * `aos policy check --against` never shows a secret's value (issue 52.3): a run whose calls hold
 * one (an agent that learned it writes it into a path and a file), and a tape that holds one, are
 * tried through the real daemon; the rows, in --json and as printed, show `{{secret:TOK}}` only.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHome, type TestHome } from '../helpers/daemon.js';

const VALUE = 'ghp_Pt7xQ3vKm9Zz2LpY8sNc4Rb6Hj1W';
const head = `version: 1
root:
  capabilities: ["fs.read:/**", "fs.write:/**", "net.fetch:127.0.0.1"]
secrets:
  TOK: {from_env: AOS_TEST_TRY_TOK, hosts: ["127.0.0.1"]}
`;
const LEAK = `[SYS_CALL::FS_WRITE] {"path":"/leak/${VALUE}.txt","content":"token ${VALUE}"}`;
const EXIT = '[SYS_CALL::SYS_EXIT] {"code":0}';

let t: TestHome;
let env: NodeJS.ProcessEnv;
let candidate: string;
beforeAll(async () => {
  t = await makeHome();
  const inForce = path.join(t.home, 'policy-in-force.yaml');
  candidate = path.join(t.home, 'candidate.yaml');
  await writeFile(inForce, head);
  await writeFile(candidate, `${head}rules:\n  - deny: "fs.write:/leak/**"\n`);
  env = { AOS_POLICY: inForce, AOS_TEST_TRY_TOK: VALUE };
  expect((await t.cli(['kernel', 'start'], { env })).code).toBe(0);
});
afterAll(async () => {
  await t.dispose();
});

describe('a candidate tried on runs that hold a secret', () => {
  it("shows each differing call with the secret's name, never its value", async () => {
    const model = await t.tape({ root: [LEAK, EXIT] });
    const spawned = await t.cli(['spawn', 'leak', '--model', model, '--detach', '--json'], { env });
    const pid = (JSON.parse(spawned.stdout) as { pid: number }).pid;
    expect((await t.cli(['wait', String(pid)], { env, timeoutMs: 60_000 })).code).toBe(0);
    const tape = path.join(t.home, 'leak.yaml');
    await writeFile(tape, YAML.stringify({ agents: { [`agent-${VALUE}`]: [LEAK] } }));

    for (const against of [String(pid), tape]) {
      const json = await t.cli(['policy', 'check', candidate, '--against', against, '--json'], { env });
      expect(json.code, json.stderr).toBe(0);
      const tried = JSON.parse(json.stdout) as { counts: Record<string, number>; rows: Array<{ shown: string }> };
      expect(tried.counts['allow→deny'], against).toBe(1);
      expect(tried.rows[0]?.shown).toContain('{{secret:TOK}}');
      const human = await t.cli(['policy', 'check', candidate, '--against', against], { env });
      for (const out of [json.stdout, json.stderr, human.stdout, human.stderr]) expect(out).not.toContain(VALUE);
    }
  }, 90_000);
});
