/**
 * Capability escalation through SPAWN_AGENT: a child holds the intersection of its parent's set and
 * what it asks for, so asking for more yields nothing, and its path grants hold against `..`,
 * prefix tricks and symlinks planted in the workspace.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { auditAndClose, call, EXIT, exists, outcome, startWorld, type Tape, type World } from './world.js';

let w: World | undefined;
afterEach(async () => {
  const world = w;
  w = undefined;
  await auditAndClose(world);
});

const PARENT_CAPS = ['fs.read:/**', 'fs.write:/**', 'spawn'];

/** The root spawns one child named "child" asking for `permissions`, waits for it, and exits. */
function parentTape(permissions: string[] | undefined, child: Tape[string]): Tape {
  const spawnArgs = { role: 'worker', name: 'child', ...(permissions ? { permissions } : {}) };
  return {
    root: [
      call('SPAWN_AGENT', spawnArgs),
      { expect: '"pid":2', reply: call('WAIT', { pid: 2, timeout_s: 20 }) },
      { expect: '[SYS_RESULT::WAIT]', reply: EXIT },
    ],
    child,
  };
}

async function runTree(world: World): Promise<{ childCaps: readonly string[]; outcomes: string[] }> {
  const root = await world.run();
  expect(root.exitReason, 'the parent saw its child end').toBe('exited');
  const child = world.kernel.list().find((p) => p.name === 'child');
  expect(child?.exitReason, "the child's tape expectations held").toBe('exited');
  return {
    childCaps: child?.capabilities ?? [],
    outcomes: world
      .results(child?.pid ?? -1)
      .filter((r) => r.name !== 'SYS_EXIT')
      .map((r) => `${r.name}:${outcome(r)}`),
  };
}

describe('a child asking for more than its parent holds', () => {
  it('gets neither exec nor net.fetch:* when the parent lacks them', async () => {
    w = await startWorld(
      parentTape(
        ['exec', 'net.fetch:*', 'fs.read:/**'],
        [
          [
            call('EXEC_CMD', { cmd: 'echo escaped > /workspace/escaped.txt' }),
            call('NET_FETCH', { url: 'http://example.org/' }),
          ].join('\n'),
          { expect: '"errno":"EPERM"', reply: EXIT },
        ],
      ),
      { rootCapabilities: PARENT_CAPS },
    );
    const { childCaps, outcomes } = await runTree(w);
    expect(childCaps).toEqual(['fs.read:/**']);
    expect(outcomes).toEqual(['EXEC_CMD:EPERM', 'NET_FETCH:EPERM']);
    expect(await exists(path.join(w.workspace, 'escaped.txt'))).toBe(false);
  });

  it('a grandchild cannot regain what its parent was not given', async () => {
    w = await startWorld(
      {
        root: [
          call('SPAWN_AGENT', { role: 'r', name: 'child', permissions: ['fs.read:/**', 'fs.write:/out/**', 'spawn'] }),
          { expect: '"pid":2', reply: call('WAIT', { pid: 2, timeout_s: 20 }) },
          { expect: '[SYS_RESULT::WAIT]', reply: EXIT },
        ],
        child: [
          call('SPAWN_AGENT', {
            role: 'r',
            name: 'grandchild',
            permissions: ['fs.write:/**', 'exec', 'spawn', 'fs.read:/**'],
          }),
          { expect: '"pid":3', reply: call('WAIT', { pid: 3, timeout_s: 20 }) },
          { expect: '[SYS_RESULT::WAIT]', reply: EXIT },
        ],
        grandchild: [
          [
            call('FS_WRITE', { path: 'x.txt', content: 'x' }),
            call('FS_WRITE', { path: 'out/g.txt', content: 'x' }),
            call('EXEC_CMD', { cmd: 'true' }),
          ].join('\n'),
          { expect: '"errno":"EPERM"', reply: EXIT },
        ],
      },
      { rootCapabilities: [...PARENT_CAPS, 'exec'] },
    );
    await w.run();
    const grandchild = w.kernel.list().find((p) => p.name === 'grandchild');
    expect(grandchild?.capabilities).toEqual(['spawn', 'fs.read:/**']);
    expect(
      w
        .results(grandchild?.pid ?? -1)
        .slice(0, 3)
        .map(outcome),
    ).toEqual(['EPERM', 'EPERM', 'EPERM']);
  });

  it("a root spawned with capabilities beyond the policy gets only the policy's (the CLI path)", async () => {
    w = await startWorld(
      { root: [call('EXEC_CMD', { cmd: 'true' }), { expect: '"errno":"EPERM"', reply: EXIT }] },
      { rootCapabilities: PARENT_CAPS },
    );
    const pcb = await w.run('root', { capabilities: ['exec', 'fs.write:/**', 'net.fetch:*'] });
    expect(pcb.capabilities).toEqual(['fs.write:/**']);
    expect(outcome(w.resultsOf(pcb.pid, 'EXEC_CMD')[0])).toBe('EPERM');
  });

  it('a request with `..` in a pattern is refused, and a look-alike pattern is not granted', async () => {
    w = await startWorld(
      {
        root: [
          [
            call('SPAWN_AGENT', { role: 'r', name: 'bad', permissions: ['fs.write:/out/../**'] }),
            call('SPAWN_AGENT', {
              role: 'r',
              name: 'child',
              permissions: ['fs.write:/out*', 'fs.write:/out/**/../../**'],
            }),
          ].join('\n'),
          { expect: '"errno":"EINVAL"', reply: call('WAIT', { timeout_s: 20 }) },
          { expect: '[SYS_RESULT::WAIT]', reply: EXIT },
        ],
        child: [EXIT],
      },
      { rootCapabilities: ['fs.read:/**', 'fs.write:/out/**', 'spawn'] },
    );
    const root = await w.run();
    expect(w.resultsOf(root.pid, 'SPAWN_AGENT').map(outcome)).toEqual(['EINVAL', 'EINVAL']);
  });
});

