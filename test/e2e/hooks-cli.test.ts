/**
 * Policy hooks (issue 53.2) end to end, through the real daemon and CLI with replay tapes: a
 * `before` hook's veto reaches the agent with its reason and the file is not written; an `after`
 * hook's notice reaches the model's next context (the tape's `expect` reads it there); a hook that
 * hangs is cut at its timeout and refuses (fail closed); a flooding one is killed and the call's
 * result is left as it was; a hook is given the call with `{{secret:…}}` as written, never the
 * value; every run is on the audit trail.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const ready = Boolean(await findBwrap());
if (!ready) console.log('bwrap is missing: policy hooks end to end are skipped (hooks run in the exec sandbox)');

const SECRET = 'hk_live_0123456789abcdef';
const CALL = (name: string, args: Record<string, unknown>): string => `[SYS_CALL::${name}] ${JSON.stringify(args)}`;
const EXIT = '[SYS_CALL::SYS_EXIT] {"code":0}';

const HOOKS: Record<string, string> = {
  'guard.sh': `#!/bin/sh\njq -c '{veto: ("guarded/ is frozen today, not " + .args.path)}'\n`,
  'lint.sh': `#!/bin/sh\njq -r '"lint: " + (.args.content | split("\\n") | length | tostring) + " lines in " + .args.path + ", var is banned"'\n`,
  'hang.sh': '#!/bin/sh\nsleep 600\n',
  'flood.sh': '#!/bin/sh\nyes flooding-the-kernel-with-output\n',
  'spy.sh': '#!/bin/sh\ncat\necho\nenv\ntr "\\0" "\\n" < /proc/1/environ\nexit 3\n',
};

let t: TestHome;
let env: NodeJS.ProcessEnv;
let ws: string;
let policyFile: string;
let policyText: string;
beforeAll(async () => {
  t = await makeHome();
  ws = t.env.AOS_WORKSPACE as string;
  const dir = path.join(t.home, 'hooks');
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(HOOKS)) {
    await writeFile(path.join(dir, name), text);
    await chmod(path.join(dir, name), 0o755);
  }
  policyFile = path.join(t.home, 'hooks-policy.yaml');
  policyText = `version: 1
root:
  capabilities: ["fs.read:/**", "fs.write:/**", "net.fetch:api.example.com"]
secrets:
  API_TOKEN: {from_env: HOOK_TEST_TOKEN, hosts: [api.example.com]}
hooks:
  guard:
    before: [FS_WRITE]
    match: {path: "/guarded/**"}
    run: [${dir}/guard.sh]
  lint:
    after: [FS_WRITE]
    match: {path: "/src/**/*.ts"}
    run: [${dir}/lint.sh]
  slow:
    before: [FS_WRITE]
    match: {path: "/slow/**"}
    run: [${dir}/hang.sh]
    timeout_s: 1
  flood:
    after: [FS_WRITE]
    match: {path: "/flood/**"}
    run: [${dir}/flood.sh]
  spy:
    before: [NET_FETCH]
    run: [${dir}/spy.sh]
