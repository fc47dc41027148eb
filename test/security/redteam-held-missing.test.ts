/**
 * R1's second way in, made deterministic (test/security/redteam-held-ids.test.ts R1 found it by
 * racing, one attempt in four in CI 91 and CI 104): a granted directory whose name is missing at
 * the very moment the sandbox's hold begins (another command's `mv stage old; mkdir stage`) gave the
 * hold no identity for that view, and the directory made next was bound unchecked — one the fs
 * driver did not know the sandbox saw, so an FS_WRITE into it (moved under a denied-read name) was
 * written and seen. Here beginHold is wrapped so that the name is gone while it pins, and back (a
 * new directory) once it returns: the run must be refused (EAGAIN), nothing run, no hold left.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { holderCount } from '../../drivers/fs-held.js';
import { heldCommands, rulesOf, useHeldWorkspace } from '../helpers/held-sandbox.js';

/** The granted directory made to be missing while the hold begins (set by each test). */
const swap = vi.hoisted(() => ({ dir: '' }));

vi.mock('../../drivers/fs-held.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../drivers/fs-held.js')>();
  return {
    ...real,
    beginHold: async (...args: Parameters<typeof real.beginHold>) => {
      const dir = swap.dir;
      if (dir === '') return real.beginHold(...args);
      // Another command's `mv stage old` lands just before the hold pins its views, its `mkdir stage` just after.
      fs.renameSync(dir, `${dir}.old`);
      try {
        return await real.beginHold(...args);
      } finally {
        fs.mkdirSync(dir);
      }
    },
  };
});

const ready = Boolean(await findBwrap());
const held = useHeldWorkspace();
const { start } = heldCommands(held);

describe.skipIf(!ready)('a granted view missing while the hold begins', () => {
  for (const grant of ['write', 'read'] as const) {
    it(`a ${grant} grant: the run is refused (EAGAIN), never run on the directory made after`, async () => {
      const rules = rulesOf('  - deny: "fs.read:/keys/*.key"');
      const stage = path.join(held.dir, 'stage');
      fs.mkdirSync(stage);
      swap.dir = stage;
      try {
        const grants =
          grant === 'write' ? { read: [], write: ['/ctl', '/stage'] } : { read: ['/stage'], write: ['/ctl'] };
        const victim = start('v', 'touch /workspace/ctl/ran; echo RAN', { rules, grants });
        const error = await victim.done.then(
          () => null,
          (e: { code?: string; message?: string }) => e,
        );
        expect(error?.code).toBe('EAGAIN');
        expect(error?.message).toMatch(
          /\/stage changed while the sandbox was being built \(it was not there when the sandbox began\)/,
        );
        expect(fs.existsSync(path.join(held.dir, 'ctl/ran'))).toBe(false);
        expect(holderCount()).toBe(0);
      } finally {
        swap.dir = '';
      }
    }, 30_000);
  }

  it('without the swap the same run goes ahead (the wrapper changes nothing else)', async () => {
    const rules = rulesOf('  - deny: "fs.read:/keys/*.key"');
    fs.mkdirSync(path.join(held.dir, 'stage'));
    const victim = start('v', 'echo RAN', { rules, grants: { read: [], write: ['/ctl', '/stage'] } });
    const result = await victim.done;
    expect(result.exit_code).toBe(0);
    expect(result.stdout).toContain('RAN');
    expect(holderCount()).toBe(0);
  }, 30_000);
});
