/**
 * The fs rules' mount plan, without a sandbox: which shape a rule's pattern has, what bwrap mounts
 * hold it over nested grants and other rules (parents first, nothing under a hidden path, writable
 * parents made mount points), and when a failed run's result names a rule.
 */
import { describe, expect, it } from 'vitest';
import {
  type FsRule,
  fsRuleExecEffect,
  fsRuleExecWarning,
  fsRuleShape,
  ruleOnTarget,
} from '../../../drivers/fs-rules.js';
import { planOverlays } from '../../../drivers/exec/rule-overlays.js';
import { ruleNote } from '../../../drivers/exec/rule-note.js';
import type { Protection, WorkspaceView } from '../../../drivers/exec/rule-protections.js';
import { compileGlob } from '../../../sys/capabilities.js';

const rule = (text: string): FsRule => {
  const [verdict, capability] = text.split(': ') as ['deny' | 'ask', string];
  const [kind, pattern] = [capability.slice(0, capability.indexOf(':')), capability.slice(capability.indexOf(':') + 1)];
  return { verdict, kind, pattern, text: `${verdict}: "${capability}"`, regex: compileGlob(pattern) };
};
const view = (path: string, writable: boolean): WorkspaceView => ({
  path,
  at: path === '/' ? '/workspace' : `/workspace${path}`,
  writable,
  dir: true,
  mounted: true,
});
const prot = (path: string, effect: Protection['effect'], extra: Partial<Protection> = {}): Protection => ({
  path,
  effect,
  dir: true,
  rules: [],
  wider: null,
  ...extra,
});
const plan = (views: WorkspaceView[], protections: Protection[]) =>
  planOverlays(views, protections).map((o) => `${o.op} ${o.at}`);

describe("a rule pattern's shape", () => {
  it.each([
    ['/src/**', '/src', 'subtree'],
    ['/**', '/', 'subtree'],
    ['/conf/c.yaml', '/conf/c.yaml', 'path'],
    ['/src/*.js', '/src', 'names'],
    ['/**/*.pem', '/', 'glob'],
    ['**/.env', '/', 'glob'],
    ['/src/*/x.js', '/src', 'glob'],
    ['/a/b*/**', '/a', 'glob'],
  ])('%s holds on %s as a %s', (pattern, prefix, form) => {
    expect(fsRuleShape({ pattern })).toEqual({ prefix, form });
  });

  it('says what a rule does to commands, and warns of a wildcard write rule only', () => {
    expect(fsRuleExecEffect(rule('deny: fs.write:/src/**'))).toContain('/src is read-only to commands');
    expect(fsRuleExecEffect(rule('ask: fs.read:/private/**'))).toContain('/private is hidden from commands');
    expect(fsRuleExecWarning(rule('deny: fs.write:/**/*.pem'))).toContain(
      'see the whole workspace read-only, more than the rule names',
    );
    expect(fsRuleExecWarning(rule('deny: fs.write:/src/*.js'))).toContain(
      'cannot add, remove or rename a name directly in /src',
    );
    expect(fsRuleExecWarning(rule('deny: fs.write:/src/**'))).toBeNull();
    expect(fsRuleExecEffect({ ...rule('deny: fs.write:/src/**'), verdict: 'allow' })).toBeNull();
  });

  it('refuses a path whose symlinked directory leads under a rule the named path does not meet', () => {
    const rules = [rule('deny: fs.write:/src/**')];
    expect(ruleOnTarget(rules, 'fs.write', '/lnk/a.js', '/src/a.js')).toContain('deny: "fs.write:/src/**"');
    expect(ruleOnTarget(rules, 'fs.write', '/src/lnk/a.js', '/src/b/a.js')).toBe(true);
    expect(ruleOnTarget(rules, 'fs.read', '/lnk/a.js', '/src/a.js')).toBe(true);
  });
});

