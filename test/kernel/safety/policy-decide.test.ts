import { describe, expect, it } from 'vitest';
import { decideCall } from '../../../kernel/safety/policy-decide.js';
import { parsePolicy } from '../../../kernel/safety/policy.js';

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
const DENY_PUSH = parsePolicy(
  'version: 1\nroot: {capabilities: [exec]}\nrules:\n  - deny: "exec:git push*"\n',
  'd.yaml',
).safety.rules;
const execDenyPush = (cmd: string) => decideCall(DENY_PUSH, 'exec', { cmd });

describe('exec rules on the parsed command line', () => {
  it.each([
    ['git status', 'allow'],
    ['ls -la', 'allow'],
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
    'bash -lc "echo hi && rm -rf x"',
    'sh -c "sh -c \'rm -rf x\'"',
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
    // Only a command whose arguments come at run time (xargs', find's {}) carries the note that says so.
    if (!/xargs|find/.test(cmd)) expect(exec(cmd)?.note).toBeUndefined();
  });

  // An ask is the exec gate's to put, per program, exactly as it will run (issue 46.5): never for a line.
  it.each([
    'git push origin main',
    'true && git push',
    'echo $(git push --force)',
    "bash -c 'git push'",
    'git status; git push',
  ])('leaves the asked git push in %j to the gate', (cmd) => {
    expect(exec(cmd)).toBeNull();
  });

  it.each([
    'git push origin main',
    'true && git push',
    'echo $(git push --force)',
    "bash -c 'git push'",
    'git status; git push',
  ])('refuses the denied git push in %j before it runs', (cmd) => {
    expect(execDenyPush(cmd)).toMatchObject({ verdict: 'deny', rule: 'deny: "exec:git push*"' });
  });

  // What the first check cannot follow is not decided before the run: it runs under the exec gate,
  // which holds every deny and ask rule at each program the line starts (test/security/exec-corpus).
  it.each([
    '$CMD -rf x',
    '"$(echo rm)" -rf x',
    'r* -rf x',
    "echo 'unterminated",
    'echo "unterminated',
    'echo $(unterminated',
    'eval "$X"',
    'sh script.sh',
    'curl x | sh',
    'source ./x.sh',
    '. ./x.sh',
    "$'\\x72m' -rf x",
    'case x in x) rm -rf y;; esac',
    'cat <<EOF\n$(rm -rf x)\nEOF',
  ])('leaves %j to the exec gate', (cmd) => {
    expect(exec(cmd)).toBeNull();
  });

  // Wrapper options that take a value, and ones that do not: each wrapper by its own table.
  it.each([
    'command -p rm x',
    'taskset -c 0 rm x',
    'chrt -o 0 rm x',
    'time -p rm x',
    '(exec -c rm x)',
    'env --unset X rm x',
    'env -u X rm x',
    'xargs --max-args 1 rm',
    'nice --adjustment 5 rm x',
    'stdbuf --output 0 rm x',
    'ionice --class 3 rm x',
    "bash -c -- 'rm x'",
    "rbash -c 'rm x'",
    "flock /tmp/l -c 'rm x'",
    "script -qc 'rm x' /dev/null",
    'timeout -s KILL 5 rm x',
    'xargs -I{} rm {}',
  ])('follows the wrapper in %j to its rm', (cmd) => {
    expect(exec(cmd)).toMatchObject({ verdict: 'deny', rule: 'deny: "exec:rm *"' });
  });

  it.each([
    'git -C dir push',
    'git -c k=v push',
    'git --no-pager push origin',
    'git --git-dir=.git push',
    'git -c alias.p=push p',
  ])("reads %j past git's global options (an alias: every rule on git)", (cmd) => {
    expect(execDenyPush(cmd)?.verdict).toBe('deny');
  });

  it('follows quoted here-documents and redirections without mistaking their words for commands', () => {
    expect(exec("cat > rm <<'EOF'\nrm -rf x\nEOF\necho done")?.verdict).toBe('allow');
    expect(exec('echo hi > rm 2>&1')?.verdict).toBe('allow');
    expect(exec('ls 2>/dev/null | grep rm')?.verdict).toBe('allow');
  });

  it('matches a command whose arguments are only known at run time by its name', () => {
    expect(execDenyPush('git $SUB origin')?.verdict).toBe('deny');
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
