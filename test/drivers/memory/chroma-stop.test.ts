/**
 * A Chroma stopped in the first milliseconds after its spawn leaves nothing running. A signal to
 * bwrap's pid alone then left about one bwrap in three behind (found after a CI run: the child bwrap
 * had just forked, not yet tied to its parent by --die-with-parent, asleep in wait(2) for good,
 * reparented to init). The supervisor stops bwrap's whole process group (chroma-child.ts).
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { stopChild } from '../../../drivers/memory/chroma-child.js';
import { spawnPrivateChroma } from '../../../drivers/memory/chroma-spawn.js';
import { until } from '../../helpers/until.js';
import { runningWith } from '../exec/host-procs.js';
import { tempDir } from './helpers.js';

const bwrap = await findBwrap();
if (!bwrap) console.warn('skipping chroma-stop tests: bubblewrap (bwrap) is not installed');

/** Live (not zombie) processes whose command line names `mark`. */
const livingWith = async (mark: string): Promise<number[]> => (await runningWith(mark)).map((p) => p.pid);

let dir: string;
beforeAll(async () => {
  dir = await tempDir('aos-chroma-stop-');
});
afterAll(async () => {
  for (const pid of await livingWith(dir)) process.kill(pid, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!bwrap)('a Chroma stopped as it starts', () => {
  it('stopped 0–9 ms after its spawn, 30 times over, leaves no process behind', async () => {
    for (let i = 0; i < 30; i++) {
      const dataDir = path.join(dir, `d${i}`);
      await mkdir(dataDir, { recursive: true });
      const { child } = await spawnPrivateChroma({ dataDir, socketPath: path.join(dir, `s${i}.sock`) });
      await new Promise((resolve) => setTimeout(resolve, i % 10));
      await stopChild(child, 3_000);
    }
    // What a stop leaves can take a moment to go (the kernel's SIGKILL is not instant): wait for none, not a fixed while.
    await until(
      async () => (await livingWith(dir)).length === 0,
      10_000,
      'every process of the stopped Chromas gone',
    ).catch(() => undefined);
    expect(await livingWith(dir)).toEqual([]);
  }, 60_000);
});