describe('the overlays', () => {
  it('go after the grants, parents first, binding each writable parent onto itself', () => {
    expect(plan([view('/', true)], [prot('/a/b/src', 'read-only'), prot('/private', 'hide')])).toEqual([
      'bind /workspace/a',
      'hide-dir /workspace/private',
      'bind /workspace/a/b',
      'read-only /workspace/a/b/src',
    ]);
  });

  it('mount nothing under a hidden path, nor again read-only under a read-only one; hide inside a read-only one', () => {
    expect(
      plan(
        [view('/', true)],
        [
          prot('/p/q', 'read-only'),
          prot('/p', 'hide'),
          prot('/s', 'read-only'),
          prot('/s/t', 'read-only'),
          prot('/s/k', 'hide', { dir: false }),
        ],
      ),
    ).toEqual(['hide-dir /workspace/p', 'read-only /workspace/s', 'hide-file /workspace/s/k']);
  });

  it('hold a rule over a narrower writable grant inside a read-only one, and leave read-only views alone', () => {
    // fs.read:/** and fs.write:/src/out/**, with deny: fs.write:/src/**
    expect(plan([view('/', false), view('/src/out', true)], [prot('/src', 'read-only')])).toEqual([
      'read-only /workspace/src/out',
    ]);
    expect(plan([view('/', false)], [prot('/src', 'read-only')])).toEqual([]);
    // Hidden wherever it is seen.
    expect(plan([view('/', false), view('/src/out', true)], [prot('/src', 'hide')])).toEqual([
      'hide-dir /workspace/src',
    ]);
  });

  it('keep the names of a directory writable where only its list of names is held', () => {
    const keep = prot('/', 'read-only', { wider: 'missing', keep: ['src', 'free', 'x.txt'] });
    expect(plan([view('/', true)], [keep, prot('/src', 'read-only'), prot('/free/deep/k', 'hide')])).toEqual([
      'read-only /workspace',
      'bind /workspace/free',
      'read-only /workspace/src',
      'bind /workspace/x.txt',
      'bind /workspace/free/deep',
      'hide-dir /workspace/free/deep/k',
    ]);
  });
});

describe('the note on a failed run', () => {
  const src = prot('/src', 'read-only', { rules: [rule('deny: fs.write:/src/**')] });
  const conf = prot('/conf', 'read-only', { rules: [rule('ask: fs.write:/conf/**')] });
  const priv = prot('/private', 'hide', { rules: [rule('deny: fs.read:/private/**')] });
  const all = [src, conf, priv];

  it('names the rule of the path a refusal names, and the way to ask', () => {
    expect(ruleNote({ exit_code: 1, stderr: 'bash: src/a.js: Read-only file system\n' }, all, '/')).toBe(
      'policy fs rules: /src is read-only to commands under deny: "fs.write:/src/**"',
    );
    expect(
      ruleNote(
        { exit_code: 1, stderr: "cp: cannot create regular file '/workspace/conf/c.yaml': Read-only file system" },
        all,
        '/',
      ),
    ).toContain('write it with FS_WRITE, which asks a person');
    expect(ruleNote({ exit_code: 1, stderr: 'cat: a.js: Read-only file system' }, all, '/src')).toContain(
      '/src is read-only',
    );
    expect(
      ruleNote({ exit_code: 2, stderr: "ls: cannot open directory 'private': Permission denied" }, all, '/'),
    ).toContain('/private is hidden');
  });

  it('is absent on success, on other errors, and on a refusal of another path', () => {
    expect(ruleNote({ exit_code: 0, stderr: 'src/a.js: Read-only file system' }, all, '/')).toBeNull();
    expect(ruleNote({ exit_code: 1, stderr: 'cat: nope: No such file or directory' }, all, '/')).toBeNull();
    expect(ruleNote({ exit_code: 1, stderr: 'touch: /usr/x: Read-only file system' }, all, '/')).toBeNull();
    expect(ruleNote({ exit_code: 1, stderr: 'bash: srcs/a.js: Read-only file system' }, all, '/')).toBeNull();
    expect(ruleNote({ exit_code: 1, stderr: 'cat: src/a.js: Permission denied' }, all, '/')).toBeNull();
  });
});
