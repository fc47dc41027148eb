/**
 * A woken process goes on in the stack that wakes it (wake.test.ts), and may wake the next one
 * there: a message relayed down a chain of agents nests one process per link, ~35 frames each.
 * param.maxWakeNesting bounds it: past it the next link goes on from a microtask, with a fresh stack.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { param } from '../../../sys/param.js';
import { call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('a chain of woken processes', () => {
  it('runs down 60 links with a bounded stack, every link in order', async () => {
    const links = 60;
    // Link k (pid k + 2) pipes its stdout to the link spawned before it: stdin sent to the last runs down the chain.
    const spawn = (k: number): string =>
      call('SPAWN_AGENT', { role: 'worker', name: 'link', task: 'relay', ...(k > 0 ? { pipe_to: k + 1 } : {}) });
    const spawns = Array.from({ length: links }, (_, k) => spawn(k));
    h = await startHarness({
      root: [
        spawns.slice(0, 30).join('\n'),
        spawns.slice(30).join('\n'),
        call('SYS_READ_STDIN', { timeout_s: 60 }),
        EXIT,
      ],
      // One reply: each link is woken, writes to the next and exits, all in the stack that woke it.
      link: [[call('SYS_READ_STDIN', { timeout_s: 60 }), call('SYS_WRITE_STDOUT', { text: 'x' }), EXIT].join('\n')],
    });
    let deepest = 0;
    const woken: number[] = [];
    h.kernel.events.subscribe((e) => {
      if (e.type !== 'result' || e.name !== 'SYS_READ_STDIN' || e.pid === 1) return;
      woken.push(e.pid);
      deepest = Math.max(deepest, (new Error().stack ?? '').split('\n').length);
    });
    const root = await h.spawn();
    for (let pid = 2; pid <= links + 1; pid++) {
      await vi.waitFor(() => expect(h?.kernel.pcb(pid)?.state).toBe('blocked'), { timeout: 10_000, interval: 10 });
    }
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = Infinity;
    try {
      h.kernel.send(links + 1, 'go');
      for (let pid = 2; pid <= links + 1; pid++) expect((await h.kernel.waitExit(pid)).exitCode).toBe(0);
    } finally {
      Error.stackTraceLimit = limit;
    }
    expect(woken).toEqual(Array.from({ length: links }, (_, i) => links + 1 - i));
    // Unbounded, the 60th link ran ~2,100 frames deep; bounded, about maxWakeNesting (8) links' worth.
    expect(param.maxWakeNesting).toBeLessThanOrEqual(16);
    expect(deepest).toBeLessThan(1_000);
    h.kernel.send(root.pid, 'done');
    expect((await h.kernel.waitExit(root.pid)).exitCode).toBe(0);
  });
});
