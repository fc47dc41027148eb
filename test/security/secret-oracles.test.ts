/**
 * Secret runs that work as oracles (issue 46.8): `git -c x.y={{secret:TOK}} config --get x.y
 * "^ghp_R"` answered each guess by its exit code, and `expr substr "{{secret:TOK}}" N 7` printed
 * the value in 7-character slices, under the mask's 8. A secret now reaches a listed program only
 * in its environment ($NAME, written `NAME={{secret:NAME}}` before the program): a placeholder
 * anywhere else — an argument, an `--opt=` value, a quoted word, another variable, split by quotes,
 * escaped or encoded — is refused at call time with the spelling that works, and a program that
 * compares, slices or prints what it is given, or reads a variable named in its arguments, is
 * refused when the policy loads, with the reason. A legit run still gets $NAME.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { findGate } from '../../drivers/exec/gate/gate-binary.js';
import { Kernel } from '../../kernel/kernel.js';
import { parsePolicy } from '../../kernel/safety/policy.js';
import type { SecretSpec } from '../../kernel/safety/policy-secrets.js';
import { SecretBox } from '../../kernel/safety/secrets.js';
import type { KernelEvent } from '../../protocol/events.js';
import { call, EXIT } from '../helpers/kernel-harness.js';
import { leakForms } from './leak-forms.js';

const VALUE = 'ghp_R2d9Xk7QmZ4tLw8NvB3c';
const ready = Boolean((await findBwrap()) && (await findGate()));
if (!ready) console.log('bwrap or the exec gate is missing: the secret oracle runs are skipped');

const head = 'version: 1\nroot: {capabilities: [exec]}\n';
const spec = (exec: string[], hosts: string[] = []): SecretSpec => ({
  name: 'T',
  fromEnv: 'AOS_ORACLE_T',
  fromFile: null,
  hosts,
  exec,
  mcp: [],
  channels: [],
});
/** Specs built by hand list programs the policy refuses: even then, no placeholder reaches an argument. */
const box = (exec: string[], hosts: string[] = []): Promise<SecretBox> =>
  SecretBox.load([spec(exec, hosts)], '/nonexistent', { AOS_ORACLE_T: VALUE });
const def = (name: string) => ({ name }) as Parameters<SecretBox['substitute']>[0]['def'];
const exec = async (cmd: string, programs = ['git', 'expr', 'true', 'gh', 'printenv']) =>
  (await box(programs)).substitute({ def: def('EXEC_CMD'), args: { cmd }, capability: null });

