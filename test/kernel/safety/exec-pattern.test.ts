/**
 * What an exec rule matches (issue 46.1, 46.3): a rule means what a person reading it expects —
 * `exec:rm` is rm with any arguments, `exec:git push` every push — and a rule naming a subcommand
 * finds it wherever the program's own grammar puts it, behind global options, in an alias or an
 * abbreviation the program accepts. A generated corpus: rule spellings × commands.
 */
import { describe, expect, it } from 'vitest';
import { matchArgv, parseExecPattern, patternWords } from '../../../kernel/safety/exec-pattern.js';
import { readArgv } from '../../../kernel/safety/exec-grammar.js';
import { npmCommand } from '../../../kernel/safety/exec-grammars.js';

const CAP = 64;
function meets(rule: string, line: string): boolean {
  const pattern = parseExecPattern(rule);
  const argv = patternWords(line);
  const self = (argv[0] as string).slice((argv[0] as string).lastIndexOf('/') + 1);
  // git's dashed form is git's own file: the gate names it git.
  const program = self.startsWith('git-') ? 'git' : self;
  return matchArgv(pattern, program, argv, CAP).matched;
}

/** [rule, commands it must match, commands it must not]. */
const CORPUS: Array<[string, string[], string[]]> = [
  ['rm', ['rm', 'rm -f v1', 'rm -rf /', 'rm -- -x'], []],
  ['rm *', ['rm', 'rm -f v1'], []],
  ['rm -rf *', ['rm -rf x', 'rm -fr x', 'rm -r -f x', 'rm -v -f -r x', 'rm x -rf'], ['rm -r x', 'rm -f x']],
  [
    'git push',
    [
      'git push',
      'git push -q origin HEAD:refs/heads/main',
      'git -C repo push',
      'git -c user.name=x push',
      'git --git-dir=x push',
      'git --git-dir x push',
      'git --no-pager -c a=b -C r push --force',
      'git-push origin',
    ],
    ['git commit -m push', 'git pull', 'git log push', 'git -c push=1 status'],
  ],
  ['git push*', ['git push', 'git -C r push -q'], ['git pull']],
  [
    'git push --force',
    [
      'git push --force',
      'git push origin --force',
      'git push --force=yes',
      'git push --forc origin',
      'git -C r push --force origin',
    ],
    ['git push origin', 'git push -f origin'],
  ],
  ['* --force', ['git push --force', 'rm --force x', 'npm i --force'], ['git push']],
  [
    'apt-get install*',
    [
      'apt-get install x',
      'apt-get -q install x',
      'apt-get -qq install x',
      'apt-get -y install x',
      'apt-get -o Debug::NoLocking=1 install x',
      'apt-get -oDebug::NoLocking=1 install x',
      'apt-get --option=A=1 install x',
      'apt-get -c /etc/x.conf -t stable install x',
      'apt-get install -y x',
    ],
    ['apt-get update', 'apt-get -o install update', 'apt-get download install'],
  ],
  ['apt install', ['apt -y install x', 'apt install x'], ['apt search install']],
  [
    'kubectl delete*',
    [
      'kubectl delete po x',
      'kubectl -n prod delete pod x',
      'kubectl --context=c --namespace prod delete deployment web',
      'kubectl --kubeconfig /k delete -f x.yaml',
      'kubectl -v 6 delete pods --all',
    ],
    ['kubectl get pods', 'kubectl -n delete get pods'],
  ],
  [
    'kubectl delete pods',
    [
      'kubectl delete pods web',
      'kubectl delete pod web',
      'kubectl delete po web',
      'kubectl delete Pod web',
      'kubectl delete pods.v1. web',
      'kubectl -n x delete po/web',
      'kubectl delete svc/a pod/web',
      'kubectl delete svc,po web',
      'kubectl delete -n prod po web',
    ],
    ['kubectl delete svc web', 'kubectl get pods'],
  ],
  [
    'npm publish*',
    [
      'npm publish',
      'npm --prefix x publish',
      'npm -C x publish',
      'npm publ',
      'npm pu',
      'npm publis --tag beta',
      'npm --registry https://r publish',
      'npm --dry-run publish',
    ],
    ['npm install publish', 'npm run publish', 'npm pack'],
  ],
  ['npm i', ['npm i x', 'npm install x', 'npm add x', 'npm isntall x', 'npm inst x'], ['npm init']],
  // `rm*` is a glob on one word: rmi too.
  [
    'docker rm*',
    [
      'docker rm x',
      'docker rmi x',
      'docker container rm x',
      'docker container remove x',
      'docker --context c rm x',
      'docker -H unix:///x container rm -f x',
    ],
    ['docker ps', 'docker image ls', 'docker run rm'],
  ],
  [
    'docker rm',
    ['docker rm x', 'docker container remove x', 'docker -D rm -f x'],
    ['docker rmi x', 'docker image rm x'],
  ],
  ['docker image rm', ['docker rmi x', 'docker image rm x', 'docker image remove x'], ['docker rm x']],
  [
    'gh pr merge*',
    ['gh pr merge 1', 'gh -R o/r pr merge 1', 'gh pr -R o/r merge 1', 'gh pr merge --squash 1'],
    ['gh pr view 1', 'gh issue merge'],
  ],
  ['gh pr checkout', ['gh co 1', 'gh pr checkout 1'], ['gh pr view']],
  ['gh pr create', ['gh pr new', 'gh pr create -t x'], ['gh issue create']],
  [
    'cargo publish*',
    [
      'cargo publish',
      'cargo +nightly publish',
      'cargo --locked publish',
      'cargo --config net.x=1 publish',
      'cargo -Z unstable-options publish',
      'cargo -v publish --dry-run',
    ],
    ['cargo build', 'cargo --config publish build'],
  ],
  ['cargo build', ['cargo b', 'cargo build --release'], ['cargo bench']],
  [
    'pip3 install*',
    [
      'pip3 install x',
      'pip3 -q install x',
      'pip3 --no-cache-dir install x',
      'pip3 --timeout 5 install x',
      'pip3 --tim 5 install x',
      'pip3 --proxy http://p:1 install x',
      'pip3 -v -v install x',
    ],
    ['pip3 list', 'pip3 download install'],
  ],
  [
    'curl * *evil.com*',
    ['curl https://evil.com/x', 'curl -o out https://a.com https://evil.com/x', 'curl -s https://evil.com'],
    ['curl https://good.com'],
  ],
  ['make deploy', ['make deploy', 'make -j4 deploy', 'make -C dir deploy', 'make -f Makefile deploy'], ['make build']],
  ['git commit -m "wip now"', ['git commit -m "wip now"'], []],
  ['/usr/bin/git push', ['git push', '/usr/bin/git -C r push'], ['git fetch']],
  [
    'git clean -fdx',
    ['git clean -fdx', 'git clean -xdf', 'git clean -f -d -x', 'git -C r clean -d -x -f'],
    ['git clean -n', 'git clean -fd'],
  ],
  [
    'kubectl scale*',
    ['kubectl scale deploy/web --replicas=0', 'kubectl -n x scale --replicas 0 deployment web'],
    ['kubectl get deploy'],
  ],
];

