/**
 * The policy's `hooks:` section (kernel/safety/hooks-policy.ts): what loads, what each hook is once
 * loaded, and the mistakes refused at load (so by `aos policy check` and a reload too), each naming
 * its hook.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../../kernel/safety/policy.js';
import { param } from '../../../sys/param.js';

let dir: string;
let program: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-hooks-policy-'));
  program = path.join(dir, 'hook.sh');
  await writeFile(program, '#!/bin/sh\nexit 0\n');
  await chmod(program, 0o755);
  await writeFile(path.join(dir, 'plain.txt'), 'not a program');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const load = (hooks: string) =>
  parsePolicy(`version: 1\nroot: {capabilities: ["fs.write:/**"]}\nhooks:\n${hooks}`, 'p.yaml').safety.hooks;

describe('the hooks: section', () => {
  it('loads each hook with its canonical syscalls, its matches, its program and its time limit', () => {
    const [lint, veto] =
      load(
        `  lint:\n    after: [FS_WRITE]\n    match: {path: "/src/**/*.ts"}\n    run: [${program}, --quiet]\n` +
          `  veto:\n    before: [NET_FETCH, EXEC_CMD]\n    run: [${program}]\n    timeout_s: 2.5\n`,
      ) ?? [];
    expect(lint).toMatchObject({
      name: 'lint',
      when: 'after',
      argv: [program, '--quiet'],
      timeoutMs: param.hookTimeoutMs,
    });
    expect([...(lint?.calls ?? [])]).toEqual(['FS_WRITE']);
    expect(lint?.match.map((m) => m.arg)).toEqual(['path']);
    expect(lint?.match[0]?.test('fs.write:/src/a/b.ts', {})).toBe(true);
    expect(lint?.match[0]?.test('fs.write:/lib/b.ts', {})).toBe(false);
    expect(veto).toMatchObject({ when: 'before', timeoutMs: 2_500 });
    expect([...(veto?.calls ?? [])]).toEqual(['NET_FETCH', 'EXEC_CMD']);
  });

  it('has no hooks when the section is absent', () => {
    expect(parsePolicy('version: 1\nroot: {capabilities: []}\n', 'p.yaml').safety.hooks).toEqual([]);
  });

  it.each([
    [
      'both before: and after:',
      `  x:\n    before: [FS_WRITE]\n    after: [FS_WRITE]\n    run: [PROGRAM]\n`,
      /either before: or after:/,
    ],
    ['neither', `  x:\n    run: [PROGRAM]\n`, /either before: or after:/],
    [
      'a relative program',
      `  x:\n    before: [FS_WRITE]\n    run: [hook.sh]\n`,
      /hook x: run: the program must be an absolute path/,
    ],
    [
      'a file that is not executable',
      `  x:\n    before: [FS_WRITE]\n    run: [DIR/plain.txt]\n`,
      /hook x: run: .*not executable/,
    ],
    [
      'a timeout past the most',
      `  x:\n    before: [FS_WRITE]\n    run: [PROGRAM]\n    timeout_s: 100000\n`,
      /timeout_s/,
    ],
    [
      'an unknown syscall',
      `  x:\n    after: [FS_WRITES]\n    run: [PROGRAM]\n`,
      /hook x: after: no syscall named FS_WRITES/,
    ],
    [
      'a path pattern with ..',
      `  x:\n    after: [FS_WRITE]\n    match: {path: "/a/../b"}\n    run: [PROGRAM]\n`,
      /hook x: match.path: .*\.\./,
    ],
    [
      'a host pattern with a scheme',
      `  x:\n    before: [NET_FETCH]\n    match: {host: "https://a.com"}\n    run: [PROGRAM]\n`,
      /hook x: match.host: .*is not a host/,
    ],
    ['a bad name', `  "no spaces":\n    before: [FS_WRITE]\n    run: [PROGRAM]\n`, /a hook name/],
  ])('refuses %s', (_what, hooks, error) => {
    expect(() => load(hooks.replaceAll('PROGRAM', program).replaceAll('DIR', dir))).toThrow(error);
  });

  it('names every mistaken hook at once', () => {
    expect(() =>
      load(`  a:\n    after: [NOPE]\n    run: [${program}]\n  b:\n    after: [FS_WRITE]\n    run: [/nowhere/hook]\n`),
    ).toThrow(
      /2 hook mistakes:\n.*hook a: after: no syscall named NOPE\n.*hook b: run: \/nowhere\/hook does not exist/,
    );
  });
});