/** The issue's oracles and other spellings of a placeholder outside the environment. */
const REFUSED_AT_CALL: Array<[string, string, RegExp]> = [
  [
    'the git config oracle',
    'git -c x.y={{secret:T}} config --get x.y "^ghp_R"',
    /not in the argument "x\.y=\{\{secret:T\}\}", where the program could compare, slice or print it/,
  ],
  [
    'the git config oracle, another guess',
    'git -c x.y={{secret:T}} config --get x.y "^zzz"',
    /not in the argument "x\.y=\{\{secret:T\}\}", where the program could compare, slice or print it/,
  ],
  ['the expr substr oracle', 'expr substr "{{secret:T}}" 1 7', /not in the argument "\{\{secret:T\}\}"/],
  [
    'the expr oracle beside the environment',
    'T={{secret:T}} expr substr "{{secret:T}}" 8 7',
    /not in the argument "\{\{secret:T\}\}"/,
  ],
  ['an argument', 'T={{secret:T}} true {{secret:T}}', /not in the argument/],
  ['an --opt= value', 'T={{secret:T}} true --token={{secret:T}}', /not in the argument "--token=\{\{secret:T\}\}"/],
  [
    'a quoted word',
    `T={{secret:T}} true "Authorization: token {{secret:T}}"`,
    /not in the argument "Authorization: token \{\{secret:T\}\}"/,
  ],
  ['a single-quoted word', `T={{secret:T}} true '{{secret:T}}'`, /not in the argument/],
  ['a placeholder split by quotes', `T={{secret:T}} true {{sec""ret:T}}`, /not in the argument "\{\{secret:T\}\}"/],
  [
    'a placeholder split by quotes, alone',
    `true {{sec""ret:T}}`,
    /split by quotes, escaped or encoded is never filled in/,
  ],
  ['a placeholder split by single quotes, alone', `true '{{sec'ret:T}}`, /never filled in/],
  ['a %-escaped placeholder', 'true %7B%7Bsecret:T%7D%7D', /never filled in/],
  [
    'a %-escaped placeholder beside the environment',
    'T={{secret:T}} true %7B%7Bsecret:T%7D%7D',
    /not in the argument "%7B%7Bsecret:T%7D%7D"/,
  ],
  ['a \\x-escaped placeholder', `printf '\\x7b\\x7bsecret:T\\x7d\\x7d'`, /never filled in/],
  [
    'a placeholder in another variable',
    'GIT_CONFIG_VALUE_0={{secret:T}} git config --get x.y "^g"',
    /puts it in another variable, \$GIT_CONFIG_VALUE_0/,
  ],
  [
    'a placeholder under another name',
    'TOKEN={{secret:T}} true',
    /write T=\{\{secret:T\}\} before the program.*another variable, \$TOKEN/,
  ],
  ['a placeholder beside other text', 'T=ghp_{{secret:T}} true', /beside other text/],
  [
    'a variable beside the secret',
    'GIT_CONFIG_COUNT=1 T={{secret:T}} git config --get x.y',
    /GIT_CONFIG_COUNT= would change which code runs/,
  ],
  ['any other variable', 'GH_HOST=x T={{secret:T}} true', /GH_HOST= sets a variable/],
  [
    "gh's --jq, which reads the environment",
    'T={{secret:T}} gh api user --jq env.T',
    /may not use "--jq": gh's --jq \(-q\) reads the environment/,
  ],
  ["gh's -q", 'T={{secret:T}} gh api user -q "env.T[0:4]"', /may not use "-q"/],
];

describe('secret oracles, at the call', () => {
  it.each(REFUSED_AT_CALL)(
    'refuses %s (EPERM, with the reason and the spelling that works)',
    async (_what, cmd, why) => {
      const out = await exec(cmd);
      expect(out).toMatchObject({ refused: { ok: false, errno: 'EPERM' } });
      const message = (out as { refused: { message: string } }).refused.message;
      expect(message).toMatch(why);
      expect(message).toMatch(
        /a secret goes to a program only in its environment: write \w+=\{\{secret:\w+\}\} before the program|one program and plain arguments|a command line with a secret may not use/,
      );
      expect(message).not.toContain(VALUE.slice(0, 5));
    },
  );

  it('answers two guesses alike: no bit of the value in whether or how a call is refused', async () => {
    const a = await exec('git -c x.y={{secret:T}} config --get x.y "^ghp_R"');
    const b = await exec('git -c x.y={{secret:T}} config --get x.y "^zzzzz"');
    expect(a).toEqual(b);
  });

  it('puts the value in the environment only, and every argument as written', async () => {
    const out = await exec('T={{secret:T}} true api user --header "Accept: x"');
    // The secret run goes beside the arguments (the call's context), never in them: the command runs with its arguments as written.
    expect(out).toMatchObject({
      context: {
        secretRun: {
          argv: ['true', 'api', 'user', '--header', 'Accept: x'],
          env: { T: VALUE },
          programs: ['git', 'expr', 'true', 'gh', 'printenv'],
        },
      },
    });
    expect(out).not.toHaveProperty('args');
    expect(
      JSON.stringify((out as { context: { secretRun: { argv: string[] } } }).context.secretRun.argv),
    ).not.toContain(VALUE);
  });

  it('still fills a header of NET_FETCH to a listed host (a header is where the value is used)', async () => {
    const out = (await box([], ['api.example.com'])).substitute({
      def: def('NET_FETCH'),
      args: { url: 'https://api.example.com/user', headers: { authorization: 'token {{secret:T}}' } },
      capability: null,
    });
    expect(out).toMatchObject({
      args: { headers: { authorization: `token ${VALUE}` } },
      context: { originBound: ['authorization'] },
    });
  });
});

