/**
 * A write's aside file (drivers/fs/virtual-path.ts isAsideName): FS_WRITE puts the new content in
 * `.aos-write-<nanoid>.tmp` beside its target and renames it over the target. A rule written for the
 * target's name (`deny: fs.read:/keys/*.key`) does not match the aside file's name, so a process
 * that may read the directory could list it mid-write and read the content being written: the
 * aside file is here as a write in progress leaves it (the race made still), and no syscall may
 * name it, in any spelling, nor may a listing show it.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../kernel/safety/policy.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

const SECRET = 'KEY-MATERIAL-7f3e9a';
const ASIDE = '.aos-write-V1StGXR8_Z5jdHi6B-myT.tmp';
const RULES = parsePolicy(
  `version: 1
root: {capabilities: ["fs.read:/**", "fs.write:/**"]}
rules:
  - deny: "fs.read:/keys/*.key"
`,
  'aside-rules',
).safety;

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('the aside file of a write in progress', () => {
  it('is named by no syscall and shown by no listing, so a rule on the target holds while it is written', async () => {
    const spellings = [
      `/keys/${ASIDE}`,
      `keys/${ASIDE}`,
      `/keys/./${ASIDE}`,
      `//keys//${ASIDE}`,
      `/keys/${ASIDE}/`,
      `\\keys\\${ASIDE}`,
    ];
    const calls = [
      call('FS_LIST', { path: '/keys' }),
      ...spellings.map((p) => call('FS_READ', { path: p })),
      call('FS_WRITE', { path: `/keys/${ASIDE}`, content: 'planted' }),
      call('FS_READ', { path: '/keys/app.key' }),
      call('FS_READ', { path: '/keys/readme.txt' }),
      EXIT,
    ];
    h = await startHarness({ root: calls }, { safety: RULES, rootCapabilities: ['fs.read:/**', 'fs.write:/**'] });
    await mkdir(path.join(h.workspace, 'keys'), { recursive: true });
    await writeFile(path.join(h.workspace, 'keys', 'readme.txt'), 'rotate yearly');
    await writeFile(path.join(h.workspace, 'keys', 'app.key'), 'old');
    // Another process's FS_WRITE of /keys/app.key, caught between its write and its rename.
    await writeFile(path.join(h.workspace, 'keys', ASIDE), SECRET);
    const pcb = await h.run();
    const results = h.results(pcb.pid);

    const listed = results[0] as { ok: boolean; value: { entries: Array<{ name: string }> } };
    expect(listed.ok).toBe(true);
    expect(listed.value.entries.map((e) => e.name)).toEqual(['app.key', 'readme.txt']);
    for (const [i, spelling] of spellings.entries())
      expect(results[1 + i], spelling).toMatchObject({ ok: false, errno: 'EACCES' });
    expect(results[1 + spellings.length]).toMatchObject({ ok: false, errno: 'EACCES' });
    // The rule on the target holds; the rest of the directory is read as before.
    expect(results[2 + spellings.length]).toMatchObject({ ok: false, errno: 'EACCES' });
    expect(results[3 + spellings.length]).toMatchObject({ ok: true });
    expect(JSON.stringify(h.eventsOf(pcb.pid))).not.toContain(SECRET);
    // Nothing was planted beside it.
    expect((await readdir(path.join(h.workspace, 'keys'))).sort()).toEqual([ASIDE, 'app.key', 'readme.txt']);
  }, 60_000);
});
