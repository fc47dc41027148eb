import { afterEach, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../protocol/events.js';
import { playTopScript, type TopScript, type TopScriptOptions } from './top-script.js';
import type { FakeTopSource } from './top-source.js';

const scripts: TopScript[] = [];
afterEach(() => scripts.splice(0).forEach((s) => s.stop()));

function demo(options: TopScriptOptions = {}): FakeTopSource {
  const script = playTopScript({ stepMs: 10, ...options });
  scripts.push(script);
  return script.source;
}

describe('the top script on the fake top source', () => {
  it('plays a root that spawns workers which think and call, pushing events', async () => {
    const source = demo();
    const events: KernelEvent[] = [];
    const stop = source.subscribe({ onEvent: (e) => events.push(e), onStats: () => {}, onError: () => {} });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    stop();
    expect(events.some((e) => e.type === 'state' && e.from === null && e.pid > 1)).toBe(true);
    expect(events.some((e) => e.type === 'model' && e.usage)).toBe(true);
    const { processes, stats } = await source.snapshot();
    expect(processes.find((p) => p.pid === 1)?.tokens).toBeGreaterThan(0);
    expect(stats.prompt_tokens).toBeGreaterThan(0);
    expect((await source.history(1, 5)).length).toBeLessThanOrEqual(5);
  });

  it('kills a subtree and reports the pids it killed', async () => {
    const source = demo();
    const stop = source.subscribe({ onEvent: () => {}, onStats: () => {}, onError: () => {} });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    stop();
    const live = (await source.processes(false)).map((p) => p.pid);
    const killed = await source.kill(1, true);
    expect(killed).toEqual(expect.arrayContaining(live));
    expect(
      (await source.processes(true)).filter((p) => killed.includes(p.pid)).every((p) => p.state === 'killed'),
    ).toBe(true);
  });

  it('can play a kernel that goes away', async () => {
    const source = demo({ failAfterMs: 50 });
    const errors: Error[] = [];
    source.subscribe({ onEvent: () => {}, onStats: () => {}, onError: (e) => errors.push(e) });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(errors[0]?.message).toMatch(/ECONNREFUSED/);
    await expect(source.processes(false)).rejects.toThrow(/ECONNREFUSED/);
  });
});
