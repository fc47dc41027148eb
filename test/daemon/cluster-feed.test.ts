/**
 * A subscriber to events on one node of a cluster (aos top, the web view, MCP) follows the other
 * nodes' processes through a feed read from their stores (StreamHub.feedOtherNodes). A tree adopted
 * from a dead node is read again from its adopter's store, renumbered: the feed pushes none of its
 * events twice, and what the process does on its adopter comes after. Three kernels in one process.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Kernel } from '../../kernel/kernel.js';
import { StreamHub } from '../../daemon/streams.js';
import { until } from '../helpers/until.js';
import { PG_SKIP, postgresPerFile } from '../kernel/cluster/pg-fixture.js';
import { clusterScratch, dies, kernelNode, runClosers, withNodeLog } from '../kernel/cluster/kernel-node.js';

const pgServer = postgresPerFile();
const closers: Array<() => Promise<void>> = [];
afterEach(() => runClosers(closers));

/** A node; `shared`: it shares the others' workspace, so it may adopt their trees (the watching node does not: b adopts, c watches). */
const node = (name: string, url: string, dir: string, shared = true): Promise<Kernel> =>
  kernelNode(name, url, dir, closers, shared);

describe.skipIf(PG_SKIP)("a subscriber's feed of other nodes' events", () => {
  it('pushes a tree adopted between two other nodes once: its history is not pushed again from the adopter', async () => {
    const { url, dir, tape: writeTape } = await clusterScratch(pgServer.server, closers, 'cluster-feed');
    const tape = await writeTape({ hold: ['[SYS_CALL::RECV_MSG] {"timeout_s": 600}'] });
    const a = await node('a', url, dir);
    const b = await node('b', url, dir);
    const c = await node('c', url, dir, false);
    const hub = new StreamHub(c);
    closers.push(async () => hub.close());
    const pushed: Array<{ pid: number; type: string; to?: string; json: string }> = [];
    hub.subscribe(
      {
        pushLine: (line: string) => {
          const frame = JSON.parse(line) as { event: string; payload: { pid: number; type: string; to?: string } };
          if (frame.event === 'event') pushed.push({ ...frame.payload, json: JSON.stringify(frame.payload) });
        },
      } as never,
      1,
      ['events'],
    );
    // The feed starts at each store's newest event: wait for it to have read them once.
    await new Promise((r) => setTimeout(r, 800));

    const proc = await a.spawn({ task: 'hold', model: `replay:${tape}`, name: 'hold' });
    const of = (): typeof pushed => pushed.filter((e) => e.pid === proc.pid);
    await until(
      () => of().some((e) => e.type === 'syscall'),
      20_000,
      "the hold process's first syscall to reach c's feed",
    );
    await a.store.committed();
    const before = of().length;

    // a dies (its processes left as they were, its row dead as a fence leaves it); b adopts the
    // tree; the process is then killed there. Not a.shutdown(): that ends a's processes.
    await dies(a, url);
    await withNodeLog(until(() => b.isLive(proc.pid), 60_000, "a's tree to be adopted by b"));
    b.kill(proc.pid);
    await until(
      () => of().some((e) => e.type === 'state' && e.to === 'killed'),
      20_000,
      "the kill on b to reach c's feed",
    );
    await new Promise((r) => setTimeout(r, 600));

    const events = of();
    expect(events.length).toBeGreaterThan(before);
    // Nothing pushed twice (each event is its own JSON: its time, its place), and the kill last.
    expect(new Set(events.map((e) => e.json)).size).toBe(events.length);
    expect(events.filter((e) => e.type === 'state' && e.to === 'killed')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'state', to: 'killed' });
  }, 120_000);
});
