/**
 * The metrics' labels stay bounded (daemon/metrics-labels.ts): a model that invents syscall names
 * without end grows the series to the cap and no further; control characters and long text never
 * reach a label. Spend is counted as a process's cost grows, charged to its model. AOS_METRICS is
 * read strictly. The end-to-end half (a real daemon, a real Prometheus) is test/e2e/metrics.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { KernelApi, StoredEvent } from '../../kernel/api.js';
import type { KernelEvent } from '../../protocol/events.js';
import { KernelMetrics } from '../../daemon/metrics.js';
import { CAPS, LabelCap, OTHER } from '../../daemon/metrics-labels.js';
import { MetricsRoute, metricsWanted } from '../../daemon/metrics-route.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { until } from '../helpers/until.js';

/** A kernel door with just what the event counters read: the commit listener, the PCBs, the rows. */
function fakeKernel(costs: Map<number, number>): { kernel: KernelApi; commit(events: KernelEvent[]): void } {
  let listener: (events: readonly StoredEvent[]) => void = () => undefined;
  const kernel = {
    store: { onCommitted: (l: typeof listener) => ((listener = l), () => undefined) },
    pcb: (pid: number) =>
      costs.has(pid) ? { model: 'gemini:gemini-2.5-flash', counters: { cost: costs.get(pid) } } : undefined,
    processes: async () => [],
  } as unknown as KernelApi;
  return {
    kernel,
    commit: (events) => listener(events.map((event, i) => ({ id: i + 1, event, json: JSON.stringify(event) }))),
  };
}

const ts = new Date().toISOString();

describe('LabelCap', () => {
  it('keeps the values it has room for, says `other` after, and never lets control characters or long text through', () => {
    const cap = new LabelCap(2);
    expect([cap.value('a'), cap.value('b'), cap.value('c'), cap.value('a')]).toEqual(['a', 'b', OTHER, 'a']);
    const wide = new LabelCap(5);
    expect(wide.value('x\ny\u0000')).toBe('x?y?');
    expect(wide.value('z'.repeat(500)).length).toBeLessThanOrEqual(81);
  });
});

describe('KernelMetrics', () => {
  it('bounds the syscall names a model invents to the cap, the rest counted as other', async () => {
    const fake = fakeKernel(new Map());
    const metrics = new KernelMetrics();
    metrics.attach(fake.kernel);
    const invented = Array.from({ length: 500 }, (_, i): KernelEvent => ({
      ts,
      pid: 1,
      type: 'syscall',
      turn: 1,
      seq: i,
      name: `MADE_UP_${i}`,
      args: {},
    }));
    fake.commit(invented);
    const text = await metrics.registry.getSingleMetricAsString('aos_syscalls_total');
    const series = text.split('\n').filter((l) => l.startsWith('aos_syscalls_total{'));
    expect(series).toHaveLength(CAPS.syscall + 1);
    expect(text).toContain(`aos_syscalls_total{name="other"} ${500 - CAPS.syscall}`);
  });

  it('counts spend as a process’s cost grows, by its model, its last turn included at its exit', async () => {
    const costs = new Map([[7, 0.25]]);
    const fake = fakeKernel(costs);
    const metrics = new KernelMetrics();
    metrics.attach(fake.kernel);
    fake.commit([{ ts, pid: 7, type: 'model', turn: 1, text: '', usage: { prompt: 100, output: 20 } }]);
    costs.set(7, 0.75);
    fake.commit([{ ts, pid: 7, type: 'state', from: 'running', to: 'exited', code: 0 }]);
    const spend = await metrics.registry.getSingleMetricAsString('aos_spend_usd_total');
    expect(spend).toContain('aos_spend_usd_total{model="gemini:gemini-2.5-flash",provider="gemini"} 0.75');
    const tokens = await metrics.registry.getSingleMetricAsString('aos_model_tokens_total');
    expect(tokens).toContain('{model="gemini:gemini-2.5-flash",provider="gemini",kind="prompt"} 100');
    expect(tokens).toContain('{model="gemini:gemini-2.5-flash",provider="gemini",kind="output"} 20');
  });
});

describe('AOS_METRICS', () => {
  it('is on for 1 or true, off when unset, empty, 0 or false, and a mistake otherwise', () => {
    expect(['1', 'true', ' TRUE '].map(metricsWanted)).toEqual([true, true, true]);
    expect([undefined, '', '0', 'false'].map(metricsWanted)).toEqual([false, false, false, false]);
    expect(() => metricsWanted('yes')).toThrow(/AOS_METRICS must be 1/);
  });
});

describe('MetricsRoute', () => {
  it('takes /metrics and hands every other path to the route behind it (MCP)', async () => {
    const seen: string[] = [];
    const route = new MetricsRoute({
      handle: (req) => (seen.push(req.url ?? ''), req.url === '/mcp'),
      close: () => Promise.resolve(),
    });
    const answered: number[] = [];
    const res = {
      writeHead(status: number) {
        answered.push(status);
        return this;
      },
      end: () => undefined,
    } as unknown as ServerResponse;
    const ask = (url: string, method = 'GET'): boolean => route.handle({ url, method } as IncomingMessage, res);
    expect([ask('/mcp'), ask('/hooks/t/p'), ask('/metrics'), ask('/metrics?x=1', 'POST')]).toEqual([
      true,
      false,
      true,
      true,
    ]);
    expect(seen).toEqual(['/mcp', '/hooks/t/p']);
    // The POST is refused at once; the GET is answered once the text is made.
    await until(() => answered.length === 2, 2000, 'the scrape answered');
    expect(answered).toEqual([405, 200]);
  });
});