describe('a child confined to fs.write:/out/**', () => {
  const CHILD_PERMS = ['fs.read:/**', 'fs.write:/out/**'];

  it('writes inside /out, and nowhere else by `..`, prefix or absolute spellings', async () => {
    w = await startWorld(
      parentTape(CHILD_PERMS, [
        [
          call('FS_WRITE', { path: 'out/ok.txt', content: 'fine' }),
          call('FS_WRITE', { path: 'x.txt', content: 'x' }),
          call('FS_WRITE', { path: 'outside.txt', content: 'x' }),
          call('FS_WRITE', { path: 'out2/x.txt', content: 'x' }),
          call('FS_WRITE', { path: 'out/../x.txt', content: 'x' }),
          call('FS_WRITE', { path: '/out/%2e%2e/x.txt', content: 'x' }),
          call('FS_WRITE', { path: 'out\\..\\x.txt', content: 'x' }),
          call('FS_WRITE', { path: '//out//..//x.txt', content: 'x' }),
          call('FS_WRITE', { path: 'OUT/x.txt', content: 'x' }),
        ].join('\n'),
        { expect: '"bytes":4', reply: EXIT },
      ]),
      { rootCapabilities: PARENT_CAPS },
    );
    const { outcomes } = await runTree(w);
    expect(outcomes).toEqual([
      'FS_WRITE:ok',
      'FS_WRITE:EPERM',
      'FS_WRITE:EPERM',
      'FS_WRITE:EPERM',
      'FS_WRITE:EACCES',
      'FS_WRITE:EACCES',
      'FS_WRITE:EACCES',
      'FS_WRITE:EACCES',
      'FS_WRITE:EPERM',
    ]);
    expect((await fsp.readdir(w.workspace)).sort()).toEqual(['out']);
    expect(await fsp.readdir(path.join(w.workspace, 'out'))).toEqual(['ok.txt']);
  });

  it('a symlinked directory inside /out does not carry its writes elsewhere in the workspace', async () => {
    w = await startWorld(
      parentTape(CHILD_PERMS, [
        [
          call('FS_WRITE', { path: 'out/up/config.txt', content: 'pwned' }),
          call('FS_WRITE', { path: 'out/up/new.txt', content: 'pwned' }),
        ].join('\n'),
        { expect: '[SYS_RESULT::FS_WRITE]', reply: EXIT },
      ]),
      { rootCapabilities: PARENT_CAPS },
    );
    // Planted before the child runs (by the host, or by any process with exec): out/up -> the workspace root.
    await fsp.mkdir(path.join(w.workspace, 'out'));
    await fsp.writeFile(path.join(w.workspace, 'config.txt'), 'original');
    await fsp.symlink('..', path.join(w.workspace, 'out', 'up'));
    const { outcomes } = await runTree(w);
    expect(outcomes).toEqual(['FS_WRITE:EPERM', 'FS_WRITE:EPERM']);
    expect(await fsp.readFile(path.join(w.workspace, 'config.txt'), 'utf8')).toBe('original');
    expect(await exists(path.join(w.workspace, 'new.txt'))).toBe(false);
  });

  it('fs.read:/pub/** does not read /private through a symlinked directory in /pub', async () => {
    w = await startWorld(
      parentTape(
        ['fs.read:/pub/**'],
        [
          [
            call('FS_READ', { path: 'pub/link/key.txt' }),
            call('FS_LIST', { path: 'pub/link/inner' }),
            call('FS_READ', { path: 'pub/ok.txt' }),
          ].join('\n'),
          { expect: '"content":"public"', reply: EXIT },
        ],
      ),
      { rootCapabilities: PARENT_CAPS },
    );
    await fsp.mkdir(path.join(w.workspace, 'private', 'inner'), { recursive: true });
    await fsp.mkdir(path.join(w.workspace, 'pub'));
    await fsp.writeFile(path.join(w.workspace, 'private', 'key.txt'), 'private key');
    await fsp.writeFile(path.join(w.workspace, 'pub', 'ok.txt'), 'public');
    await fsp.symlink('../private', path.join(w.workspace, 'pub', 'link'));
    const { outcomes } = await runTree(w);
    expect(outcomes).toEqual(['FS_READ:EPERM', 'FS_LIST:EPERM', 'FS_READ:ok']);
    expect(JSON.stringify(w.events)).not.toContain('private key');
  });

  it('a symlink that stays inside the grant keeps working', async () => {
    w = await startWorld(
      parentTape(CHILD_PERMS, [
        [
          call('FS_WRITE', { path: 'out/current/a.txt', content: 'via link' }),
          call('FS_READ', { path: 'out/current/a.txt' }),
        ].join('\n'),
        { expect: '"content":"via link"', reply: EXIT },
      ]),
      { rootCapabilities: PARENT_CAPS },
    );
    await fsp.mkdir(path.join(w.workspace, 'out', 'v2'), { recursive: true });
    await fsp.symlink('v2', path.join(w.workspace, 'out', 'current'));
    const { outcomes } = await runTree(w);
    expect(outcomes).toEqual(['FS_WRITE:ok', 'FS_READ:ok']);
    expect(await fsp.readFile(path.join(w.workspace, 'out', 'v2', 'a.txt'), 'utf8')).toBe('via link');
  });
});
