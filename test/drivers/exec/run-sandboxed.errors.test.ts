import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AosError } from '../../../sys/errno.js';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { announceSkip, makeTempDir, removeDir, runIn, TEST_LIMITS } from './exec-helpers.js';

const bwrap = await findBwrap();
announceSkip(bwrap);
const savedOverride = process.env.AOS_BWRAP;

async function errorOf(promise: Promise<unknown>): Promise<AosError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AosError)) throw new Error(`expected an AosError, got ${String(error)}`);
  return error;
}

describe('runSandboxed errors', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await makeTempDir('aos-exec-errors-');
  });
  afterAll(async () => {
    await removeDir(dir);
  });
  afterEach(() => {
    if (savedOverride === undefined) delete process.env.AOS_BWRAP;
    else process.env.AOS_BWRAP = savedOverride;
  });

  it('refuses with ENOSYS naming the fix when bwrap is missing, and never runs the command', async () => {
    process.env.AOS_BWRAP = 'none';
    expect(await findBwrap()).toBeNull();
    const error = await errorOf(runIn(dir, 'touch ran'));
    expect(error.code).toBe('ENOSYS');
    expect(error.message).toContain('apt-get install -y bubblewrap');
    process.env.AOS_BWRAP = path.join(dir, 'no-such-bwrap');
    expect((await errorOf(runIn(dir, 'touch ran'))).code).toBe('ENOSYS');
  });

  it('rejects bad workspaces, limits and commands', async () => {
    await writeFile(path.join(dir, 'file'), '');
    await symlink(dir, path.join(dir, 'link'));
    expect((await errorOf(runIn('relative/ws', 'true'))).code).toBe('EINVAL');
    expect((await errorOf(runIn('/', 'true'))).code).toBe('EINVAL');
    expect((await errorOf(runIn(path.join(dir, 'missing'), 'true'))).code).toBe('ENOENT');
    expect((await errorOf(runIn(path.join(dir, 'file'), 'true'))).code).toBe('ENOTDIR');
    expect((await errorOf(runIn(path.join(dir, 'link'), 'true'))).code).toBe('EINVAL');
    expect((await errorOf(runIn(dir, 'true', { maxProcesses: 0 }))).code).toBe('EINVAL');
    expect((await errorOf(runIn(dir, 'true', { cpuSeconds: Number.NaN }))).code).toBe('EINVAL');
    expect((await errorOf(runIn(dir, 'echo a\0b'))).code).toBe('EINVAL');
  });

  it.skipIf(!bwrap)("surfaces a sandbox setup failure as EIO with bwrap's message", async () => {
    const fake = path.join(dir, 'fake-bin');
    await mkdir(fake, { recursive: true });
    const fakeBwrap = path.join(fake, 'bwrap');
    await writeFile(fakeBwrap, '#!/bin/sh\necho "bwrap: setting up uid map: Permission denied" >&2\nexit 1\n');
    await chmod(fakeBwrap, 0o755);
    process.env.AOS_BWRAP = fakeBwrap;
    const error = await errorOf(runIn(dir, 'true', TEST_LIMITS));
    expect(error.code).toBe('EIO');
    expect(error.message).toContain('setting up uid map: Permission denied');
  });

  it.skipIf(!bwrap)('surfaces a real bwrap refusal as EIO', async () => {
    const wrapper = path.join(dir, 'failing-bwrap');
    await writeFile(wrapper, `#!/bin/sh\nexec ${bwrap ?? 'bwrap'} --ro-bind /nonexistent-aos-source /x "$@"\n`);
    await chmod(wrapper, 0o755);
    process.env.AOS_BWRAP = wrapper;
    const error = await errorOf(runIn(dir, 'touch ran'));
    expect(error.code).toBe('EIO');
    expect(error.message).toContain("Can't find source path /nonexistent-aos-source");
  });
});
