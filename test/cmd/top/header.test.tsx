import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../../cmd/top/app.js';
import { headerSparks } from '../../../cmd/top/header.js';
import { ev, FakeTopSource, row, stats } from '../../fakes/top-source.js';
import type { ClusterNodeView } from '../../../protocol/cluster-view.js';

const SPARK = /[▁▂▃▄▅▆▇█]/;
const eventually = (assertion: () => void): Promise<void> => vi.waitFor(assertion, { timeout: 5000, interval: 10 });

afterEach(() => cleanup());

/** A dashboard that has seen pid 1 use tokens just now, and a stats push after it. */
async function busy(width: number): Promise<() => string> {
  const fake = new FakeTopSource(
    [row(1, { name: 'root', state: 'running' }), row(2, { name: 'idle', state: 'blocked' })],
    stats(),
  );
  const app = render(
    <App source={fake} width={width} height={24} color={false} timing={{ batchMs: 1, historyDelayMs: 0 }} />,
  );
  const frame = (): string => app.lastFrame() ?? '';
  await eventually(() => expect(frame()).toContain('tok/s'));
  fake.emit(ev({ type: 'model', pid: 1, turn: 0, text: 'thinking', usage: { prompt: 900, output: 100 } }, Date.now()));
  // At 40 columns TOKENS gives way to NAME and STATE: the row is there, its tokens not.
  await eventually(() => expect(frame()).toMatch(width >= 60 ? /1 root +running .* 1\.0k/ : /1 root +running/));
  fake.pushStats();
  return frame;
}

describe('the header sparklines', () => {
  it('shows the kernel tok/s trend and the selected process’s at 80x24, keeping rss and the frame size', async () => {
    const frame = await busy(80);
    await eventually(() =>
      expect(frame().split('\n')[2]).toMatch(
        /^infer 1\/8  queue 3  limits — +tok\/s +[▁▂▃▄▅▆▇█]*█[▁▂▃▄▅▆▇█]*  spend +[▁▂▃▄▅▆▇█]*$/,
      ),
    );
    await eventually(() => expect(frame()).toMatch(/── log 1 root running ─+ tok\/s +[▁▂▃▄▅▆▇█]*█[▁▂▃▄▅▆▇█]* ──/));
    expect(frame().split('\n')[0]).toContain('rss 45 MiB');
    const lines = frame().split('\n');
    expect(lines.length).toBeLessThanOrEqual(23);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('drops the sparklines when the terminal is too narrow for them', async () => {
    const frame = await busy(40);
    await eventually(() => expect(frame()).toContain('── log 1 root running'));
    expect(frame()).not.toMatch(SPARK);
    for (const line of frame().split('\n')) expect(line.length).toBeLessThanOrEqual(40);
  });
});

describe('headerSparks', () => {
  const trend = { rate: [0, 2, 4, 8], cost: [0, 0.5, 0.5, 1.5] };

  it('draws tok/s and the spend per step, newest last, right-aligned within one column of the edge', () => {
    // 80 - 1 - 45 - 16 label columns leave 18: 9 glyphs each.
    expect(headerSparks('x'.repeat(45), { trend, width: 80 })).toEqual({
      pad: '',
      rate: '     ▁▃▅█',
      spend: '     ▁▅▁█',
    });
    const wide = headerSparks('x'.repeat(20), { trend, width: 200 });
    expect(wide?.rate).toHaveLength(30);
    expect(20 + (wide?.pad.length ?? 0) + 16 + 60).toBe(199);
  });

  it('gives nothing when the room left is too small, or with no width or trend', () => {
    expect(headerSparks('x'.repeat(53), { trend, width: 80 })).toBeNull();
    expect(headerSparks('x', { trend })).toBeNull();
    expect(headerSparks('x', { width: 80 })).toBeNull();
  });
});

describe('the header in a cluster', () => {
  it('names this node and how many nodes are live, and nothing when the kernel runs alone', async () => {
    const node = (name: string, state: ClusterNodeView['state']): ClusterNodeView => ({
      name,
      epoch: 1,
      state,
      host: 'h',
      os_pid: 1,
      joined_ms: 0,
      heartbeat_ms: 0,
      behind_ms: 0,
      processes: 0,
      in_flight: 0,
      queued: 0,
      fenced_ms: null,
      fenced_by: null,
      workspace: '/w',
      shares_workspace: false,
      adopted: 0,
    });
    const cluster = {
      node: 'a',
      epoch: 3,
      database: 'postgres://x',
      store: 'postgres' as const,
      schema: 'aos/a',
      shares: [],
      heartbeat_age_ms: 10,
      heartbeat_ms: 1_000,
      lease_ms: 5_000,
      error: null,
      nodes: [node('a', 'live'), node('b', 'live'), node('c', 'dead'), node('d', 'left')],
      budgets: [],
      grants: 0,
    };
    const fake = new FakeTopSource(
      [row(1, { name: 'root', state: 'running', node: 'a' }), row(2, { name: 'far', state: 'blocked', node: 'b' })],
      stats({ cluster }),
    );
    const app = render(
      <App source={fake} width={100} height={24} color={false} timing={{ batchMs: 1, historyDelayMs: 0 }} />,
    );
    await eventually(() =>
      expect(app.lastFrame()?.split('\n')[0]).toMatch(/^aos top  node a \(2 nodes, 1 dead\)  up /),
    );
    // The counts are this node's; the table is every node's, each row naming its node as ps does.
    await eventually(() => expect(app.lastFrame()?.split('\n')[1]).toMatch(/^procs on a /));
    const lines = app.lastFrame()?.split('\n') ?? [];
    expect(lines.find((l) => l.includes('PID'))).toMatch(/PID.* NODE +PPID NAME/);
    expect(lines.find((l) => l.includes(' far '))).toMatch(/^\s+2 b +- far /);
    cleanup();
    const alone = render(
      <App
        source={new FakeTopSource([row(1)], stats())}
        width={100}
        height={24}
        color={false}
        timing={{ batchMs: 1, historyDelayMs: 0 }}
      />,
    );
    await eventually(() => expect(alone.lastFrame()?.split('\n')[0]).toMatch(/^aos top  up /));
    expect(alone.lastFrame()).not.toMatch(/NODE|procs on/);
  });
});
