/**
 * Red team (issue 33): what a `thread:` glob covers, and the kernel's per-process thread state
 * after processes end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CapabilitySet } from '../../sys/capabilities.js';
import { ALL_CAPS, call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('red team: thread globs', () => {
  it('thread:client:* stops at every key separator, ":" as well as "/" (it covers client:acme, not client:acme:payroll)', () => {
    const clients = new CapabilitySet(['thread:client:*']);
    expect(clients.allows('thread:client:acme')).toBe(true);
    expect(clients.allows('thread:client:acme/payroll')).toBe(false);
    expect(clients.allows('thread:client:acme:payroll')).toBe(false);
  });

  it("holds: a child asking for a glob wider than its parent's, in any spelling, is given none of it", () => {
    const parent = new CapabilitySet(['thread:client:a*', 'thread:project:aos/**']);
    const asked = [
      'thread:client:*',
      'thread:client:a**',
      'thread:client:a*/**',
      'thread:client:**',
      'thread:project:**',
      'thread:project:aos*',
      'thread:project:ao*/**',
      'thread',
      'thread:**',
      ' thread:client:b ',
    ];
    const got: string[] = [];
    for (const a of asked) {
      try {
        got.push(...parent.intersect([a]).list);
      } catch {
        // refused outright
      }
    }
    expect(got).toEqual([]);
  });
});

describe('red team: per-process thread state', () => {
  it('holds: 40 processes that each touched 20 threads leave nothing in the in-memory link sets once ended', async () => {
    const appends = Array.from({ length: 20 }, (_, i) => call('THREAD_APPEND', { key: `t:${i}`, text: 'x' })).join(
      '\n',
    );
    h = await startHarness(
      { w: [appends, call('THREAD_OPEN', { key: 't:0' }), EXIT] },
      { rootCapabilities: [...ALL_CAPS, 'thread:**'] },
    );
    const pids: number[] = [];
    for (let i = 0; i < 40; i++) {
      const pcb = await h.run({ name: 'w' });
      expect(pcb.exitCode).toBe(0);
      pids.push(pcb.pid);
    }
    for (const pid of pids) expect(h.kernel.threads.touchedBy(pid)).toEqual([]);
    // Every in-memory Map/Set the Threads object keeps beside its rows is empty (whatever it is called).
    const state = Object.entries(h.kernel.threads as unknown as Record<string, unknown>).filter(
      ([k, v]) => k !== 'rows' && (v instanceof Map || v instanceof Set),
    );
    expect(state.length).toBeGreaterThan(0);
    for (const [k, v] of state) expect((v as Map<unknown, unknown>).size, k).toBe(0);
  }, 60_000);
});
