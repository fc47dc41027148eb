import { execFileSync } from 'node:child_process';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/index.js';
import { diffProcess, rollbackProcess } from '../../../kernel/safety/rollback.js';
import { parsePolicy } from '../../../kernel/safety/policy.js';
import { call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';

const bwrap = await findBwrap();
let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const read = (rel: string): Promise<string | null> => readFile(path.join(h!.workspace, rel), 'utf8').catch(() => null);

describe.skipIf(!bwrap)('workspace journal and rollback', () => {
  it('diffs and rolls back FS_WRITE and EXEC_CMD changes, by turn', async () => {
    h = await startHarness({
      root: [
        call('FS_WRITE', { path: '/a.txt', content: 'new a' }),
        call('EXEC_CMD', { cmd: 'echo made > b.txt; rm gone.txt; echo more >> keep.txt' }),
        call('FS_WRITE', { path: '/c.txt', content: 'c' }),
        EXIT,
      ],
    });
    await mkdir(h.workspace, { recursive: true });
    await writeFile(path.join(h.workspace, 'a.txt'), 'old a');
    await writeFile(path.join(h.workspace, 'gone.txt'), 'was here');
    await writeFile(path.join(h.workspace, 'keep.txt'), 'kept\n');
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(0);
    const diff = await diffProcess(h.kernel.safety, pcb.pid);
    expect(diff.map((f) => [f.path, f.status, f.turns, f.changed_since])).toEqual([
      ['/a.txt', 'modified', [0], false],
      ['/b.txt', 'added', [1], false],
      ['/keep.txt', 'modified', [1], false],
      ['/gone.txt', 'deleted', [1], false],
      ['/c.txt', 'added', [2], false],
    ]);
    // From turn 2 on: only c.txt.
    expect(await rollbackProcess(h.kernel.safety, pcb.pid, 2)).toEqual([{ path: '/c.txt', action: 'removed' }]);
    expect(await read('c.txt')).toBeNull();
    expect(await read('b.txt')).toBe('made\n');
    await rollbackProcess(h.kernel.safety, pcb.pid, 0);
    expect([await read('a.txt'), await read('b.txt'), await read('gone.txt'), await read('keep.txt')]).toEqual([
      'old a',
      null,
      'was here',
      'kept\n',
    ]);
    expect(await diffProcess(h.kernel.safety, pcb.pid)).toEqual([]);
  });

  it('refuses, changing nothing, when a later process changed the same file', async () => {
    h = await startHarness({
      first: [
        call('FS_WRITE', { path: '/shared.txt', content: 'first' }),
        call('FS_WRITE', { path: '/own.txt', content: 'own' }),
        EXIT,
      ],
      second: [call('EXEC_CMD', { cmd: 'echo second > shared.txt' }), EXIT],
    });
    const first = await h.run({ name: 'first' });
    const second = await h.run({ name: 'second' });
    expect((await diffProcess(h.kernel.safety, first.pid)).find((f) => f.path === '/shared.txt')?.changed_since).toBe(
      true,
    );
    await expect(rollbackProcess(h.kernel.safety, first.pid, 0)).rejects.toThrow(
      /shared\.txt was changed since by process 2 \(EXEC_CMD, turn 0\)/,
    );
    expect([await read('shared.txt'), await read('own.txt')]).toEqual(['second\n', 'own']);
    // The later process's own change rolls back; then the first's does too.
    await rollbackProcess(h.kernel.safety, second.pid, 0);
    expect(await read('shared.txt')).toBe('first');
    await rollbackProcess(h.kernel.safety, first.pid, 0);
    expect([await read('shared.txt'), await read('own.txt')]).toEqual([null, null]);
  });

  it('does not block on a FIFO at the path of an FS_WRITE (it is not journaled)', async () => {
    h = await startHarness({ root: [call('FS_WRITE', { path: '/pipe', content: 'x' }), EXIT] });
    await mkdir(h.workspace, { recursive: true });
    execFileSync('mkfifo', [path.join(h.workspace, 'pipe')]);
    const pcb = await h.run();
    expect(pcb.state).toBe('exited');
    expect(await diffProcess(h.kernel.safety, pcb.pid)).toEqual([]);
  });

  it('refuses when the file was changed outside aos', async () => {
    h = await startHarness({ root: [call('FS_WRITE', { path: '/x.txt', content: 'agent' }), EXIT] });
    const pcb = await h.run();
    await writeFile(path.join(h.workspace, 'x.txt'), 'a person edited this');
    await expect(rollbackProcess(h.kernel.safety, pcb.pid, 0)).rejects.toMatchObject({
      code: 'EBUSY',
      message: expect.stringMatching(/x\.txt was changed since outside the journal/),
    });
  });
});

describe.skipIf(!bwrap)('journal.exec: false', () => {
  it('journals FS_WRITE but not EXEC_CMD', async () => {
    const safety = parsePolicy('version: 1\nroot: {capabilities: [exec]}\njournal: {exec: false}\n', 'p').safety;
    h = await startHarness(
      { root: [call('FS_WRITE', { path: '/w.txt', content: 'w' }), call('EXEC_CMD', { cmd: 'echo e > e.txt' }), EXIT] },
      { safety },
    );
    const pcb = await h.run();
    expect((await diffProcess(h.kernel.safety, pcb.pid)).map((f) => f.path)).toEqual(['/w.txt']);
  });
});
