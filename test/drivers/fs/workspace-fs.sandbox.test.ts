/**
 * Adversarial tests: every refusal must keep the canary and the host paths out of what the agent sees,
 * and nothing outside the workspace may change.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AosError } from '../../../sys/errno.js';
import { expectClean, expectRefused, makeFixture, readHost, removeFixture, SWAPPER, type Fixture } from './fixture.js';

let f: Fixture;
beforeEach(async () => {
  f = await makeFixture();
});
afterEach(async () => {
  await removeFixture(f);
});

async function expectOutsideUntouched(): Promise<void> {
  expect(await readHost(f.secretPath)).toBe(`${f.canary}\n`);
  expect(await readHost(path.join(f.ws2, 'secret.txt'))).toBe(`${f.canary}\n`);
  expect((await fsp.readdir(f.tmp)).sort()).toEqual(['secret.txt', 'x']);
  expect((await fsp.readdir(f.base)).sort()).toEqual(['ws', 'ws2']);
}

describe('path spellings', () => {
  const traversals = [
    '..',
    '../secret.txt',
    '../../secret.txt',
    'a/../../secret.txt',
    '/../secret.txt',
    '..\\secret.txt',
    '%2e%2e/secret.txt',
    '%2e%2e%2f%2e%2e%2fsecret.txt',
    '\uff0e\uff0e/secret.txt',
  ];

  it.each(traversals)('refuses %j for read, write and list', async (spelling) => {
    await expectRefused(f, f.fs.read(spelling), 'EACCES', 'path escapes the workspace');
    await expectRefused(f, f.fs.write(spelling, 'pwned'), 'EACCES');
    await expectRefused(f, f.fs.list(spelling), 'EACCES');
    await expectOutsideUntouched();
  });

  it('treats `....//` as an ordinary name inside the workspace', async () => {
    await expectRefused(f, f.fs.read('....//'), 'ENOENT', '/....');
  });

  it('refuses NUL bytes and over-long paths with EINVAL', async () => {
    await expectRefused(f, f.fs.read('secret.txt\u0000.png'), 'EINVAL');
    await expectRefused(f, f.fs.write('a\u0000/../../secret.txt', 'x'), 'EINVAL');
    await expectRefused(f, f.fs.read('a/'.repeat(200)), 'EINVAL');
    await expectOutsideUntouched();
  });

  it('maps absolute host paths into the workspace', async () => {
    await expectRefused(f, f.fs.read('/etc/passwd'), 'ENOENT', 'no such file: /etc/passwd');
    const hostSecret = f.secretPath.slice(1);
    await f.fs.write(f.secretPath, 'inside');
    expect(await readHost(path.join(f.ws, hostSecret))).toBe('inside');
    await expectOutsideUntouched();
  });
});

describe('symlinks', () => {
  it('refuses a symlink to / in the middle of a path', async () => {
    await fsp.symlink('/', path.join(f.ws, 'rootlink'));
    await expectRefused(
      f,
      f.fs.read('rootlink/etc/passwd'),
      'EACCES',
      'path escapes the workspace: /rootlink/etc/passwd',
    );
    await expectRefused(f, f.fs.list('rootlink/etc'), 'EACCES');
    await expectRefused(f, f.fs.list('rootlink'), 'EACCES', 'is a symlink');
  });

  it('never follows a symlink as the last component, even to the secret', async () => {
    await fsp.symlink(f.secretPath, path.join(f.ws, 'leak'));
    await expectRefused(f, f.fs.read('leak'), 'EACCES', 'is a symlink: /leak');
    await expectRefused(f, f.fs.write('leak', 'overwritten'), 'EACCES');
    await expectRefused(f, f.fs.write('leak', 'appended', { append: true }), 'EACCES');
    await expectOutsideUntouched();
  });

  it('refuses a directory symlink in the middle that points outside', async () => {
    await fsp.symlink(f.tmp, path.join(f.ws, 'out'));
    await expectRefused(f, f.fs.read('out/secret.txt'), 'EACCES', 'path escapes the workspace');
    await expectRefused(f, f.fs.write('out/new.txt', 'x'), 'EACCES');
    await expectRefused(f, f.fs.write('out/deep/new.txt', 'x'), 'EACCES');
    await expectRefused(f, f.fs.write('out/secret.txt', 'x'), 'EACCES');
    await expectRefused(f, f.fs.list('out/'), 'EACCES');
    await expectRefused(f, f.fs.list('out/x'), 'EACCES');
    await expectOutsideUntouched();
  });

  it('refuses a relative symlink that climbs out', async () => {
    await fsp.symlink('../', path.join(f.ws, 'up'));
    await expectRefused(f, f.fs.read('up/ws2/secret.txt'), 'EACCES');
    await expectRefused(f, f.fs.list('up/ws2'), 'EACCES');
  });

  it('is not fooled by a sibling whose name extends the root (ws vs ws2)', async () => {
    await fsp.symlink('../ws2', path.join(f.ws, 'sib'));
    await fsp.symlink(f.ws2, path.join(f.ws, 'sib-abs'));
    await expectRefused(f, f.fs.read('sib/secret.txt'), 'EACCES', 'path escapes the workspace');
    await expectRefused(f, f.fs.read('sib-abs/secret.txt'), 'EACCES');
    await expectRefused(f, f.fs.write('sib/secret.txt', 'x'), 'EACCES');
    await expectOutsideUntouched();
  });

  it('refuses dangling symlinks without creating their targets', async () => {
    await fsp.symlink(path.join(f.tmp, 'created.txt'), path.join(f.ws, 'dangling'));
    await fsp.symlink(path.join(f.tmp, 'newdir'), path.join(f.ws, 'dangling-dir'));
    await expectRefused(f, f.fs.read('dangling'), 'EACCES', 'is a symlink');
    await expectRefused(f, f.fs.write('dangling', 'x'), 'EACCES');
    await expectRefused(f, f.fs.write('dangling-dir/x.txt', 'x'), 'ENOENT');
    await expectOutsideUntouched();
  });

  it('follows symlinks that stay inside, except as the last component', async () => {
    await f.fs.write('real/a.txt', 'inside');
    await fsp.symlink('real', path.join(f.ws, 'alias'));
    await fsp.symlink(path.join(f.ws, 'real'), path.join(f.ws, 'alias-abs'));
    await fsp.symlink('.', path.join(f.ws, 'self'));
    await fsp.symlink('real/a.txt', path.join(f.ws, 'file-link'));
    expect(await f.fs.read('alias/a.txt')).toMatchObject({ path: '/alias/a.txt', content: 'inside' });
    expect((await f.fs.read('alias-abs/a.txt')).content).toBe('inside');
    expect((await f.fs.read('self/self/real/a.txt')).content).toBe('inside');
    await f.fs.write('alias/b.txt', 'via alias');
    expect(await readHost(path.join(f.ws, 'real/b.txt'))).toBe('via alias');
    await expectRefused(f, f.fs.read('file-link'), 'EACCES', 'is a symlink');
  });
});

describe('special files', () => {
  it('refuses a hard link to a file outside', async (ctx) => {
    try {
      await fsp.link(f.secretPath, path.join(f.ws, 'hard'));
    } catch (error) {
      if ((error as { code?: string }).code === 'EXDEV') ctx.skip('the temp dir spans file systems (EXDEV)');
      throw error;
    }
    await expectRefused(f, f.fs.read('hard'), 'EACCES', 'hard-linked file: /hard');
    await expectRefused(f, f.fs.write('hard', 'x'), 'EACCES');
    await expectRefused(f, f.fs.write('hard', 'x', { append: true }), 'EACCES');
    expect(await readHost(f.secretPath)).toBe(`${f.canary}\n`);
    expectClean(f, await f.fs.list('/'));
  });

  it('refuses a fifo without hanging', { timeout: 5000 }, async (ctx) => {
    try {
      execFileSync('mkfifo', [path.join(f.ws, 'pipe')], { stdio: 'ignore' });
    } catch {
      ctx.skip('mkfifo is not available');
    }
    await expectRefused(f, f.fs.read('pipe'), 'EACCES', 'not a regular file: /pipe');
    await expectRefused(f, f.fs.write('pipe', 'x'), 'EACCES');
    await expectRefused(f, f.fs.list('pipe'), 'ENOTDIR');
    expect((await f.fs.list('/')).entries).toEqual([{ name: 'pipe', type: 'other', size: 0 }]);
  });
});

describe('races', () => {
  it('never reads or writes outside while a directory is swapped for an outside symlink', async () => {
    await fsp.mkdir(path.join(f.ws, 'swap-dir'));
    await fsp.writeFile(path.join(f.ws, 'swap-dir', 'secret.txt'), 'inside\n');
    await fsp.writeFile(path.join(f.ws, 'swap-dir', '.orig'), '');
    await fsp.symlink(f.tmp, path.join(f.ws, 'swap-link'));
    // A separate process swaps truly in parallel with the driver's realpath -> open -> check steps.
    const swapper = spawn(process.execPath, ['-e', SWAPPER, f.ws], { stdio: 'ignore' });
    const exited = once(swapper, 'exit');
    const outcomes: unknown[] = [];
    try {
      const deadline = Date.now() + 600;
      while (Date.now() < deadline) {
        const attempts = [f.fs.read('swap/secret.txt'), f.fs.write('swap/secret.txt', 'inside\n'), f.fs.list('swap')];
        for (const result of await Promise.allSettled(attempts)) {
          outcomes.push(result.status === 'fulfilled' ? result.value : result.reason);
        }
      }
    } finally {
      swapper.kill();
      await exited;
    }
    for (const outcome of outcomes) {
      if (outcome instanceof Error) expect(outcome).toBeInstanceOf(AosError);
      expectClean(f, outcome);
      // `x` only exists in the outside temp dir: listing it would leak outside names.
      if (outcome !== null && typeof outcome === 'object' && 'entries' in outcome) {
        expect(JSON.stringify(outcome.entries)).not.toContain('"name":"x"');
      }
    }
    await expectOutsideUntouched();
  });
});
