/**
 * `aos rollback <pid> --turn N` over a tree: a child's changes are placed by when they were made
 * against the parent's turn-N prompt, not by the child's own turn numbers (a child writing at its
 * turn 2 during the parent's turn 0 is before N = 1; a child's turn 0 during the parent's turn 1 is
 * after it). Through the daemon's method, as the CLI reaches it.
 */
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { safetyHandlers } from '../../../daemon/methods/safety-methods.js';
import type { Kernel } from '../../../kernel/kernel.js';
import { call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const write = (file: string, content: string): string => call('FS_WRITE', { path: file, content });
const exists = (file: string): Promise<boolean> =>
  access(path.join(h!.workspace, file)).then(
    () => true,
    () => false,
  );
type RollbackCtx = Parameters<typeof safetyHandlers.rollback>[1];
const rollback = (kernel: Kernel, pid: number, turn: number): Promise<{ files: Array<{ path: string }> }> =>
  Promise.resolve(safetyHandlers.rollback({ pid, turn }, { kernel } as RollbackCtx)) as Promise<{
    files: Array<{ path: string }>;
  }>;

describe('rollback from a turn, over a tree', () => {
  it("keeps what a child wrote during an earlier turn of its parent, whatever the child's turn number", async () => {
    const root = [
      `${call('SPAWN_AGENT', { role: 'kid', name: 'kid', task: 'write' })}\n${call('WAIT', {})}`,
      write('late.txt', 'late'),
      EXIT,
    ];
    const kid = [call('FS_LIST', { path: '/' }), call('FS_LIST', { path: '/' }), write('early.txt', 'kid'), EXIT];
    h = await startHarness({ root, kid });
    const origin = await h.run();
    const undone = await rollback(h.kernel, origin.pid, 1);
    expect(undone.files.map((f) => f.path)).toEqual(['/late.txt']);
    expect(await readFile(path.join(h.workspace, 'early.txt'), 'utf8')).toBe('kid');
  });

  it("puts back what a child wrote during a later turn of its parent, even at the child's turn 0", async () => {
    const root = [
      write('first.txt', '1'),
      `${call('SPAWN_AGENT', { role: 'kid', name: 'kid', task: 'write' })}\n${call('WAIT', {})}`,
      EXIT,
    ];
    h = await startHarness({ root, kid: [write('kid.txt', 'kid'), EXIT] });
    const origin = await h.run();
    const undone = await rollback(h.kernel, origin.pid, 1);
    expect(undone.files.map((f) => f.path)).toEqual(['/kid.txt']);
    expect(await exists('kid.txt')).toBe(false);
    expect(await exists('first.txt')).toBe(true);
  });
});
