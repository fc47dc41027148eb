/**
 * No rule matches nothing (issue 46.1): a corpus of rules that could never match — for exec, fs,
 * net, channel, thread and MCP rules alike — each refused when the policy loads, with the reason
 * and the spelling that works; rules that mean one thing in other spellings are put in the one
 * calls are compared in; what holds differently from what a reader might assume is a note.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../../kernel/safety/policy.js';
import { decideCall } from '../../../kernel/safety/policy-decide.js';

const MCP = 'mcp:\n  servers:\n    github: {url: "http://127.0.0.1:9/mcp"}\n    files: {command: node, args: [x.js]}\n';
const load = (rules: string[]) =>
  parsePolicy(
    `version: 1\nroot: {capabilities: [exec]}\n${MCP}rules:\n${rules.map((r) => `  - ${r}`).join('\n')}\n`,
    'never.yaml',
  ).safety;
// An executable the sandbox never sees: it runs programs from /usr, /bin, /sbin and /lib only.
const OUTSIDE = path.join(mkdtempSync(path.join(os.tmpdir(), 'aos-rule-check-')), 'tool');
writeFileSync(OUTSIDE, '#!/bin/sh\n', { mode: 0o755 });

/** [rule, what the refusal must say]. */
const NEVER: Array<[string, RegExp]> = [
  ['deny: "exec:/usr/bin/no-such-program *"', /no file on this host/],
  ['deny: "exec:/workspace/tool"', /file in the workspace/],
  ['deny: "exec:./rm"', /relative/],
  ['deny: "exec:bin/rm *"', /relative/],
  ['deny: "exec:/usr/bin/rm*"', /wildcard/],
  ['deny: "exec:/etc/passwd"', /not an executable file/],
  [`deny: "exec:${OUTSIDE}"`, /not visible in the sandbox/],
  ['deny: "exec:cd *"', /bash builtin/],
  ['deny: "exec:export"', /bash builtin/],
  ['deny: "exec:source *"', /bash builtin/],
  ['deny: "exec:kill *"', /bash builtin/],
  ['deny: "exec:echo"', /bash builtin/],
  ['deny: "exec:FOO=1 rm"', /variable assignment/],
  ['deny: "exec:git \\"push"', /unterminated/],
  ['deny: "exec:git \\"\\""', /empty argument/],
  ['deny: "fs.write:/src/"', /fs.write:\/src\/\*\*/],
  ['deny: "fs.read:/private//key"', /fs.read:\/private\/key/],
  ['deny: "fs.read:/a/./b"', /fs.read:\/a\/b/],
  ['deny: "fs.write:/src\\\\a.js"', /backslash/],
  ['deny: "fs.write:/src/{a,b}.js"', /not wildcards/],
  ['deny: "fs.write:/src/[ab].js"', /not wildcards/],
  ['deny: "net.fetch:https://evil.com/"', /net.fetch:evil.com/],
  ['deny: "net.fetch:evil.com/path"', /not a host/],
  ['deny: "net.fetch:evil.com:443"', /names a port/],
  ['deny: "net.fetch:{a,b}.evil.com"', /not wildcards/],
  ['ask: "mcp:gitlab/*"', /no MCP server named "gitlab"/],
  ['ask: "mcp:nothing*"', /no MCP server matching/],
  ['deny: "thread:Client:*"', /lower-case.*thread:client:\*/],
  ['deny: "thread:client acme"', /characters no thread key has/],
  ['deny: "channel:Telegram"', /not a channel name/],
  ['deny: "channel:tg/"', /empty part/],
];

describe('a rule that could never match is refused with the spelling that works', () => {
  it.each(NEVER)('%s', (rule, why) => {
    expect(() => load([rule])).toThrow(why);
  });

  it('names every refused rule and its line at once', () => {
    expect(() => load(['deny: "exec:cd"', 'deny: "fs.write:/src/"', 'ask: "mcp:gitlab"'])).toThrow(
      /3 rules refused:[\s\S]*line \d+[\s\S]*line \d+[\s\S]*line \d+/,
    );
  });
});

describe('a rule is compared in the spelling calls are', () => {
  it('hosts in capitals, Unicode, with a trailing dot or as an alternative address form', () => {
    const { rules } = load([
      'deny: "net.fetch:Evil.COM"',
      'deny: "net.fetch:bücher.example"',
      'deny: "net.fetch:dot.example."',
      'deny: "net.fetch:2130706433"',
      'deny: "net.fetch:*.Bad.Example"',
    ]);
    expect(rules.map((r) => r.pattern)).toEqual([
      'evil.com',
      'xn--bcher-kva.example',
      'dot.example',
      '127.0.0.1',
      '*.bad.example',
    ]);
    expect(decideCall(rules, 'net.fetch:evil.com', {})?.verdict).toBe('deny');
    expect(decideCall(rules, 'net.fetch:x.bad.example', {})?.verdict).toBe('deny');
  });

  it('a bare MCP server is every tool of it', () => {
    const { rules } = load(['ask: "mcp:github"']);
    expect(decideCall(rules, 'mcp:github/create_issue', {})?.verdict).toBe('ask');
  });

  it('thread rules hold on thread keys', () => {
    const { rules } = load(['deny: "thread:payroll:**"']);
    expect(decideCall(rules, 'thread:payroll:2026', {})?.verdict).toBe('deny');
    expect(decideCall(rules, 'thread:client:acme', {})?.verdict).toBe('allow');
  });

  it('exec rules on a program by name, by path, and with no arguments all load', () => {
    expect(() =>
      load([
        'deny: "exec:rm"',
        'deny: "exec:/bin/rm *"',
        'deny: "exec:/usr/bin/rm"',
        'ask: "exec:git push"',
        'deny: "exec:python3*"',
      ]),
    ).not.toThrow();
  });
});

describe('what holds differently from a first reading is a note', () => {
  it('a program not installed, a subcommand of a program whose options aos does not know, kubectl types', () => {
    const { notes } = load([
      'deny: "exec:no-such-tool-here *"',
      'deny: "exec:mytool deploy"',
      'deny: "exec:kubectl delete pods"',
      'ask: "fs.write:/workspace/src/**"',
    ]);
    expect(notes.join('\n')).toMatch(/no program called no-such-tool-here is installed/);
    expect(notes.join('\n')).toMatch(/does not know mytool's options/);
    expect(notes.join('\n')).toMatch(/kubectl reads the resources of -f/);
    expect(notes.join('\n')).toMatch(/directory called "workspace"/);
  });

  it('a known grammar has no note', () => {
    expect(load(['deny: "exec:git push"', 'deny: "exec:apt-get install*"', 'deny: "exec:npm publish"']).notes).toEqual(
      [],
    );
  });
});

describe('a call is compared in the same spelling', () => {
  it("NET_FETCH's host drops a trailing dot and case, as DNS does", async () => {
    const { default: netFetch } = await import('../../../syscalls/net-fetch.js');
    const capability = netFetch.capability as unknown as { of: (args: { url: string }) => string };
    expect(capability.of({ url: 'http://Evil.COM./x' })).toBe('net.fetch:evil.com');
    expect(capability.of({ url: 'http://evil.com../x' })).toBe('net.fetch:evil.com');
  });
});

describe('an allow rule a stricter one covers', () => {
  it('is a note: the strictest matching rule wins', () => {
    const { notes } = load([
      'allow: "exec:git status"',
      'ask: "exec:git"',
      'allow: "fs.write:/src/gen/**"',
      'deny: "fs.write:/src/**"',
    ]);
    expect(notes.filter((n) => /never takes effect/.test(n))).toHaveLength(2);
  });
});
