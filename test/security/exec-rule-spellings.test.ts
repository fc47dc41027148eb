/**
 * Rules that mean what they say, at the exec gate (issue 46.1–46.3, 46.10), through the real
 * sandbox: rule spellings × the programs they name — bare names without ` *`, absolute paths
 * (`/bin/rm` is the file /usr/bin/rm is), programs that are scripts (npm, pip3) however they are
 * started, subcommands behind the program's own options — and an edited policy reaching a command
 * that is already running. Every case has a control: with no rule, the same command does what it
 * does, so a case that proves nothing fails.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap, isExecutableFile } from '../../drivers/exec/find-bwrap.js';
import { findGate } from '../../drivers/exec/gate/gate-binary.js';
import { runSandboxed } from '../../drivers/exec/run-sandboxed.js';
import type { ExecResult } from '../../drivers/exec/types.js';
import type { Approvals } from '../../kernel/safety/approvals.js';
import { execGateFor, type ExecGateHost } from '../../kernel/safety/exec-gate-policy.js';
import { parsePolicy } from '../../kernel/safety/policy.js';
import type { SafetyPolicy } from '../../kernel/safety/policy-rules.js';
import type { Proc } from '../../kernel/proc/proc.js';
import type { AuditTrail } from '../../kernel/store/audit.js';
import { makeTempDir, removeDir, TEST_LIMITS } from '../drivers/exec/exec-helpers.js';

const ready = Boolean((await findBwrap()) && (await findGate()));
if (!ready) console.log('bwrap or the exec gate is missing: exec rule spellings are skipped');
const has = async (file: string): Promise<boolean> => isExecutableFile(file);
const NPM = await has('/usr/bin/npm');
const PIP3 = (await has('/usr/bin/pip3')) && (await has('/usr/bin/python3'));
const GIT = await has('/usr/bin/git');

function safetyOf(rules: string[]): SafetyPolicy {
  const section = rules.length ? `rules:\n${rules.map((r) => `  - ${r}`).join('\n')}\n` : '';
  return parsePolicy(`version: 1\nroot: {capabilities: [exec]}\n${section}`, 'spellings-policy').safety;
}

interface Run {
  result: ExecResult;
  asked: unknown[];
  audits: Array<{ decision: string; subject: string; rule: string | null }>;
}

type TestHost = ExecGateHost & { asked: unknown[]; audits: Run['audits']; current: SafetyPolicy };
function hostOf(safety: SafetyPolicy | null, listeners?: Set<(p: SafetyPolicy) => void>): TestHost {
  const asked: unknown[] = [];
  const audits: Run['audits'] = [];
  const host: TestHost = {
    asked,
    audits,
    current: safety ?? safetyOf([]),
    get policy(): SafetyPolicy {
      return host.current;
    },
    audit: { record: (r: Run['audits'][number]) => audits.push(r) } as unknown as AuditTrail,
    approvals: {
      request: (_p: Proc, c: unknown) => (
        asked.push(c),
        Promise.resolve({ approved: false, reason: 'not in this test' })
      ),
    } as unknown as Approvals,
    ...(listeners ? { onReload: (l: (p: SafetyPolicy) => void) => (listeners.add(l), () => listeners.delete(l)) } : {}),
  };
  return host;
}

async function run(ws: string, cmd: string, rules: string[] | null): Promise<Run> {
  const host = hostOf(rules === null ? null : safetyOf(rules));
  const gate = rules === null ? null : execGateFor(host, { pid: 1 } as Proc, { cmd });
  const result = await runSandboxed({
    cmd,
    workspace: ws,
    limits: { ...TEST_LIMITS, wallTimeoutMs: 30_000, maxProcesses: 64 },
    ...(gate ? { gate } : {}),
  });
  return { result, asked: host.asked, audits: host.audits };
}

let ws: string;
beforeAll(async () => {
  ws = await makeTempDir('aos-spellings-');
});
afterAll(async () => {
  await removeDir(ws);
});

/** Ways of coming to run rm on a file V. */
const RM_WAYS: Array<[string, (v: string) => string]> = [
  ['bare', (v) => `rm -f ${v}`],
  ['/bin/rm', (v) => `/bin/rm -f ${v}`],
  ['/usr/bin/rm, no option', (v) => `/usr/bin/rm ${v}`],
  ['python execv', (v) => `python3 -c "import os; os.execv('/bin/rm', ['rm', '-f', '${v}'])"`],
  ['a name made at run time', (v) => `x=r; \${x}m -f ${v}`],
  ['env', (v) => `env rm -f ${v}`],
  ['find -exec', (v) => `find . -maxdepth 1 -name ${v} -exec rm {} +`],
  ['a copy', (v) => `cp /usr/bin/rm ./rm-copy-${v} && ./rm-copy-${v} -f ${v}`],
  ['a symlink', (v) => `ln -sf /usr/bin/rm ./rm-link-${v} && ./rm-link-${v} -f ${v}`],
  ['xargs', (v) => `echo ${v} | xargs rm -f`],
];

