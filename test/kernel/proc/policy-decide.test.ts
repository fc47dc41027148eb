import { describe, expect, it } from 'vitest';
import { decideCall } from '../../../kernel/proc/policy-decide.js';
import { parsePolicy } from '../../../kernel/proc/policy.js';

const POLICY = `version: 1
root: {capabilities: [exec, "fs.write:/**", "net.fetch:*.github.com", spawn]}
rules:
  - ask: "exec:git push*"
  - deny: "exec:rm *"
  - allow: "exec:git status"
  - ask: "fs.write:/src/**"
  - deny: "net.fetch:evil.github.com"
  - ask: spawn
`;
const { rules } = parsePolicy(POLICY, 'p.yaml').safety;
const exec = (cmd: string) => decideCall(rules, 'exec', { cmd });

describe('exec rules on the parsed command line', () => {
  it.each([
    ['git status', 'allow'],
    ['ls -la', 'allow'],
    ['git push origin main', 'ask'],
    ['rm -rf /workspace', 'deny'],
    ['rm', 'deny'],
  ])('%s -> %s', (cmd, verdict) => {
    expect(exec(cmd)?.verdict).toBe(verdict);
  });

  // Every way of hiding a denied `rm` (or an asked `git push`) behind something harmless.
  it.each([
    'true; rm -rf x',
    'true && rm -rf x',
    'false || rm -rf x',
    'cat a | rm -rf x',
    'echo $(rm -rf x)',
    'echo `rm -rf x`',
    'echo "$(rm -rf x)"',
    'eval "rm -rf x"',
    'eval rm -rf x',
    "sh -c 'rm -rf x'",
    "bash -c 'true; rm -rf x'",
    "bash -lc \"echo hi && rm -rf x\"",
    "sh -c \"sh -c 'rm -rf x'\"",
    'true\nrm -rf x',
    '(rm -rf x)',
    '{ rm -rf x; }',
    'true & rm -rf x',
    '/bin/rm -rf x',
    '\\rm -rf x',
    "r''m -rf x",
    '"rm" -rf x',
    'FOO=1 rm -rf x',
    'env FOO=1 rm -rf x',
    'sudo -u root rm -rf x',
    'nice -n 5 rm -rf x',
    'timeout 5 rm -rf x',
    'xargs rm -rf < list',
    'find . -name x -exec rm {} \\;',
    'if true; then rm -rf x; fi',
    'while true; do rm -rf x; done',
    'cat <(rm -rf x)',
    'echo ok > >(rm -rf x)',
    'busybox rm -rf x',
    'command rm x',
    'exec rm x',
  ])('denies the smuggled rm in %j', (cmd) => {
    // Followed, not merely unparseable: the rm rule itself decides.
    expect(exec(cmd)).toMatchObject({ verdict: 'deny', rule: 'deny: "exec:rm *"' });
    expect(exec(cmd)?.note).toBeUndefined();
  });

  it.each(['true && git push', 'echo $(git push --force)', "bash -c 'git push'", 'git status; git push'])('asks for the git push in %j', (cmd) => {
    expect(exec(cmd)?.verdict).toBe('ask');
  });

  // What the parser cannot follow gets the strictest exec rule (deny here), never allow.
  it.each([
    '$CMD -rf x',
    '"$(echo rm)" -rf x',
    'r* -rf x',
    "echo 'unterminated",
    'echo "unterminated',
    'echo $(unterminated',
    "eval \"$X\"",
    'sh script.sh',
    'curl x | sh',
    'source ./x.sh',
    '. ./x.sh',
    "$'\\x72m' -rf x",
    'case x in x) rm -rf y;; esac',
    'cat <<EOF\n$(rm -rf x)\nEOF',
  ])('treats %j by the strictest rule', (cmd) => {
    const d = exec(cmd);
    expect(d?.verdict).toBe('deny');
    expect(d?.note).toMatch(/cannot be followed/);
  });

  it('is at least ask for an unparseable line when only ask and allow rules exist', () => {
    const { rules: soft } = parsePolicy('version: 1\nroot: {capabilities: [exec]}\nrules:\n  - allow: "exec:ls"\n', 'p').safety;
    expect(decideCall(soft, 'exec', { cmd: '$X' })?.verdict).toBe('ask');
  });

  it('follows quoted here-documents and redirections without mistaking their words for commands', () => {
    expect(exec("cat > rm <<'EOF'\nrm -rf x\nEOF\necho done")?.verdict).toBe('allow');
    expect(exec('echo hi > rm 2>&1')?.verdict).toBe('allow');
    expect(exec('ls 2>/dev/null | grep rm')?.verdict).toBe('allow');
  });

  it('matches a command whose arguments are only known at run time by its name', () => {
    expect(exec('git $SUB origin')?.verdict).toBe('ask');
    expect(exec('ls *.txt')?.verdict).toBe('allow');
  });
});

describe('other rule kinds', () => {
  it('matches fs.write by path, net.fetch by host and spawn bare', () => {
    expect(decideCall(rules, 'fs.write:/src/a/b.ts', {})?.verdict).toBe('ask');
    expect(decideCall(rules, 'fs.write:/out/x', {})).toMatchObject({ verdict: 'allow', rule: null });
    expect(decideCall(rules, 'net.fetch:evil.github.com', {})?.verdict).toBe('deny');
    expect(decideCall(rules, 'net.fetch:api.github.com', {})?.verdict).toBe('allow');
    expect(decideCall(rules, 'spawn', {})).toMatchObject({ verdict: 'ask', rule: 'ask: "spawn"' });
    expect(decideCall(rules, 'timer', {})).toBeNull();
  });
});
