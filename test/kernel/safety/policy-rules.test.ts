import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../../kernel/safety/policy.js';

const head = 'version: 1\nroot: {capabilities: [exec]}\n';

describe('policy rules at load', () => {
  it('parses rules, approvals and secrets', () => {
    const text = `${head}rules:\n  - ask: "exec:git push*"\n  - deny: "exec:rm *"\napprovals:\n  timeout_s: 30\nsecrets:\n  GH_TOKEN:\n    from_env: GH_TOKEN\n    hosts: ["api.github.com"]\n`;
    const { safety } = parsePolicy(text, 'p.yaml');
    expect(safety.rules.map((r) => [r.verdict, r.kind, r.pattern, r.line])).toEqual([
      ['ask', 'exec', 'git push*', 4],
      ['deny', 'exec', 'rm *', 5],
    ]);
    expect(safety.approvalTimeoutS).toBe(30);
    expect(safety.secrets).toEqual([
      {
        name: 'GH_TOKEN',
        fromEnv: 'GH_TOKEN',
        fromFile: null,
        hosts: ['api.github.com'],
        exec: [],
        mcp: [],
        channels: [],
      },
    ]);
  });

  it.each([
    ['allow: "fs.write:/**"', 'line 5', /too broad.*read-write \//],
    ['allow: "fs.write:**"', 'line 5', /too broad/],
    ['allow: "net.fetch:*"', 'line 5', /too broad.*every host/],
    ['allow: "net.fetch:*.com"', 'line 5', /top-level domain/],
    ['allow: "exec:*"', 'line 5', /every command/],
    ['ask: "root.shell"', 'line 5', /unknown kind/],
    ['ask: "spawn:x"', 'line 5', /takes no pattern/],
    ['deny: "fs.write:src/**"', 'line 5', /starts with \//],
  ])('refuses %s naming the line', (rule, line, message) => {
    const text = `${head}rules:\n  - ask: "exec:ls"\n  - ${rule}\n`;
    expect(() => parsePolicy(text, 'p.yaml')).toThrow(new RegExp(`p.yaml ${line}`));
    expect(() => parsePolicy(text, 'p.yaml')).toThrow(message);
  });

  it('accepts broad ask and deny rules: they restrict, they do not open', () => {
    const text = `${head}rules:\n  - ask: "net.fetch:*"\n  - deny: "fs.write:/**"\n  - ask: "exec:*"\n`;
    expect(parsePolicy(text, 'p').safety.rules).toHaveLength(3);
  });

  it('refuses a secret with both sources, or a broad host', () => {
    expect(() => parsePolicy(`${head}secrets:\n  A: {from_env: A, from_file: a}\n`, 'p')).toThrow(/exactly one/);
    expect(() => parsePolicy(`${head}secrets:\n  A: {from_env: A, hosts: ["*"]}\n`, 'p')).toThrow(/too broad/);
    expect(() => parsePolicy(`${head}secrets:\n  A: {from_file: ../x}\n`, 'p')).toThrow(/inside \$AOS_HOME/);
  });

  it.each([
    'bash',
    'python3',
    'env',
    'printenv',
    'cut',
    'cat',
    'base64',
    'openssl',
    'xargs',
    'g*',
    './bin/gh',
    '/usr/bin/gh',
  ])('refuses a secret for %j: it would hand the secret to the agent', (program) => {
    expect(() => parsePolicy(`${head}secrets:\n  A: {from_env: A, exec: ["${program}"]}\n`, 'p')).toThrow(
      /too broad to be meant/,
    );
  });

  // Issue 46.8: programs that compare, slice or print what they are given, or read a variable by name (each with its reason).
  it.each([
    ['git', /--config-env=x\.y=NAME.*git config --get/],
    ['expr', /compares, slices or prints its arguments/],
    ['test', /compares, slices or prints its arguments/],
    ['[', /compares, slices or prints its arguments/],
    ['echo', /compares, slices or prints its arguments/],
    ['printf', /compares, slices or prints its arguments/],
    ['curl', /curl --variable %NAME/],
    ['jq', /env\.NAME/],
    ['awk', /ENVIRON/],
    ['envsubst', /prints its environment/],
    ['ps', /prints its environment/],
    ['cmp', /\/proc\/self\/environ/],
    ['diff', /\/proc\/self\/environ/],
    ['m4', /runs what it is given/],
    ['docker', /starts other programs/],
  ])('refuses a secret for %j, with the reason', (program, why) => {
    const load = (): unknown => parsePolicy(`${head}secrets:\n  A: {from_env: A, exec: ["${program}"]}\n`, 'p');
    expect(load).toThrow(/too broad to be meant/);
    expect(load).toThrow(why);
  });

  it.each(['PATH', 'LD_PRELOAD', 'GIT_CONFIG_VALUE_0', 'BASH_ENV', 'NODE_OPTIONS'])(
    'refuses a secret for exec named %s: it goes in as $NAME',
    (name) => {
      expect(() => parsePolicy(`${head}secrets:\n  ${name}: {from_env: A, exec: [gh]}\n`, 'p')).toThrow(
        new RegExp(`may not be named ${name}: it goes to its program as \\$${name}`),
      );
      // A secret that goes to no program may be named so.
      expect(
        parsePolicy(`${head}secrets:\n  ${name}: {from_env: A, hosts: [a.example]}\n`, 'p').safety.secrets,
      ).toHaveLength(1);
    },
  );

  it('takes a secret for a narrow program, and exec.written', () => {
    const { safety } = parsePolicy(
      `${head}secrets:\n  A: {from_env: A, exec: [gh, glab]}\nexec:\n  written: allow\n`,
      'p',
    );
    expect(safety.secrets[0]?.exec).toEqual(['gh', 'glab']);
    expect(safety.execWritten).toBe('allow');
  });
});
