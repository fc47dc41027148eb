/**
 * `aos unit install` of hostile packages through the real CLI and daemon (issue 47.1): a 2 MB
 * archive declaring 2 GiB of zeros once grew the daemon to 2.5 GB and made every verb time out for
 * 22 minutes. Now each is refused promptly with the limit it broke, `aos ps` keeps answering while
 * it is read, the daemon's peak RSS does not grow with the archive, and nothing is left behind.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { HOSTILE_ARCHIVES, writeArchives } from '../helpers/package-corpus.js';

const PACKAGES = ['zeros-2gib.tar.gz', 'lying-size.tar.gz', 'dirs-100k.tar.gz', 'dup-unit.tar.gz'];

let t: TestHome;
let scratch: string;
let files: Map<string, string>;
beforeAll(async () => {
  t = await makeHome();
  scratch = await mkdtemp(path.join(os.tmpdir(), 'aos-bomb-e2e-'));
  const policy = path.join(t.home, 'policy-bomb.yaml');
  await writeFile(policy, 'version: 1\nroot:\n  capabilities: ["fs.read:/**", "fs.write:/**"]\n');
  Object.assign(t.env, { AOS_POLICY: policy });
  files = await writeArchives(
    scratch,
    HOSTILE_ARCHIVES.filter((a) => PACKAGES.includes(a.file)),
  );
}, 60_000);
afterAll(async () => {
  await t.dispose();
  await rm(scratch, { recursive: true, force: true });
});

/** The daemon's peak resident set so far (VmHWM), in MB. */
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

describe('aos unit install of a hostile package', () => {
  it('is refused promptly, naming the limit, while aos ps keeps answering; the daemon does not grow; nothing is kept', async () => {
    expect((await t.cli(['ps'])).code).toBe(0);
    const pid = (await t.daemonPid()) as number;
    const peakBefore = await peakRssMb(pid);
    for (const name of PACKAGES) {
      const refusal = (HOSTILE_ARCHIVES.find((a) => a.file === name) as { refusal: RegExp }).refusal;
      const started = performance.now();
      let done = false;
      const install = t.cli(['unit', 'install', files.get(name) as string, '--yes']).finally(() => (done = true));
      // `aos ps` asked over and over while the package is read: each answers.
      const answers: number[] = [];
      while (!done) {
        const asked = performance.now();
        const ps = await t.cli(['ps', '--json'], { timeoutMs: 15_000 });
        expect(ps.code, ps.stderr).toBe(0);
        answers.push(performance.now() - asked);
      }
      const result = await install;
      expect(result.code, name).toBe(1);
      expect(result.stderr).toMatch(refusal);
      // A sanity bound for a loaded machine: the refusal itself takes well under a second of work.
      expect(performance.now() - started, name).toBeLessThan(20_000);
      expect(answers.length).toBeGreaterThan(0);
    }
    expect(await peakRssMb(pid)).toBeLessThan(peakBefore + 150);
    expect((JSON.parse((await t.cli(['unit', 'ls', '--json'])).stdout) as { units: unknown[] }).units).toEqual([]);
    expect(await readdir(path.join(t.home, 'units'))).toEqual([]);
  }, 120_000);
});
