/**
 * Links as a way out: symlinks and hard links made inside the exec sandbox (where they look
 * harmless) and then followed by the kernel's fs driver on the host, where `/` means the host's root.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/index.js';
import {
  auditAndClose,
  call,
  EXIT,
  exists,
  outcome,
  startWorld,
  type Tape,
  type TapeEntry,
  valueOf,
  type World,
} from './world.js';

const bwrap = await findBwrap();
if (!bwrap) console.log('bwrap not installed: link attacks made through EXEC_CMD are skipped');

let w: World | undefined;
afterEach(async () => {
  const world = w;
  w = undefined;
  await auditAndClose(world);
});

const exec = (cmd: string): string => call('EXEC_CMD', { cmd, timeout_s: 3 });

/** Make links with EXEC_CMD, then run the fs calls; both batches must come back to the model. */
function linkThenCalls(shell: string, calls: string[], expectText: string): Tape {
  const entries: TapeEntry[] = [
    exec(shell),
    { expect: '"exit_code":0', reply: calls.join('\n') },
    { expect: expectText, reply: EXIT },
  ];
  return { root: entries };
}

async function fsOutcomes(world: World): Promise<string[]> {
  const pcb = await world.run();
  expect(pcb.exitReason, 'every tape expectation held').toBe('exited');
  return world
    .results(pcb.pid)
    .filter((r) => r.name.startsWith('FS_'))
    .map((r) => `${r.name}:${outcome(r)}`);
}

describe.skipIf(!bwrap)('symlinks made with EXEC_CMD', () => {
  it('ln -s / root: nothing of the host is read, written or listed through it', async () => {
    w = await startWorld((l) =>
      linkThenCalls(
        'ln -s / root',
        [
          call('FS_READ', { path: `root${l.secretPath}` }),
          call('FS_READ', { path: 'root/etc/passwd' }),
          call('FS_WRITE', { path: `root${l.outside}/pwned.txt`, content: 'x' }),
          call('FS_LIST', { path: 'root' }),
          call('FS_LIST', { path: 'root/etc' }),
        ],
        '"errno":"EACCES"',
      ),
    );
    expect(await fsOutcomes(w)).toEqual([
      'FS_READ:EACCES',
      'FS_READ:EACCES',
      'FS_WRITE:EACCES',
      'FS_LIST:EACCES',
      'FS_LIST:EACCES',
    ]);
  });

  it('ln -s <secret> s: the final symlink is never followed, for read or write', async () => {
    w = await startWorld((l) =>
      linkThenCalls(
        `ln -s ${l.secretPath} s`,
        [
          call('FS_READ', { path: 's' }),
          call('FS_WRITE', { path: 's', content: 'pwned' }),
          call('FS_WRITE', { path: 's', content: 'x', append: true }),
          call('FS_LIST', { path: 's' }),
        ],
        '"errno":"EACCES"',
      ),
    );
    expect(await fsOutcomes(w)).toEqual(['FS_READ:EACCES', 'FS_WRITE:EACCES', 'FS_WRITE:EACCES', 'FS_LIST:EACCES']);
  });

  it('a symlinked directory in the middle of the path (relative, climbing out) is refused', async () => {
    w = await startWorld((l) =>
      linkThenCalls(
        'ln -s .. up && mkdir -p a/b && ln -s ../../.. a/b/c',
        [
          call('FS_READ', { path: `up/${l.secretName}` }),
          call('FS_READ', { path: `a/b/c/${l.secretName}` }),
          call('FS_WRITE', { path: 'up/outside/pwned.txt', content: 'x' }),
          call('FS_WRITE', { path: 'a/b/c/outside/new-dir/pwned.txt', content: 'x' }),
          call('FS_LIST', { path: 'up/outside' }),
          call('FS_LIST', { path: 'a/b/c' }),
        ],
        '"errno":"EACCES"',
      ),
    );
    expect(await fsOutcomes(w)).toEqual([
      'FS_READ:EACCES',
      'FS_READ:EACCES',
      'FS_WRITE:EACCES',
      'FS_WRITE:EACCES',
      'FS_LIST:EACCES',
      'FS_LIST:EACCES',
    ]);
  });

  it('a dangling symlink: writing through it creates nothing outside', async () => {
    w = await startWorld((l) =>
      linkThenCalls(
        `ln -s ${l.outside}/created.txt d && ln -s ${l.outside}/newdir dd && ln -s ../outside/rel.txt r`,
        [
          call('FS_WRITE', { path: 'd', content: 'pwned' }),
          call('FS_WRITE', { path: 'r', content: 'pwned', append: true }),
          call('FS_WRITE', { path: 'dd/x.txt', content: 'pwned' }),
          call('FS_WRITE', { path: 'dd/deeper/x.txt', content: 'pwned' }),
        ],
        '"errno":"EACCES"',
      ),
    );
    const outcomes = await fsOutcomes(w);
    expect(outcomes.slice(0, 2)).toEqual(['FS_WRITE:EACCES', 'FS_WRITE:EACCES']);
    // Through a dangling directory link: refused (the directory it names does not exist).
    for (const o of outcomes.slice(2)) expect(o).toMatch(/^FS_WRITE:(EACCES|ENOENT)$/);
    // afterEach: outside/ is still empty.
  });

  it('hard links made inside the sandbox cannot reach host files (none are visible, /usr and /etc are other mounts)', async () => {
    w = await startWorld((l) => ({
      root: [
        exec(
          `ln /etc/passwd hp; ln /usr/bin/bash hb; ln ${l.secretPath} hs; ln /proc/self/environ he; ls -A; echo done`,
        ),
        { expect: 'done', reply: [call('FS_READ', { path: 'hp' }), call('FS_READ', { path: 'hs' })].join('\n') },
        { expect: '"errno":"ENOENT"', reply: EXIT },
      ],
    }));
    const pcb = await w.run();
    expect(pcb.exitReason).toBe('exited');
    const run = valueOf(w.resultsOf(pcb.pid, 'EXEC_CMD')[0]);
    expect(run.stdout).toBe('done\n');
    expect(String(run.stderr)).toMatch(/cross-device|No such file/);
    expect(w.resultsOf(pcb.pid, 'FS_READ').map(outcome)).toEqual(['ENOENT', 'ENOENT']);
    expect(await fsp.readdir(w.workspace)).toEqual([]);
  });
});

