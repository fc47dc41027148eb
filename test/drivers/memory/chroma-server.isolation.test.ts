/**
 * When Chroma cannot be made private (no bwrap, a bwrap that cannot make a network namespace, a
 * socket path that does not fit), memory is refused with the reason, once, instead of being
 * served where every local user can reach it.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SupervisedChroma } from '../../../drivers/memory/chroma-server.js';
import { IsolationError } from '../../../drivers/memory/chroma-spawn.js';
import { tempDir } from './helpers.js';

const dirs: string[] = [];
const servers: SupervisedChroma[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  for (const s of servers.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function refusedStart(
  dataDirIn?: (dir: string) => string,
): Promise<{ error: Error; logs: string[]; server: SupervisedChroma; dir: string }> {
  const dir = await tempDir('aos-chroma-iso-');
  dirs.push(dir);
  const logs: string[] = [];
  const server = new SupervisedChroma({
    dataDir: dataDirIn ? dataDirIn(dir) : path.join(dir, 'chroma'),
    startAttempts: 3,
    restart: { initialDelayMs: 10 },
    log: (level, message) => logs.push(`${level}: ${message}`),
  });
  servers.push(server);
  const error = (await server.ensureRunning().catch((e: unknown) => e)) as Error;
  return { error, logs, server, dir };
}

describe('SupervisedChroma without a private network namespace', () => {
  it('no bwrap: refused at once with the reason and the way out, logged as an error, nothing spawned', async () => {
    vi.stubEnv('AOS_BWRAP', 'none');
    const { error, logs, server } = await refusedStart();
    expect(error).toBeInstanceOf(IsolationError);
    expect(error.message).toMatch(/needs bubblewrap \(bwrap\).*not installed/);
    expect(error.message).toMatch(/memory stays off rather than open to every local user on 127\.0\.0\.1.*CHROMA_URL/);
    expect(server.state).toBe('failed');
    expect(server.pid).toBeNull();
    expect(logs).toEqual([`error: chroma not started: ${error.message}`]);
  });

  it('a bwrap that cannot make the namespace: its complaint in the error, and no retry', async () => {
    const dir = await tempDir('aos-fake-bwrap-');
    dirs.push(dir);
    const fake = path.join(dir, 'bwrap');
    const count = path.join(dir, 'runs');
    const complaint =
      'bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces.';
    await writeFile(fake, `#!/bin/sh\necho run >> '${count}'\necho '${complaint}' >&2\nexit 1\n`, { mode: 0o755 });
    vi.stubEnv('AOS_BWRAP', fake);
    const { error, logs } = await refusedStart();
    expect(error).toBeInstanceOf(IsolationError);
    expect(error.message).toContain(`cannot give Chroma a network namespace of its own (${complaint})`);
    expect(error.message).toContain('memory stays off');
    expect((await readFile(count, 'utf8')).trim().split('\n')).toEqual(['run']);
    expect(logs.filter((l) => l.startsWith('warn'))).toEqual([]);
  });

  it('a socket path longer than a unix socket address holds: refused, naming it', async () => {
    const { error } = await refusedStart((dir) => path.join(dir, 'x'.repeat(90), 'chroma'));
    expect(error).toBeInstanceOf(IsolationError);
    expect(error.message).toMatch(/chroma\.sock is longer than 107 bytes; use a shorter AOS_HOME/);
  });
});