describe('secret oracles, at policy load', () => {
  it.each([
    [
      'git',
      /git reads an environment variable into its configuration on request \(--config-env=x\.y=NAME, GIT_CONFIG_\*\), which `git config --get x\.y <regex>` compares by its exit code/,
    ],
    ['expr', /compares, slices or prints its arguments/],
    ['test', /compares, slices or prints its arguments/],
    ['[', /compares, slices or prints its arguments/],
    ['printf', /compares, slices or prints its arguments/],
    ['curl', /curl --variable %NAME/],
    ['jq', /env\.NAME, \$ENV/],
    ['awk', /ENVIRON\["NAME"\]/],
    ['cmp', /\/proc\/self\/environ holds the value/],
    ['ps', /prints its environment/],
  ])('refuses a secret for %j, saying why', (program, why) => {
    const load = (): unknown => parsePolicy(`${head}secrets:\n  T: {from_env: T, exec: ["${program}"]}\n`, 'p.yaml');
    expect(load).toThrow(new RegExp(`secret T: exec "${program.replace('[', '\\[')}" is too broad to be meant`));
    expect(load).toThrow(why);
  });

  it('takes a program that reads the secret from its environment itself', () => {
    expect(
      parsePolicy(`${head}secrets:\n  GH_TOKEN: {from_env: GH_TOKEN, exec: [gh]}\n`, 'p.yaml').safety.secrets[0]?.exec,
    ).toEqual(['gh']);
  });
});

describe.runIf(ready)('secret oracles, through a kernel', () => {
  it('refuses the oracles at the call, runs the listed program with $T only, and leaves no form of the value behind', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-oracles-'));
    const calls = [
      call('EXEC_CMD', { cmd: 'git -c x.y={{secret:T}} config --get x.y "^ghp_R"' }),
      call('EXEC_CMD', { cmd: 'expr substr "{{secret:T}}" 1 7' }),
      call('EXEC_CMD', { cmd: 'T={{secret:T}} expr substr "{{secret:T}}" 8 7' }),
      call('EXEC_CMD', { cmd: 'echo {{sec""ret:T}}' }),
      call('EXEC_CMD', { cmd: 'T={{secret:T}} true' }),
      // printenv stands in for a program that uses $T (the policy refuses it; the spec here lists it by hand).
      call('EXEC_CMD', { cmd: 'T={{secret:T}} printenv T' }),
    ];
    await writeFile(path.join(dir, 'tape.yaml'), YAML.stringify({ agents: { root: [calls.join('\n'), EXIT] } }));
    const kernel = await Kernel.create({
      workspace: path.join(dir, 'ws'),
      rootCapabilities: ['fs.read:/**', 'fs.write:/**', 'exec'],
      cwd: dir,
      storeFile: path.join(dir, 'aos.db'),
      safety: parsePolicy(`${head}secrets:\n  T: {from_env: AOS_ORACLE_T, exec: ["true"]}\n`, 'p').safety,
      secrets: await box(['git', 'expr', 'true', 'printenv']),
    });
    const events: KernelEvent[] = [];
    kernel.events.subscribe((e) => events.push(e));
    const pcb = await kernel.spawn({ task: 't', model: `replay:${path.join(dir, 'tape.yaml')}` });
    await kernel.waitExit(pcb.pid);
    await kernel.shutdown();
    const results = events.filter(
      (e): e is Extract<KernelEvent, { type: 'result' }> => e.type === 'result' && e.name === 'EXEC_CMD',
    );
    expect(results.map((r) => r.ok || r.errno)).toEqual(['EPERM', 'EPERM', 'EPERM', 'EPERM', true, true]);
    for (const r of results.slice(0, 3))
      expect(r.message).toMatch(/only in its environment: write T=\{\{secret:T\}\} before the program/);
    expect(results[3]?.message).toMatch(/never filled in/);
    expect(results[4]).toMatchObject({ ok: true, value: { exit_code: 0, stdout: '' } });
    // The program got $T, and what it printed of it came back masked.
    expect(results[5]).toMatchObject({ ok: true, value: { exit_code: 0, stdout: '[secret T]\n' } });
    const seen = JSON.stringify(events);
    for (const form of leakForms(VALUE)) expect(seen.includes(form), `events hold ${JSON.stringify(form)}`).toBe(false);
    await rm(dir, { recursive: true, force: true });
  }, 60_000);
});