describe.runIf(ready)('rule spellings on rm hold every way rm can be run', () => {
  const RULES = [
    'deny: "exec:rm"',
    'deny: "exec:rm *"',
    'deny: "exec:/bin/rm *"',
    'deny: "exec:/usr/bin/rm"',
    'deny: "exec:/bin/rm"',
    'deny: "exec:rm -f"',
  ];

  it('the control: each way deletes its file when no rule stands in the way', async () => {
    const names = RM_WAYS.map((_w, i) => `ctl-${i}`);
    await Promise.all(names.map((n) => writeFile(path.join(ws, n), 'x')));
    await run(ws, RM_WAYS.map(([, way], i) => `(${way(names[i] as string)})`).join('\n'), null);
    expect(
      names.filter((n) => existsSync(path.join(ws, n))),
      'ways that do not delete without a rule',
    ).toEqual([]);
  }, 60_000);

  it.each(RULES)(
    '%s keeps every file',
    async (rule) => {
      const tag = rule.replace(/\W+/g, '');
      // `exec:rm -f` names an option: only the ways that pass -f are its business.
      const ways = rule.includes('-f')
        ? RM_WAYS.filter(([name]) => !['/usr/bin/rm, no option', 'find -exec'].includes(name))
        : RM_WAYS;
      const names = ways.map((_w, i) => `v-${tag}-${i}`);
      await Promise.all(names.map((n) => writeFile(path.join(ws, n), 'x')));
      const { result } = await run(ws, ways.map(([, way], i) => `(${way(names[i] as string)})`).join('\n'), [rule]);
      const deleted = ways.filter((_w, i) => !existsSync(path.join(ws, names[i] as string))).map(([name]) => name);
      expect(deleted, `ways past ${rule}`).toEqual([]);
      expect(result.refused?.length ?? 0).toBeGreaterThan(0);
    },
    60_000,
  );
});

const SCRIPT_WAYS: Record<string, string[]> = {
  npm: [
    'npm --version',
    'x=np; ${x}m --version',
    "python3 -c \"import subprocess; subprocess.call(['npm', '--version'])\"",
    'node /usr/lib/node_modules/npm/bin/npm-cli.js --version',
    'cd /usr/lib/node_modules/npm/bin && node npm-cli.js --version',
    'ln -sf /usr/bin/npm my-npm && ./my-npm --version',
    '/usr/bin/env npm --version',
    'sh -c "npm --version"',
  ],
  pip3: [
    'pip3 --version',
    'x=pi; ${x}p3 --version',
    'python3 -m pip --version',
    'python3 -I -m pip --version',
    'python3 -mpip --version',
    'python3 /usr/bin/pip3 --version',
    "python3 -c \"import subprocess; subprocess.call(['pip3', '--version'])\"",
    'cp /usr/bin/pip3 ./my-pip && python3 ./my-pip --version',
  ],
};
const VERSION: Record<string, RegExp> = { npm: /^\d+\.\d+\.\d+$/m, pip3: /^pip \d/m };

describe.runIf(ready)('a rule on a program that is a script holds however it is started', () => {
  for (const [program, ways] of Object.entries(SCRIPT_WAYS)) {
    const present = program === 'npm' ? NPM : PIP3;
    describe.runIf(present)(program, () => {
      it.each(ways)(
        `the control: %s prints ${program}'s version with no rule`,
        async (cmd) => {
          const { result } = await run(ws, cmd, null);
          expect(result.stdout).toMatch(VERSION[program] as RegExp);
        },
        60_000,
      );

      for (const rule of [
        `deny: "exec:${program}"`,
        `deny: "exec:${program} *"`,
        `deny: "exec:${program} --version"`,
      ]) {
        it.each(ways)(
          `${rule} holds against %s`,
          async (cmd) => {
            const { result, audits } = await run(ws, cmd, [rule]);
            expect(result.stdout).not.toMatch(VERSION[program] as RegExp);
            expect(result.refused?.length ?? 0).toBeGreaterThan(0);
            expect(audits.some((a) => a.decision === 'deny' && a.subject.includes(program))).toBe(true);
          },
          60_000,
        );
      }
    });
  }

  it.runIf(PIP3)(
    'a rule on a subcommand of a script leaves its other subcommands alone',
    async () => {
      const { result } = await run(ws, 'pip3 --version && python3 -m pip --version', ['deny: "exec:pip3 install*"']);
      expect(result.refused ?? []).toEqual([]);
      expect(result.stdout).toMatch(/^pip \d/m);
      const refused = await run(
        ws,
        'pip3 -q install nothing-here; python3 -m pip --no-cache-dir install nothing-here',
        ['deny: "exec:pip3 install*"'],
      );
      expect(refused.result.refused?.length).toBe(2);
    },
    60_000,
  );
});

