/**
 * A real temp tree for the workspace driver tests:
 *   tmp/secret.txt        canary, outside the workspace
 *   tmp/x/ws              the workspace root
 *   tmp/x/ws2/secret.txt  canary in a sibling whose name starts with the root's
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { AosError, type Errno } from '../../../sys/errno.js';
import { WorkspaceFs, type WorkspaceFsOptions } from '../../../drivers/fs/workspace-fs.js';

export interface Fixture {
  tmp: string;
  base: string;
  ws: string;
  ws2: string;
  secretPath: string;
  canary: string;
  fs: WorkspaceFs;
}

// Directories kept open as in the kernel, so every driver test also runs through PinnedDirs (open-inside.ts),
// and a write's create and rename synchronous as in the kernel (file-io.ts DirChanges; the thread pool's way in write-aside.test.ts).
export const LIMITS = {
  maxReadBytes: 64,
  maxWriteBytes: 128,
  maxListEntries: 5,
  maxPathLength: 256,
  keptDirs: 4,
  syncDirChangeMs: 1,
};

export async function makeFixture(limits: Partial<Omit<WorkspaceFsOptions, 'root'>> = {}): Promise<Fixture> {
  const tmp = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'aos-fs-')));
  const canary = `CANARY-${randomBytes(12).toString('hex')}`;
  const base = path.join(tmp, 'x');
  const ws = path.join(base, 'ws');
  const ws2 = path.join(base, 'ws2');
  await fsp.mkdir(ws2, { recursive: true });
  const secretPath = path.join(tmp, 'secret.txt');
  await fsp.writeFile(secretPath, `${canary}\n`);
  await fsp.writeFile(path.join(ws2, 'secret.txt'), `${canary}\n`);
  const fs = await WorkspaceFs.open({ root: ws, ...LIMITS, ...limits });
  return { tmp, base, ws, ws2, secretPath, canary, fs };
}

export async function removeFixture(fixture: Fixture): Promise<void> {
  fixture.fs.close();
  await fsp.rm(fixture.tmp, { recursive: true, force: true });
}

/** Neither the canary nor any host path of the tree may show up in what the agent sees. */
export function expectClean(fixture: Fixture, value: unknown): void {
  const text = value instanceof Error ? `${value.name} ${value.message}` : JSON.stringify(value);
  expect(text).not.toContain(fixture.canary);
  expect(text).not.toContain(fixture.tmp);
  expect(text).not.toContain(path.basename(fixture.tmp));
}

/** Await a refusal with the given errno, check it is clean, and return it. */
export async function expectRefused(
  fixture: Fixture,
  action: Promise<unknown>,
  errno: Errno,
  message?: string | RegExp,
): Promise<AosError> {
  let outcome: unknown;
  try {
    outcome = await action;
  } catch (error) {
    expect(error).toBeInstanceOf(AosError);
    const aos = error as AosError;
    expect({ code: aos.code, message: aos.message }).toMatchObject({ code: errno });
    if (message !== undefined) expect(aos.message).toMatch(message);
    expect(aos.cause).toBeUndefined();
    expectClean(fixture, aos);
    return aos;
  }
  expectClean(fixture, outcome);
  throw new Error(`expected ${errno}, got ${JSON.stringify(outcome)}`);
}

export async function readHost(hostPath: string): Promise<string | null> {
  try {
    return await fsp.readFile(hostPath, 'utf8');
  } catch {
    return null;
  }
}

/** Cycles ws/swap between a real directory and a symlink to the temp dir holding the secret, for 5 s. */
export const SWAPPER = `
const fs = require('node:fs');
const ws = process.argv[1];
const moves = [['swap-dir', 'swap'], ['swap', 'swap-dir'], ['swap-link', 'swap'], ['swap', 'swap-link']];
const stop = Date.now() + 5000;
for (let i = 0; Date.now() < stop; i++) {
  const [from, to] = moves[i % moves.length];
  try {
    fs.renameSync(ws + '/' + from, ws + '/' + to);
  } catch {
    // The driver's write may mkdir a fresh swap while it is missing; clear it so the cycle goes on.
    try { if (!fs.existsSync(ws + '/swap/.orig')) fs.rmSync(ws + '/swap', { recursive: true }); } catch {}
  }
}`;
