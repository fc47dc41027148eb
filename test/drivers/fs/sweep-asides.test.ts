import fs from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweepAsides } from '../../../drivers/fs/sweep-asides.js';
import { Kernel } from '../../../kernel/kernel.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-sweep-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ASIDE = (n: number) => `.aos-write-${String(n).padStart(21, 'a')}.tmp`;
const HOUR_AGO = new Date(Date.now() - 3600_000);

/** A file as a write left it an hour ago. */
async function old(file: string, content = 'half of a secret'): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  await utimes(file, HOUR_AGO, HOUR_AGO);
}

describe('writes a stopped kernel left half-made (.aos-write-*.tmp)', () => {
  it('are removed at any depth; other files, and aside files newer than the start, stay', async () => {
    const ws = path.join(dir, 'ws');
    await old(path.join(ws, 'keys', ASIDE(1)));
    await old(path.join(ws, 'a', 'b', 'c', ASIDE(2)));
    await old(path.join(ws, 'keys', 'b.key'));
    await old(path.join(ws, 'keys', '.aos-write-short.tmp')); // not a name writeAside gives
    await writeFile(path.join(ws, 'keys', ASIDE(3)), 'a write under way now');
    const sweep = await sweepAsides(ws, Date.now() - 60_000, 1000);
    expect(sweep.removed.sort()).toEqual([`/a/b/c/${ASIDE(2)}`, `/keys/${ASIDE(1)}`]);
    expect((await readdir(path.join(ws, 'keys'))).sort()).toEqual(['.aos-write-short.tmp', ASIDE(3), 'b.key'].sort());
    expect(sweep.truncated).toBe(false);
  });

  it('never follows a symlink out of the workspace, and stops at its cap, saying so', async () => {
    const ws = path.join(dir, 'ws');
    const outside = path.join(dir, 'outside');
    await old(path.join(outside, ASIDE(4)));
    await mkdir(ws, { recursive: true });
    await symlink(outside, path.join(ws, 'link'));
    await symlink(path.join(outside, ASIDE(4)), path.join(ws, ASIDE(5)));
    expect((await sweepAsides(ws, Date.now(), 1000)).removed).toEqual([]);
    expect(fs.existsSync(path.join(outside, ASIDE(4)))).toBe(true);
    for (let i = 0; i < 20; i++) await old(path.join(ws, `d${i}`, ASIDE(10 + i)));
    const capped = await sweepAsides(ws, Date.now(), 10);
    expect(capped.truncated).toBe(true);
    expect(capped.entries).toBe(10);
  });

  it('the kernel removes them when it starts after a crash, before any process runs; not after a clean stop', async () => {
    const ws = path.join(dir, 'ws');
    const options = { workspace: ws, storeFile: path.join(dir, 'aos.db'), cwd: dir, rootCapabilities: [] };
    const first = await Kernel.create(options);
    const logs: string[] = [];
    await old(path.join(ws, 'keys', ASIDE(6)));
    await first.close();
    const clean = await Kernel.create({ ...options, log: (_l: string, m: string) => logs.push(m) });
    expect(fs.existsSync(path.join(ws, 'keys', ASIDE(6)))).toBe(true);
    await clean.close({ crashed: true });
    const after = await Kernel.create({ ...options, log: (_l: string, m: string) => logs.push(m) });
    try {
      expect(fs.existsSync(path.join(ws, 'keys', ASIDE(6)))).toBe(false);
      expect(logs.join('\n')).toContain(`removed what it had half-written (/keys/${ASIDE(6)})`);
    } finally {
      await after.close();
    }
  });
});