`;
  await writeFile(policyFile, policyText);
  env = { AOS_POLICY: policyFile, HOOK_TEST_TOKEN: SECRET };
});
afterAll(async () => {
  await t?.dispose();
});

interface AuditRow {
  call: string;
  subject: string;
  decision: string;
  rule: string | null;
  reason: string | null;
}

async function auditRows(): Promise<AuditRow[]> {
  return JSON.parse((await t.cli(['audit', '--json'], { env })).stdout) as AuditRow[];
}

describe.runIf(ready)('policy hooks through the daemon', () => {
  it('a before hook vetoes with a reason the agent reads, and the file is not written', async () => {
    const model = await t.tape({
      root: [
        CALL('FS_WRITE', { path: 'guarded/plan.txt', content: 'x' }),
        {
          expect: [
            '"errno":"EPERM"',
            'vetoed by the policy hook guard',
            'guarded/ is frozen today, not guarded/plan.txt',
          ],
          reply: EXIT,
        },
      ],
    });
    const run = await t.cli(['spawn', 'veto', '--model', model], { env, timeoutMs: 60_000 });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(existsSync(path.join(ws, 'guarded', 'plan.txt'))).toBe(false);
    const row = (await auditRows()).find((r) => r.subject === 'hook guard');
    expect(row).toMatchObject({ call: 'FS_WRITE', decision: 'deny', rule: 'hook guard (before)' });
    expect(row?.reason).toMatch(/^vetoed: guarded\/ is frozen today.*; call \d+\.\d+\.\d+; \d+ ms$/);
  });

  it("an after hook's notice reaches the model's next context", async () => {
    const model = await t.tape({
      root: [
        CALL('FS_WRITE', { path: 'src/app.ts', content: 'var a = 1;\nvar b = 2;\n' }),
        {
          expect: ['"hook_notices":[{"hook":"lint","text":"lint: 3 lines in src/app.ts, var is banned"}]'],
          reply: CALL('FS_WRITE', { path: 'notes/free.ts', content: 'no hook here' }),
        },
        { expect: '"bytes":12', reply: EXIT },
      ],
    });
    const run = await t.cli(['spawn', 'notice', '--model', model], { env, timeoutMs: 60_000 });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(readFileSync(path.join(ws, 'src', 'app.ts'), 'utf8')).toContain('var a');
    const rows = (await auditRows()).filter((r) => r.subject === 'hook lint');
    // The hook ran once: notes/free.ts does not match its path.
    expect(rows).toHaveLength(1);
    expect(rows[0]?.reason).toMatch(/^passed: exit status 0/);
  });

  it('a hook that hangs times out and refuses the call; one that floods is killed and the result stands', async () => {
    mkdirSync(path.join(ws, 'flood'), { recursive: true });
    const model = await t.tape({
      root: [
        CALL('FS_WRITE', { path: 'slow/x.txt', content: 'x' }),
        {
          expect: [
            '"errno":"EPERM"',
            'policy hook slow',
            'the hook timed out after 1000 ms (a hook that fails refuses)',
          ],
          reply: CALL('FS_WRITE', { path: 'flood/y.txt', content: 'kept' }),
        },
        { expect: '[SYS_RESULT::FS_WRITE] {"ok":true,"value":{', reply: EXIT },
      ],
    });
    const run = await t.cli(['spawn', 'bad-hooks', '--model', model], { env, timeoutMs: 60_000 });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(existsSync(path.join(ws, 'slow', 'x.txt'))).toBe(false);
    expect(readFileSync(path.join(ws, 'flood', 'y.txt'), 'utf8')).toBe('kept');
    const rows = await auditRows();
    expect(rows.find((r) => r.subject === 'hook slow')?.reason).toMatch(/^failed: timed out after 1000 ms/);
    expect(rows.find((r) => r.subject === 'hook flood')?.reason).toMatch(/^failed: flooded its output past \d+ bytes/);
  });

  it('a hook is given the call as written, {{secret:…}} and all, never the value nor the kernel environment', async () => {
    const model = await t.tape({
      root: [
        CALL('NET_FETCH', {
          url: 'https://api.example.com/v1/me',
          headers: { Authorization: 'Bearer {{secret:API_TOKEN}}' },
        }),
        { expect: ['"errno":"EPERM"', 'vetoed by the policy hook spy', 'PATH=/usr/local/bin'], reply: EXIT },
      ],
    });
    const run = await t.cli(['spawn', 'spied', '--model', model], { env, timeoutMs: 60_000 });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const reason = (await auditRows()).find((r) => r.subject === 'hook spy')?.reason ?? '';
    // What the hook printed: its stdin (the call) and its environment.
    expect(reason).toContain('"Authorization":"Bearer {{secret:API_TOKEN}}"');
    expect(reason).toContain('"syscall":"NET_FETCH"');
    expect(reason).toContain('PATH=/usr/local/bin');
    expect(reason).not.toContain(SECRET);
    expect(reason).not.toContain('HOOK_TEST_TOKEN');
    expect(reason).not.toContain('AOS_HOME');
  });

  it('an edit of the policy file adds a hook from the next call on', async () => {
    const before = await t.tape({ root: [CALL('FS_WRITE', { path: 'late/a.txt', content: 'a' }), EXIT] });
    expect((await t.cli(['spawn', 'before-edit', '--model', before], { env, timeoutMs: 60_000 })).code).toBe(0);
    expect(existsSync(path.join(ws, 'late', 'a.txt'))).toBe(true);
    const shown = async (): Promise<string> =>
      (JSON.parse((await t.cli(['policy', 'show', '--json'], { env })).stdout) as { loaded_at: string }).loaded_at;
    const loaded = await shown();
    await writeFile(
      policyFile,
      `${policyText}  late:\n    before: [FS_WRITE]\n    match: {path: "/late/**"}\n    run: [${t.home}/hooks/guard.sh]\n`,
    );
    await until(async () => (await shown()) !== loaded, 15_000, 'the edit applied');
    const after = await t.tape({
      root: [
        CALL('FS_WRITE', { path: 'late/b.txt', content: 'b' }),
        { expect: ['vetoed by the policy hook late', 'not late/b.txt'], reply: EXIT },
      ],
    });
    const run = await t.cli(['spawn', 'after-edit', '--model', after], { env, timeoutMs: 60_000 });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(existsSync(path.join(ws, 'late', 'b.txt'))).toBe(false);
  });

  it('aos policy check refuses a hook whose program is missing or whose pattern could never match', async () => {
    const bad = path.join(t.home, 'bad-hooks.yaml');
    await writeFile(
      bad,
      `version: 1
root: {capabilities: ["fs.write:/**"]}
hooks:
  gone:
    after: [FS_WRITE]
    run: [${t.home}/hooks/nowhere.sh]
  spelled:
    before: [FS_WRITE]
    match: {path: "src/*.ts"}
    run: [${t.home}/hooks/lint.sh]
  typo:
    before: [FS_WRIT]
    run: [${t.home}/hooks/lint.sh]
`,
    );
    const check = await t.cli(['policy', 'check', bad, '--json'], { env });
    expect(check.code).not.toBe(0);
    const out = check.stdout + check.stderr;
    expect(out).toContain('hook gone: run:');
    expect(out).toContain('does not exist');
    expect(out).toContain('hook spelled: match.path: a path pattern starts with /');
    expect(out).toContain('hook typo: before: no syscall named FS_WRIT');
  });
});
