/**
 * Work control in a real kernel: the same SPAWN_AGENT while its child lives returns that child
 * (deduped, in the result the model sees, in the log and on the audit trail) — any difference in
 * what makes it the same work gives two children; caps on live children and live descendants
 * answer EAGAIN naming the cap; a live descendant count is in `inspect`.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSignature } from '../../kernel/proc/fan-out.js';
import { inspectProcess } from '../../kernel/proc/inspect.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';
import { removeProcesses } from '../../kernel/upkeep/retention.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const HOLD = call('RECV_MSG', { timeout_s: 600 });
const SPAWN = (extra: Record<string, unknown> = {}): string =>
  call('SPAWN_AGENT', { role: 'indexer', name: 'indexer', task: 'Index   the\ninbox', ...extra });

describe('spawn dedup', () => {
  it('the same SPAWN_AGENT over five turns gives one child and four deduped answers, each visible', async () => {
    h = await startHarness({
      root: [SPAWN(), SPAWN(), SPAWN({ task: 'Index the inbox' }), SPAWN(), SPAWN(), EXIT],
      indexer: [HOLD],
    });
    const pcb = await h.run();
    const results = h.results(pcb.pid).filter((r) => r.name === 'SPAWN_AGENT');
    expect(results.map((r) => r.value)).toEqual([
      { pid: 2 },
      { pid: 2, deduped: true },
      { pid: 2, deduped: true },
      { pid: 2, deduped: true },
      { pid: 2, deduped: true },
    ]);
    expect((await h.kernel.processes({ all: true })).filter((r) => r.ppid === pcb.pid)).toHaveLength(1);
    const audit = h.kernel.store.audit.list({ limit: 100 }).filter((r) => r.call === 'SPAWN_AGENT');
    expect(audit).toHaveLength(4);
    expect(audit[0]).toMatchObject({
      subject: 'child 2',
      reason: 'deduped: child 2 is the same work, answered instead of doing it again',
    });
  });

  it('starts another with dedup: false, and once the first child has ended', async () => {
    h = await startHarness({
      root: [
        SPAWN(),
        SPAWN({ dedup: false }),
        call('SPAWN_AGENT', { role: 'quick', name: 'quick', task: 't' }),
        call('WAIT', { pid: 4 }),
        call('SPAWN_AGENT', { role: 'quick', name: 'quick', task: 't' }),
        EXIT,
      ],
      indexer: [HOLD],
      quick: [EXIT],
    });
    const pcb = await h.run();
    const spawned = h
      .results(pcb.pid)
      .filter((r) => r.name === 'SPAWN_AGENT')
      .map((r) => r.value);
    expect(spawned).toEqual([{ pid: 2 }, { pid: 3 }, { pid: 4 }, { pid: 5 }]);
  });

  it('any difference in the fields that make it the same work gives another signature (property)', () => {
    const request = fc.record({
      role: fc.constantFrom('a', 'b'),
      task: fc.constantFrom('do x', 'do y'),
      model: fc.constantFrom(undefined, 'replay:/t.yaml'),
      capabilities: fc.constantFrom(undefined, ['fs.read:/**'], ['fs.read:/**', 'ipc']),
      pipeTo: fc.constantFrom(undefined, 1),
      maxTurns: fc.constantFrom(undefined, 5),
      maxCost: fc.constantFrom(undefined, 0.5),
      workdir: fc.constantFrom(undefined, 'sub'),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        request,
        fc.integer({ min: 1, max: 3 }),
        request,
        (p1, r1, p2, r2) => {
          const same = p1 === p2 && JSON.stringify(r1) === JSON.stringify(r2);
          expect(spawnSignature(p1, r1) === spawnSignature(p2, r2)).toBe(same);
        },
      ),
      { numRuns: 2_000 },
    );
    // Whitespace is normalised, permissions are a set; the name and the priority are not the work.
    expect(spawnSignature(1, { role: 'a', task: ' do\n x ' })).toBe(
      spawnSignature(1, { role: 'a', task: 'do x', name: 'other', priority: -1 }),
    );
    expect(spawnSignature(1, { role: 'a', task: 't', capabilities: ['ipc', 'fs.read:/**'] })).toBe(
      spawnSignature(1, { role: 'a', task: 't', capabilities: ['fs.read:/**', 'ipc'] }),
    );
  });
});

describe('caps on fan-out', () => {
  it('max_live_descendants 4 against ten spawns gives six EAGAIN naming the cap; inspect counts the live descendants', async () => {
    const spawns = Array.from({ length: 10 }, (_, i) =>
      call('SPAWN_AGENT', { role: 'w', name: 'w', task: `part ${i}` }),
    ).join('\n');
    h = await startHarness({ root: [spawns, HOLD], w: [HOLD] });
    const pcb = await h.spawn({ maxLiveDescendants: 4 });
    await until(
      () => h!.results(pcb.pid).filter((r) => r.name === 'SPAWN_AGENT').length === 10,
      5000,
      'ten SPAWN_AGENT results',
    );
    const results = h.results(pcb.pid).filter((r) => r.name === 'SPAWN_AGENT');
    expect(results.filter((r) => r.ok)).toHaveLength(4);
    const refused = results.filter((r) => !r.ok);
    expect(refused).toHaveLength(6);
    expect(refused.every((r) => r.errno === 'EAGAIN')).toBe(true);
    expect(refused[0]?.message).toBe(
      'max_live_descendants 4 reached: process 1 (you) has 4 live descendants; WAIT for one first',
    );
    expect(await inspectProcess(h.kernel.table, pcb.pid)).toMatchObject({
      live_descendants: 4,
      limits: { max_live_descendants: 4 },
    });
  });

  it('a child may cap its own fan-out, never above its parent’s, and its children count against every ancestor', async () => {
    h = await startHarness({
      root: [call('SPAWN_AGENT', { role: 'lead', name: 'lead', task: 't', max_live_descendants: 10 }), HOLD],
      lead: [[1, 2, 3].map((i) => call('SPAWN_AGENT', { role: 'w', name: 'w', task: `p${i}` })).join('\n'), HOLD],
      w: [HOLD],
    });
    const pcb = await h.spawn({ maxLiveDescendants: 3 });
    await until(
      () => h!.results(2).filter((r) => r.name === 'SPAWN_AGENT').length === 3,
      5000,
      "the lead's three SPAWN_AGENT results",
    );
    const lead = h.kernel.pcb(2);
    expect(lead?.limits.maxLiveDescendants).toBe(3);
    const results = h.results(2).filter((r) => r.name === 'SPAWN_AGENT');
    expect(results.map((r) => (r.ok ? 'ok' : r.errno))).toEqual(['ok', 'ok', 'EAGAIN']);
    expect(results[2]?.message).toMatch(
      /^max_live_descendants 3 reached: process 1, an ancestor, has 3 live descendants/,
    );
    expect(await inspectProcess(h.kernel.table, pcb.pid)).toMatchObject({ live_descendants: 3 });
  });

  it('max_children caps live children', async () => {
    const spawns = Array.from({ length: 4 }, (_, i) =>
      call('SPAWN_AGENT', { role: 'w', name: 'w', task: `q${i}` }),
    ).join('\n');
    h = await startHarness({ root: [spawns, HOLD], w: [HOLD] });
    const pcb = await h.spawn({ maxChildren: 2 });
    await until(
      () => h!.results(pcb.pid).filter((r) => r.name === 'SPAWN_AGENT').length === 4,
      5000,
      'four SPAWN_AGENT results',
    );
    const results = h.results(pcb.pid).filter((r) => r.name === 'SPAWN_AGENT');
    expect(results.map((r) => (r.ok ? 'ok' : r.errno))).toEqual(['ok', 'ok', 'EAGAIN', 'EAGAIN']);
    expect(results[2]?.message).toBe('max_children 2 reached: process 1 has 2 live children; WAIT for one first');
  });

  it('a key whose process was removed says so, and a new key starts the work again', async () => {
    h = await startHarness({ root: [EXIT] });
    const options = { task: 't', model: `replay:${h.tape}` };
    const { pcb } = await h.kernel.spawnKeyed('k', options);
    await h.kernel.waitExit(pcb.pid);
    await removeProcesses(h.kernel, [pcb.pid]);
    await expect(h.kernel.spawnKeyed('k', options)).rejects.toThrow(
      `idempotency key "k" started process ${pcb.pid}, which has been removed (aos rm): use a new key`,
    );
    expect((await h.kernel.spawnKeyed('k2', options)).replayed).toBe(false);
  });
});
