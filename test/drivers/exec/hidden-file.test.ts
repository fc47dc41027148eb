/**
 * The mode-000 file a sandbox binds over a hidden file lives in a directory of its process's own
 * under the temp dir. A process killed before its exit handler ran left that directory behind (44
 * of them after a day of test runs): the next process to make one removes those of pids gone.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/cli.js';

const run = promisify(execFile);
const tsx = path.join(ROOT, 'node_modules/tsx/dist/loader.mjs');
const module = path.join(ROOT, 'drivers/exec/hidden-file.ts');

/** A process that makes its hidden file, prints its path and pid, then exits or is killed (SIGKILL). */
async function maker(end: 'exit' | 'kill'): Promise<{ file: string; pid: number }> {
  const last = end === 'kill' ? "process.kill(process.pid, 'SIGKILL');" : 'process.exit(0);';
  const script = `const { hiddenFile } = await import(${JSON.stringify(module)});
    const file = await hiddenFile();
    process.stdout.write(JSON.stringify({ file, pid: process.pid }) + '\\n', () => { ${last} });`;
  const child = run(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], { timeout: 20_000 });
  const out = await child.then(
    (r) => r.stdout,
    (err: { stdout?: string }) => err.stdout ?? '',
  );
  return JSON.parse(out.trim()) as { file: string; pid: number };
}

const ofPid = (pid: number) => readdirSync(os.tmpdir()).filter((n) => n.startsWith(`aos-hidden-${pid}-`));

describe("the hidden file's directory", () => {
  it('goes with a process that exits, and one a killed process left goes at the next make', async () => {
    const killed = await maker('kill');
    expect(existsSync(killed.file)).toBe(true);
    expect(path.basename(path.dirname(killed.file))).toMatch(new RegExp(`^aos-hidden-${killed.pid}-`));

    const next = await maker('exit');
    expect(ofPid(killed.pid)).toEqual([]);
    // Its own went at its exit.
    expect(ofPid(next.pid)).toEqual([]);
  }, 60_000);

  it("leaves what it does not own under a dead pid's name: another user's directory, a link to elsewhere", async () => {
    // A pid that is gone: a process that has ended (not reused within the test).
    const { pid: dead } = await maker('exit');
    const tmp = os.tmpdir();
    const target = path.join(tmp, `aos-hidden-target-${dead}`);
    mkdirSync(target);
    writeFileSync(path.join(target, 'keep.txt'), 'mine');
    const link = path.join(tmp, `aos-hidden-${dead}-link`);
    symlinkSync(target, link);
    const planted = path.join(tmp, `aos-hidden-${dead}-planted`);
    mkdirSync(planted);
    writeFileSync(path.join(planted, 'keep.txt'), 'theirs');
    const root = process.getuid?.() === 0;
    if (root) chownSync(planted, 65534, 65534);
    try {
      await maker('exit');
      expect(existsSync(path.join(target, 'keep.txt'))).toBe(true);
      expect(existsSync(link)).toBe(true);
      // Running as root, the directory of another user is left; otherwise it is ours and goes.
      expect(existsSync(path.join(planted, 'keep.txt'))).toBe(root);
    } finally {
      for (const p of [link, planted, target]) rmSync(p, { recursive: true, force: true });
    }
  }, 60_000);

  it('leaves the directory of a live process', async () => {
    const { hiddenFile } = await import('../../../drivers/exec/hidden-file.js');
    const mine = await hiddenFile();
    await maker('exit');
    expect(existsSync(mine)).toBe(true);
  }, 60_000);
});