describe.skipIf(!bwrap)('special files made with EXEC_CMD', () => {
  it('a fifo is refused for read, write and append without hanging the kernel', { timeout: 10_000 }, async () => {
    w = await startWorld(
      linkThenCalls(
        'mkfifo p',
        [
          call('FS_READ', { path: 'p' }),
          call('FS_WRITE', { path: 'p', content: 'x' }),
          call('FS_WRITE', { path: 'p', content: 'x', append: true }),
        ],
        '"errno":"EACCES"',
      ),
    );
    expect(await fsOutcomes(w)).toEqual(['FS_READ:EACCES', 'FS_WRITE:EACCES', 'FS_WRITE:EACCES']);
  });
});

describe('links planted on the host', () => {
  it('a hard link to the secret inside the workspace is refused for read and write', async () => {
    w = await startWorld({
      root: [
        [
          call('FS_READ', { path: 'hl.txt' }),
          call('FS_WRITE', { path: 'hl.txt', content: 'pwned' }),
          call('FS_WRITE', { path: 'hl.txt', content: 'x', append: true }),
        ].join('\n'),
        { expect: '"errno":"EACCES"', reply: EXIT },
      ],
    });
    await fsp.link(w.secretPath, path.join(w.workspace, 'hl.txt'));
    const pcb = await w.run();
    expect(w.results(pcb.pid).slice(0, 3).map(outcome)).toEqual(['EACCES', 'EACCES', 'EACCES']);
    expect(w.results(pcb.pid)[0]?.message).toContain('hard-linked');
    // afterEach: the secret still holds exactly its canary (not truncated, nothing appended).
  });

  it('a symlink to the secret planted on the host is not followed', async () => {
    w = await startWorld({
      root: [
        [call('FS_READ', { path: 'link.txt' }), call('FS_WRITE', { path: 'link.txt', content: 'pwned' })].join('\n'),
        { expect: '"errno":"EACCES"', reply: EXIT },
      ],
    });
    await fsp.symlink(w.secretPath, path.join(w.workspace, 'link.txt'));
    const pcb = await w.run();
    expect(w.results(pcb.pid).slice(0, 2).map(outcome)).toEqual(['EACCES', 'EACCES']);
  });
});

// Swaps `swap` between a real directory and a symlink to ../outside as fast as it can, for 3 s.
const SWAPPER = `python3 - <<'EOF'
import os, shutil, time
os.mkdir('swap-dir')
os.symlink('../outside', 'swap-link')
moves = [('swap-dir', 'swap'), ('swap', 'swap-dir'), ('swap-link', 'swap'), ('swap', 'swap-link')]
stop = time.time() + 3
i = 0
while time.time() < stop:
    a, b = moves[i % 4]
    i += 1
    try:
        os.rename(a, b)
    except OSError:
        # The kernel's FS_WRITE may have made a fresh swap/ (it creates parents): clear it.
        try:
            if os.path.isdir('swap') and not os.path.islink('swap'):
                shutil.rmtree('swap')
        except OSError:
            pass
print('swaps', i)
EOF`;

describe.skipIf(!bwrap)('a directory swapped for an outside symlink while the kernel writes', () => {
  it('never creates a file or directory outside the workspace', { timeout: 30_000 }, async () => {
    const writerTurns: TapeEntry[] = [call('SLEEP', { seconds: 0.3 })];
    for (let turn = 0; turn < 24; turn++) {
      const calls: string[] = [];
      for (let k = 0; k < 30; k++) calls.push(call('FS_WRITE', { path: `swap/t${turn}-${k}.txt`, content: 'x' }));
      calls.push(call('FS_WRITE', { path: `swap/d${turn}/new.txt`, content: 'x' }));
      calls.push(call('FS_LIST', { path: 'swap' }));
      writerTurns.push(calls.join('\n'));
    }
    writerTurns.push(EXIT);
    w = await startWorld({
      swapper: [call('EXEC_CMD', { cmd: SWAPPER, timeout_s: 6 }), { expect: 'swaps', reply: EXIT }],
      writer: writerTurns,
    });
    const swapper = await w.spawn('swapper');
    const writer = await w.run('writer');
    await w.kernel.waitExit(swapper.pid);
    expect(writer.exitReason).toBe('exited');
    const writes = w.resultsOf(writer.pid, 'FS_WRITE');
    expect(writes.length).toBe(24 * 31);
    // Some writes must have met the symlink, or the race was never run.
    expect(writes.some((r) => outcome(r) === 'EACCES')).toBe(true);
    expect(await fsp.readdir(w.outside), 'names created outside the workspace').toEqual([]);
    expect(await exists(path.join(w.home, 'd0'))).toBe(false);
  });
});
