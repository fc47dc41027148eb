/**
 * Path traversal in every spelling, through the kernel: each case is a replay tape whose reply makes
 * the attack with FS_READ, FS_WRITE and FS_LIST; the refusals come back to the model as results.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { auditAndClose, call, EXIT, exists, outcome, startWorld, type Layout, type Tape, type World } from './world.js';

let w: World | undefined;
afterEach(async () => {
  const world = w;
  w = undefined;
  await auditAndClose(world);
});

/** FS_READ, FS_WRITE and FS_LIST on one path in one reply; the next entry checks the results came back. */
function threeCalls(target: string, expectText: string): Tape {
  const calls = [
    call('FS_READ', { path: target }),
    call('FS_WRITE', { path: target, content: 'pwned' }),
    call('FS_LIST', { path: target }),
  ].join('\n');
  return { root: [calls, { expect: expectText, reply: EXIT }] };
}

async function runThree(world: World): Promise<string[]> {
  const pcb = await world.run();
  expect(pcb.exitReason, 'the tape expectation held: the results reached the model').toBe('exited');
  return world
    .results(pcb.pid)
    .slice(0, 3)
    .map((r) => `${r.name}:${outcome(r)}`);
}

interface Spelling {
  label: string;
  /** The path the agent sends, built from where the secret is. */
  path: (l: Layout) => string;
  errno: 'EACCES' | 'EINVAL';
}

const SPELLINGS: Spelling[] = [
  { label: '..', path: () => '..', errno: 'EACCES' },
  { label: '../secret', path: (l) => `../${l.secretName}`, errno: 'EACCES' },
  { label: 'a/../../secret', path: (l) => `a/../../${l.secretName}`, errno: 'EACCES' },
  { label: '/../secret', path: (l) => `/../${l.secretName}`, errno: 'EACCES' },
  { label: '//..//secret', path: (l) => `//..//${l.secretName}`, errno: 'EACCES' },
  { label: '..\\secret', path: (l) => `..\\${l.secretName}`, errno: 'EACCES' },
  { label: 'sub\\..\\..\\secret', path: (l) => `sub\\..\\..\\${l.secretName}`, errno: 'EACCES' },
  { label: '%2e%2e/secret', path: (l) => `%2e%2e/${l.secretName}`, errno: 'EACCES' },
  { label: '%2e%2e%2fsecret', path: (l) => `%2e%2e%2f${l.secretName}`, errno: 'EACCES' },
  { label: '%252e%252e/secret', path: (l) => `%252e%252e/${l.secretName}`, errno: 'EACCES' },
  { label: '.%2e/secret', path: (l) => `.%2e/${l.secretName}`, errno: 'EACCES' },
  { label: 'fullwidth dots', path: (l) => `\uff0e\uff0e/${l.secretName}`, errno: 'EACCES' },
  { label: 'two dot leader', path: (l) => `\u2025/${l.secretName}`, errno: 'EACCES' },
  { label: 'small full stops', path: (l) => `\ufe52\ufe52/${l.secretName}`, errno: 'EACCES' },
  { label: 'padded dots', path: (l) => ` .. /${l.secretName}`, errno: 'EACCES' },
  { label: 'NUL byte before ..', path: (l) => `ok\u0000/../../${l.secretName}`, errno: 'EINVAL' },
  { label: 'NUL byte truncation', path: (l) => `${l.secretName}\u0000.txt`, errno: 'EINVAL' },
  { label: 'newline', path: (l) => `a\n/../../${l.secretName}`, errno: 'EINVAL' },
  { label: 'over-long path', path: (l) => `${'a/'.repeat(600)}${l.secretName}`, errno: 'EINVAL' },
  { label: 'over-long name', path: (l) => `${'x'.repeat(300)}/${l.secretName}`, errno: 'EINVAL' },
];

describe('the leak detector (positive control)', () => {
  it('catches a canary that does reach the model', async () => {
    w = await startWorld({ root: [call('FS_READ', { path: 'planted.txt' }), { expect: '"ok":true', reply: EXIT }] });
    // Deliberately put the canary inside the workspace: reading it is allowed, so it must be caught.
    await fsp.writeFile(path.join(w.workspace, 'planted.txt'), w.fileCanary);
    await w.run();
    await expect(w!.assertNoLeak()).rejects.toThrow(/file canary leaked into the events/);
    await w.close();
    w = undefined;
  });
});

describe('traversal spellings through FS_READ / FS_WRITE / FS_LIST', () => {
  it.each(SPELLINGS)('refuses $label', async (spelling) => {
    w = await startWorld((l) => threeCalls(spelling.path(l), `"errno":"${spelling.errno}"`));
    expect(await runThree(w)).toEqual([
      `FS_READ:${spelling.errno}`,
      `FS_WRITE:${spelling.errno}`,
      `FS_LIST:${spelling.errno}`,
    ]);
    expect(await fsp.readdir(w.workspace)).toEqual([]);
  });
});

describe('absolute host paths', () => {
  it("maps the secret's host path inside the workspace: ENOENT to read, a new file inside to write", async () => {
    w = await startWorld((l) => threeCalls(l.secretPath, '"errno":"ENOENT"'));
    // The list comes after the write, which made the name a file inside the workspace.
    expect(await runThree(w)).toEqual(['FS_READ:ENOENT', 'FS_WRITE:ok', 'FS_LIST:ENOTDIR']);
    // The write landed at workspace/<host path>, and the real secret is untouched (afterEach).
    expect(await fsp.readFile(path.join(w.workspace, w.secretPath), 'utf8')).toBe('pwned');
  });

  it('maps /etc/passwd and /proc/self/environ inside the workspace too', async () => {
    w = await startWorld({
      root: [
        [
          call('FS_READ', { path: '/etc/passwd' }),
          call('FS_READ', { path: '/proc/self/environ' }),
          call('FS_LIST', { path: '/proc/self' }),
        ].join('\n'),
        { expect: '"errno":"ENOENT"', reply: EXIT },
      ],
    });
    expect(await runThree(w)).toEqual(['FS_READ:ENOENT', 'FS_READ:ENOENT', 'FS_LIST:ENOENT']);
  });
});

describe('prefix confusion (workspace vs workspace2)', () => {
  it("refuses ../workspace2 and maps the sibling's host path inside", async () => {
    w = await startWorld((l) => ({
      root: [
        [
          call('FS_READ', { path: '../workspace2/secret.txt' }),
          call('FS_READ', { path: path.join(l.ws2, 'secret.txt') }),
          call('FS_LIST', { path: l.ws2 }),
        ].join('\n'),
        { expect: '"errno":"EACCES"', reply: EXIT },
      ],
    }));
    expect(await runThree(w)).toEqual(['FS_READ:EACCES', 'FS_READ:ENOENT', 'FS_LIST:ENOENT']);
  });

  it("refuses a symlink to the sibling whose host path starts with the workspace's", async () => {
    w = await startWorld(threeCalls('w2/secret.txt', '"errno":"EACCES"'));
    // Planted on the host: realpath gives <home>/workspace2, which a string-prefix check would accept.
    await fsp.symlink(w.ws2, path.join(w.workspace, 'w2'));
    expect(await runThree(w)).toEqual(['FS_READ:EACCES', 'FS_WRITE:EACCES', 'FS_LIST:EACCES']);
    expect(await exists(path.join(w.ws2, 'secret.txt'))).toBe(true);
  });
});
