/** Paths of FS_READ, FS_WRITE and FS_LIST: escapes from the workspace are EACCES, and host paths are workspace paths. */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('workspace paths', () => {
  const escapes = [
    '../outside.txt',
    'a/../../outside.txt',
    '/..',
    '%2e%2e/outside.txt',
    '..\\outside.txt',
    'a/%252e%252e/../x',
  ];

  it('refuses .. escapes with EACCES (not EPERM), even for a process that holds the capability for everything', async () => {
    const reply = escapes
      .flatMap((p) => [
        call('FS_READ', { path: p }),
        call('FS_WRITE', { path: p, content: 'escaped' }),
        call('FS_LIST', { path: p }),
      ])
      .join('\n');
    h = await startHarness({ root: [reply, { expect: '"errno":"EACCES"', reply: EXIT }] });
    await writeFile(path.join(h.dir, 'outside.txt'), 'HOST FILE');
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(0);
    const results = h.results(pcb.pid).slice(0, escapes.length * 3);
    expect(results).toHaveLength(escapes.length * 3);
    for (const result of results) {
      expect(result, JSON.stringify(result)).toMatchObject({ ok: false, errno: 'EACCES' });
      expect(result.message).toContain('escapes the workspace');
    }
    // The host file next to the workspace was neither read nor overwritten.
    expect(await readFile(path.join(h.dir, 'outside.txt'), 'utf8')).toBe('HOST FILE');
    expect(JSON.stringify(h.events)).not.toContain('HOST FILE');
  });

  it('gives EACCES for an escape before checking capabilities (a process without fs caps still sees EACCES)', async () => {
    h = await startHarness(
      { root: [`${call('FS_READ', { path: '../x' })}\n${call('FS_WRITE', { path: '../x', content: 'x' })}`, EXIT] },
      { rootCapabilities: [] },
    );
    const pcb = await h.run();
    expect(
      h
        .results(pcb.pid)
        .slice(0, 2)
        .map((r) => r.errno),
    ).toEqual(['EACCES', 'EACCES']);
  });

  it('reads /etc/passwd from the workspace (ENOENT), never the host file', async () => {
    h = await startHarness({
      root: [
        call('FS_READ', { path: '/etc/passwd' }),
        { expect: '"errno":"ENOENT"', reply: call('FS_WRITE', { path: '/etc/passwd', content: 'workspace passwd' }) },
        call('FS_READ', { path: '/etc/passwd' }),
        { expect: '"content":"workspace passwd"', reply: EXIT },
      ],
    });
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(0);
    const [first, , third] = h.results(pcb.pid);
    expect(first).toMatchObject({ ok: false, errno: 'ENOENT' });
    expect(first?.message).toContain('/etc/passwd');
    expect(third).toMatchObject({ ok: true, value: { path: '/etc/passwd', content: 'workspace passwd' } });
    expect(await readFile(path.join(h.workspace, 'etc/passwd'), 'utf8')).toBe('workspace passwd');
    expect(JSON.stringify(h.events)).not.toMatch(/root:x:0:0/);
  });
});
