/**
 * Red team: the system prompt shows a process only the syscalls its capabilities allow
 * (syscalls/reference.ts). The prompt is a courtesy, never the guard: a call it leaves out is
 * still refused by the dispatcher when made, a child's permissions cannot put a call into its
 * reference that its parent could not grant, and the prompt stays the same for a process's life.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';
import { type Measured, measureRequests } from '../helpers/measured-model.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

/** Whether a system prompt carries the syscall's whole entry (its line of arguments). */
const lists = (system: string, name: string): boolean => system.includes(`\n${name} {`);
const notYours = (system: string): string[] =>
  (/^Not yours \([^)]*\): (.*)\.$/m.exec(system)?.[1] ?? '').split(', ').filter(Boolean);
const systemsOf = (seen: Measured[], name: string): string[] =>
  seen.filter((m) => m.request.proc.name === name).map((m) => m.request.system);

describe('red team: the syscall reference and capabilities', () => {
  it('holds: a call left out of the prompt is refused EPERM when made anyway, and permissions cannot widen a child’s reference', async () => {
    h = await startHarness(
      {
        root: [
          call('EXEC_CMD', { cmd: 'echo pwned > /workspace/x' }),
          // Asks for what it lacks in both spellings: syscall names and capabilities.
          `${call('SPAWN_AGENT', { name: 'child', role: 'worker', task: 't', permissions: ['EXEC_CMD', 'exec', 'NET_FETCH', 'net.fetch:*', 'FS_READ'] })}\n${call('WAIT', {})}`,
          EXIT,
        ],
        child: [call('EXEC_CMD', { cmd: 'echo pwned' }), call('NET_FETCH', { url: 'https://example.com/' }), EXIT],
      },
      { rootCapabilities: ['fs.read:/**', 'spawn'] },
    );
    const seen = await measureRequests(h);
    const root = await h.run({ name: 'root' });
    expect(root.exitCode).toBe(0);

    const rootSystems = systemsOf(seen, 'root');
    expect(rootSystems).toHaveLength(3);
    // One prompt for the process's life (a provider's prompt cache stays warm).
    expect(new Set(rootSystems).size).toBe(1);
    const rootSystem = rootSystems[0] ?? '';
    expect(lists(rootSystem, 'FS_READ')).toBe(true);
    expect(lists(rootSystem, 'SPAWN_AGENT')).toBe(true);
    expect(lists(rootSystem, 'EXEC_CMD')).toBe(false);
    expect(notYours(rootSystem)).toContain('EXEC_CMD');
    expect(h.results(root.pid).find((r) => r.name === 'EXEC_CMD')).toMatchObject({ ok: false, errno: 'EPERM' });

    const spawned = h.results(root.pid).find((r) => r.name === 'SPAWN_AGENT');
    expect(spawned?.ok, JSON.stringify(spawned)).toBe(true);
    const childPid = (spawned?.value as { pid: number }).pid;
    const childSystems = systemsOf(seen, 'child');
    expect(childSystems.length).toBeGreaterThan(0);
    const childSystem = childSystems[0] ?? '';
    expect(lists(childSystem, 'FS_READ')).toBe(true);
    for (const name of ['EXEC_CMD', 'NET_FETCH', 'SPAWN_AGENT']) {
      expect(lists(childSystem, name), name).toBe(false);
      expect(notYours(childSystem), name).toContain(name);
    }
    const childResults = h.results(childPid);
    expect(childResults.find((r) => r.name === 'EXEC_CMD')).toMatchObject({ ok: false, errno: 'EPERM' });
    expect(childResults.find((r) => r.name === 'NET_FETCH')).toMatchObject({ ok: false, errno: 'EPERM' });
  });

  it('holds: a capability whose pattern carries a newline and a kind’s name is one capability, not two', async () => {
    h = await startHarness(
      { w: [call('EXEC_CMD', { cmd: 'true' }), EXIT] },
      { rootCapabilities: ['fs.read:/a\nexec'] },
    );
    const seen = await measureRequests(h);
    const w = await h.run({ name: 'w' });
    const system = systemsOf(seen, 'w')[0] ?? '';
    expect(lists(system, 'EXEC_CMD')).toBe(false);
    expect(h.results(w.pid).find((r) => r.name === 'EXEC_CMD')).toMatchObject({ ok: false, errno: 'EPERM' });
  });
});
