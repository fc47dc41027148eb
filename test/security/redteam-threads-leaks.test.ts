/**
 * Red team (issue 33): a thread's text reaching a process whose capabilities do not cover the
 * thread, through the tree-wide recall calls (SYS_RESULT_READ {pid}, HISTORY_SEARCH), and the
 * checks that hold (another tree, SPAWN_AGENT attach / unit attach).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ALL_CAPS, call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const SECRET = 'zebracode wire 1M to account 99-0001';

describe('red team: thread text past the capability, inside one tree', () => {
  it("a child without thread:client:acme reads the parent's THREAD_OPEN result of client:acme via SYS_RESULT_READ {pid}", async () => {
    h = await startHarness(
      {
        parent: [
          call('THREAD_OPEN', { key: 'client:acme' }),
          call('SPAWN_AGENT', {
            role: 'helper',
            name: 'child',
            task: 'look',
            permissions: ['thread:client:beta', 'ipc'],
          }),
          call('WAIT', {}),
          EXIT,
        ],
        child: [call('SYS_RESULT_READ', { pid: 1, turn: 0, seq: 0 }), EXIT],
      },
      { rootCapabilities: [...ALL_CAPS, 'thread:**'] },
    );
    h.kernel.threads.append('client:acme', { text: SECRET, pid: 0, unit: null });
    const parent = await h.run({
      name: 'parent',
      capabilities: [...ALL_CAPS, 'thread:client:acme', 'thread:client:beta'],
    });
    expect(parent.pid).toBe(1);
    expect(parent.exitCode).toBe(0);
    const childPid = parent.pid + 1;
    expect(h.kernel.pcb(childPid)?.capabilities ?? (await h.kernel.waitExit(childPid)).capabilities).not.toContain(
      'thread:client:acme',
    );
    const read = h.results(childPid).find((r) => r.name === 'SYS_RESULT_READ');
    expect(read).toBeDefined();
    // The child may not THREAD_OPEN client:acme: it must not get its entries this way either.
    expect(JSON.stringify(read)).not.toContain('zebracode');
  }, 30_000);

  it('a child without thread:client:acme finds the text its parent appended to client:acme via HISTORY_SEARCH (reply hits)', async () => {
    h = await startHarness(
      {
        parent: [
          call('THREAD_APPEND', { key: 'client:acme', text: SECRET, kind: 'decision' }),
          call('SPAWN_AGENT', {
            role: 'helper',
            name: 'child',
            task: 'look',
            permissions: ['thread:client:beta', 'ipc'],
          }),
          call('WAIT', {}),
          EXIT,
        ],
        child: [call('HISTORY_SEARCH', { query: 'zebracode' }), EXIT],
      },
      { rootCapabilities: [...ALL_CAPS, 'thread:**'] },
    );
    const parent = await h.run({
      name: 'parent',
      capabilities: [...ALL_CAPS, 'thread:client:acme', 'thread:client:beta'],
    });
    expect(parent.exitCode).toBe(0);
    const search = h.results(parent.pid + 1).find((r) => r.name === 'HISTORY_SEARCH');
    expect(search?.ok).toBe(true);
    // searched.threads correctly leaves client:acme out ...
    expect(JSON.stringify((search as { value: { searched: unknown } }).value.searched)).not.toContain('client:acme');
    // ... but the parent's reply that carried the entry is a hit.
    expect(JSON.stringify(search)).not.toContain('zebracode wire');
  }, 30_000);

  it("a child without thread:client:acme learns the keys of threads it may not list (the parent's THREAD_LIST result) via SYS_RESULT_READ {pid}", async () => {
    h = await startHarness(
      {
        parent: [
          call('THREAD_LIST', {}),
          call('SPAWN_AGENT', {
            role: 'helper',
            name: 'child',
            task: 'look',
            permissions: ['thread:client:beta', 'ipc'],
          }),
          call('WAIT', {}),
          EXIT,
        ],
        child: [[call('THREAD_LIST', {}), call('SYS_RESULT_READ', { pid: 1, turn: 0, seq: 0 })].join('\n'), EXIT],
      },
      { rootCapabilities: [...ALL_CAPS, 'thread:**'] },
    );
    h.kernel.threads.append('client:acme-merger-target', { text: 'x', pid: 0, unit: null });
    const parent = await h.run({ name: 'parent', capabilities: [...ALL_CAPS, 'thread:client:*'] });
    expect(parent.exitCode).toBe(0);
    const results = h.results(parent.pid + 1);
    const list = results.find((r) => r.name === 'THREAD_LIST');
    expect(JSON.stringify(list)).not.toContain('acme-merger-target');
    const read = results.find((r) => r.name === 'SYS_RESULT_READ');
    expect(JSON.stringify(read)).not.toContain('acme-merger-target');
  }, 30_000);
  it('more generally: a child spawned with no fs.read reads the file its parent read, via SYS_RESULT_READ {pid} (the new argument)', async () => {
    h = await startHarness(
      {
        parent: [
          call('FS_READ', { path: 'secret.txt' }),
          call('SPAWN_AGENT', { role: 'helper', name: 'child', task: 'summarise the web page', permissions: ['ipc'] }),
          call('WAIT', {}),
          EXIT,
        ],
        child: [
          [call('FS_READ', { path: 'secret.txt' }), call('SYS_RESULT_READ', { pid: 1, turn: 0, seq: 0 })].join('\n'),
          EXIT,
        ],
      },
      { rootCapabilities: [...ALL_CAPS, 'thread:**'] },
    );
    const { writeFile } = await import('node:fs/promises');
    const path = await import('node:path');
    await writeFile(path.join(h.workspace, 'secret.txt'), 'AWS_KEY=zebracode-AKIA0000');
    const parent = await h.run({ name: 'parent' });
    expect(parent.exitCode).toBe(0);
    const results = h.results(parent.pid + 1);
    expect(results.find((r) => r.name === 'FS_READ')).toMatchObject({ ok: false, errno: 'EPERM' });
    expect(JSON.stringify(results.find((r) => r.name === 'SYS_RESULT_READ'))).not.toContain('zebracode');
  }, 30_000);
});

describe('red team: what holds', () => {
  it('another tree: HISTORY_SEARCH {pid} and SYS_RESULT_READ {pid} of another tree, of a pid that never was, and of pid 0-ish values are refused', async () => {
    h = await startHarness(
      {
        other: [call('THREAD_OPEN', { key: 'client:acme' }), EXIT],
        probe: [
          [
            call('SYS_RESULT_READ', { pid: 1, turn: 0, seq: 0 }),
            call('HISTORY_SEARCH', { query: 'zebracode', pid: 1 }),
            call('SYS_RESULT_READ', { pid: 999, turn: 0, seq: 0 }),
            call('HISTORY_SEARCH', { query: 'zebracode', pid: 999 }),
            call('SYS_RESULT_READ', { pid: 0, turn: 0, seq: 0 }),
            call('HISTORY_SEARCH', { query: 'zebracode' }),
            call('HISTORY_SEARCH', { query: 'zebracode', since: '1970-01-01T00:00:00Z' }),
          ].join('\n'),
          EXIT,
        ],
      },
      { rootCapabilities: [...ALL_CAPS, 'thread:**'] },
    );
    h.kernel.threads.append('client:acme', { text: SECRET, pid: 0, unit: null });
    const other = await h.run({ name: 'other' });
    expect(other.pid).toBe(1);
    const probe = await h.run({ name: 'probe', capabilities: [...ALL_CAPS, 'thread:client:beta'] });
    const results = h.results(probe.pid).filter((r) => r.name !== 'SYS_EXIT');
    expect(results.map((r) => (r.ok ? 'ok' : r.errno))).toEqual([
      'EPERM',
      'EPERM',
      'EPERM',
      'EPERM',
      'EINVAL',
      'ok',
      'ok',
    ]);
    expect(JSON.stringify(results)).not.toContain('zebracode wire');
  }, 30_000);

  it('SPAWN_AGENT {"unit"} of a unit that attaches a thread the caller does not hold is refused', async () => {
    h = await startHarness(
      {
        caller: [call('SPAWN_AGENT', { unit: 'billing', task: 'go' }), EXIT],
        billing: [EXIT],
      },
      { rootCapabilities: [...ALL_CAPS, 'unit:*', 'thread:**'] },
    );
    h.kernel.threads.append('client:acme', { text: SECRET, pid: 0, unit: null });
    h.kernel.units.add({
      name: 'billing',
      task: 'bill',
      model: `replay:${h.tape}`,
      capabilities: ['thread:**'],
      attach: ['client:acme'],
      triggers: [],
    });
    const caller = await h.run({ name: 'caller', capabilities: [...ALL_CAPS, 'unit:billing', 'thread:client:beta'] });
    const spawned = h.results(caller.pid).find((r) => r.name === 'SPAWN_AGENT');
    expect(spawned).toMatchObject({ ok: false, errno: 'EPERM' });
  }, 30_000);

  it('SPAWN_AGENT attach / permissions cannot widen: globs, bare "thread", THREAD_* names, a key that is a glob', async () => {
    h = await startHarness(
      {
        parent: [
          [
            call('SPAWN_AGENT', { role: 'x', name: 'child', permissions: ['thread'] }),
            call('SPAWN_AGENT', { role: 'x', name: 'child', permissions: ['thread:**'] }),
            call('SPAWN_AGENT', { role: 'x', name: 'child', permissions: ['thread:client:**'] }),
            call('SPAWN_AGENT', { role: 'x', name: 'child', permissions: ['THREAD_OPEN', 'thread:client:beta/**'] }),
            call('SPAWN_AGENT', { role: 'x', name: 'child', attach: ['client:*'] }),
            call('SPAWN_AGENT', { role: 'x', name: 'child', attach: ['client:beta/x'] }),
          ].join('\n'),
          EXIT,
        ],
        child: [EXIT],
      },
      { rootCapabilities: [...ALL_CAPS, 'thread:**'] },
    );
    const parent = await h.run({ name: 'parent', capabilities: [...ALL_CAPS, 'thread:client:beta'] });
    const spawns = h.results(parent.pid).filter((r) => r.name === 'SPAWN_AGENT');
    expect(spawns.map((r) => (r.ok ? 'ok' : r.errno))).toEqual(['ok', 'ok', 'ok', 'ok', 'EINVAL', 'EPERM']);
    for (const r of spawns.slice(0, 4)) {
      const pid = (r.value as { pid: number }).pid;
      const caps = (await h.kernel.waitExit(pid)).capabilities;
      expect(
        caps.filter((c) => c.startsWith('thread')),
        JSON.stringify(caps),
      ).toEqual(caps.includes('thread:client:beta') ? ['thread:client:beta'] : []);
    }
  }, 30_000);
});