describe.runIf(ready && GIT)("a rule on a subcommand holds behind the program's options", () => {
  it.each([
    'git commit -q --allow-empty -m x',
    'git -c user.name=x commit -q --allow-empty -m x',
    'git --no-pager -C . commit -q --allow-empty -m x',
    'git --git-dir=.git --work-tree=. commit -q --allow-empty -m x',
    "python3 -c \"import subprocess; subprocess.call(['git', '-c', 'core.pager=cat', 'commit', '-q', '--allow-empty', '-m', 'x'])\"",
    'git -c alias.ci=commit ci -q --allow-empty -m x',
  ])(
    'deny: "exec:git commit" holds against %s',
    async (cmd) => {
      const repo = await makeTempDir('aos-spellings-git-');
      try {
        const setup =
          'git init -q . && git config user.email a@a && git config user.name a && git commit -q --allow-empty -m one';
        await run(repo, setup, null);
        await run(repo, cmd, ['deny: "exec:git commit"']);
        const log = await run(repo, 'git rev-list --count HEAD', null);
        expect(log.result.stdout.trim()).toBe('1');
        // The control: without the rule the same line commits.
        await run(repo, cmd, null);
        expect((await run(repo, 'git rev-list --count HEAD', null)).result.stdout.trim()).toBe('2');
      } finally {
        await removeDir(repo);
      }
    },
    60_000,
  );
});

describe.runIf(ready)('subcommand rules on programs that cannot run here are still held at the gate', () => {
  it.each([
    ['deny: "exec:apt-get install*"', 'apt-get -q install cowsay', '/usr/bin/apt-get'],
    ['deny: "exec:apt-get install*"', 'apt-get -o Debug::NoLocking=1 install cowsay', '/usr/bin/apt-get'],
    ['deny: "exec:apt-get install*"', 'apt-get -qq -y --no-install-recommends install cowsay', '/usr/bin/apt-get'],
    ['deny: "exec:kubectl delete*"', 'kubectl -n prod delete po web', '/usr/bin/kubectl'],
    ['deny: "exec:kubectl delete pods"', 'kubectl --context c delete pod/web', '/usr/bin/kubectl'],
    ['deny: "exec:npm publish*"', 'npm --prefix /tmp publ --dry-run', '/usr/bin/npm'],
  ])(
    '%s refuses %s',
    async (rule, cmd, file) => {
      if (!(await has(file))) return;
      const { result } = await run(ws, cmd, [rule]);
      expect(result.refused?.[0]?.message).toContain(rule.slice(6));
    },
    60_000,
  );
});

describe.runIf(ready)('an edited policy reaches a command that is already running', () => {
  it('a deny added while the command sleeps holds for the programs it starts after', async () => {
    const listeners = new Set<(p: SafetyPolicy) => void>();
    const file = path.join(ws, 'late-victim');
    await writeFile(file, 'x');
    // A policy from a file (it can be edited), with no exec rule yet.
    const host = hostOf(
      parsePolicy('version: 1\nroot: {capabilities: [exec]}\n', '/etc/aos-test-policy.yaml').safety,
      listeners,
    );
    const gate = execGateFor(host, { pid: 1 } as Proc, { cmd: 'sleep…' });
    expect(gate).not.toBeNull();
    const running = runSandboxed({
      cmd: 'sleep 2; rm -f late-victim; echo done',
      workspace: ws,
      limits: { ...TEST_LIMITS, wallTimeoutMs: 30_000 },
      gate: gate!,
    });
    await new Promise((r) => setTimeout(r, 700));
    host.current = safetyOf(['deny: "exec:rm"']);
    for (const l of listeners) l(host.current);
    const result = await running;
    expect(existsSync(file)).toBe(true);
    expect(result.refused?.[0]).toMatchObject({ path: '/usr/bin/rm' });
  }, 60_000);
});