describe('exec rules match what their reader expects', () => {
  for (const [rule, yes, no] of CORPUS) {
    for (const line of yes) it(`exec:${rule}  matches  ${line}`, () => expect(meets(rule, line)).toBe(true));
    for (const line of no) it(`exec:${rule}  leaves  ${line}`, () => expect(meets(rule, line)).toBe(false));
  }

  it('holds at least 150 spellings', () => {
    expect(CORPUS.reduce((n, [, yes, no]) => n + yes.length + no.length, 0)).toBeGreaterThanOrEqual(150);
  });

  it('reads a command whose subcommand is an alias as uncertain: every rule on its program applies', () => {
    const pattern = parseExecPattern('git push');
    expect(matchArgv(pattern, 'git', ['git', '-c', 'alias.p=push', 'p'], CAP)).toMatchObject({
      matched: true,
      uncertain: expect.stringContaining('alias'),
    });
    expect(matchArgv(parseExecPattern('gh pr merge'), 'gh', ['gh', 'mymerge', '1'], CAP)).toMatchObject({
      matched: true,
    });
    expect(matchArgv(parseExecPattern('cargo publish'), 'cargo', ['cargo', 'pub'], CAP)).toMatchObject({
      matched: true,
    });
  });

  it('reads an unknown option both ways, so no word it precedes can hide the subcommand', () => {
    // tool's options are unknown: --opt may take "install" as its value, or not.
    expect(meets('tool install', 'tool --opt install x')).toBe(true);
    expect(meets('tool install', 'tool --opt v install x')).toBe(true);
    expect(readArgv('tool', ['tool', '--a', 'b', '--c', 'd', 'e'], CAP).readings.length).toBeGreaterThan(1);
  });

  it('gives up reading past its cap and applies every rule on the program', () => {
    const argv = ['tool'];
    for (let i = 0; i < 40; i++) argv.push(`--o${i}`, `v${i}`, `w${i}`);
    const read = readArgv('tool', argv, 16);
    expect(read.uncertain).toMatch(/more than 16 ways/);
  });

  it("derefs npm's commands as npm does", () => {
    expect(npmCommand('publ')).toBe('publish');
    expect(npmCommand('i')).toBe('install');
    expect(npmCommand('installTest')).toBe('install-test');
    expect(npmCommand('in')).toBe('install');
    expect(npmCommand('p')).toBeNull();
  });

  it('refuses a pattern it cannot read', () => {
    expect(() => parseExecPattern('git "push')).toThrow(/unterminated/);
    expect(() => parseExecPattern('git ""')).toThrow(/empty argument/);
    expect(() => parseExecPattern('git\npush')).toThrow(/line break/);
  });
});
