import { afterEach, describe, expect, it, vi } from 'vitest';
import { call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('the closed loop', () => {
  it('feeds every result back to the model (expectations hold)', async () => {
    h = await startHarness({
      root: [
        call('FS_WRITE', { path: 'a.txt', content: 'hello' }),
        { expect: '"bytes":5', reply: call('FS_READ', { path: 'a.txt' }) },
        { expect: ['"content":"hello"', '[SYS_RESULT::FS_READ]'], reply: EXIT },
      ],
    });
    const pcb = await h.run();
    expect(pcb.exitReason).toBe('exited');
    expect(pcb.exitCode).toBe(0);
    expect(pcb.counters.turns).toBe(3);
    expect(pcb.counters.syscalls).toBe(3);
  });

  it('fails the process when an expectation does not hold', async () => {
    h = await startHarness({ root: [call('FS_LIST'), { expect: 'never-there', reply: EXIT }] });
    const pcb = await h.run();
    expect(pcb.state).toBe('exited');
    expect(pcb.exitCode).toBe(1);
    expect(pcb.exitReason).toMatch(/^replay expectation failed/);
  });

  it('ends the process when the tape runs out', async () => {
    h = await startHarness({ root: [call('FS_LIST')] });
    const pcb = await h.run();
    expect(pcb.exitReason).toMatch(/^replay tape exhausted/);
  });

  it('runs several calls of one reply in order, and a broken block does not stop its neighbours', async () => {
    const reply = [
      'Three calls, the middle one broken:',
      call('FS_WRITE', { path: 'one.txt', content: '1' }),
      '[SYS_CALL::FS_WRITE] {"path": "two.txt", "content": oops}',
      call('FS_WRITE', { path: 'three.txt', content: '333' }),
    ].join('\n');
    h = await startHarness({
      root: [reply, { expect: ['"bytes":1', '"errno":"EINVAL"', '"bytes":3'], reply: EXIT }],
    });
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(0);
    const results = h.results(pcb.pid).slice(0, 3);
    expect(results.map((r) => [r.seq, r.ok, r.errno])).toEqual([
      [0, true, undefined],
      [1, false, 'EINVAL'],
      [2, true, undefined],
    ]);
  });

  it('runs nothing after SYS_EXIT', async () => {
    h = await startHarness({ root: [`${EXIT}\n${call('FS_WRITE', { path: 'late.txt', content: 'x' })}`] });
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(0);
    expect(h.results(pcb.pid).map((r) => r.name)).toEqual(['SYS_EXIT']);
  });

  it('reminds a model that made no syscall, and ends it after three such replies', async () => {
    h = await startHarness({
      root: ['I am thinking.', { expect: 'contained no syscall', reply: 'Still thinking.' }, 'And more.'],
    });
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(1);
    expect(pcb.exitReason).toBe('no syscall in 3 consecutive replies');
  });

  it('ends an identical-call loop with a clear reason', async () => {
    const same = call('FS_READ', { path: 'missing.txt' });
    h = await startHarness({ root: Array.from({ length: 10 }, () => same) });
    const pcb = await h.run();
    expect(pcb.exitReason).toMatch(/^loop detected: 4 identical turns/);
    expect(pcb.counters.turns).toBe(4);
  });

  it('stops at max turns', async () => {
    h = await startHarness({
      root: Array.from({ length: 10 }, (_, i) => call('FS_WRITE', { path: 'n.txt', content: String(i) })),
    });
    const pcb = await h.run({ maxTurns: 3 });
    expect(pcb.exitReason).toBe('max turns reached (3)');
    expect(pcb.counters.turns).toBe(3);
  });

  it('reports unknown syscalls with ENOSYS and a suggestion', async () => {
    h = await startHarness({
      root: [call('FS_REED', { path: 'x' }), { expect: ['ENOSYS', 'did you mean FS_READ'], reply: EXIT }],
    });
    expect((await h.run()).exitCode).toBe(0);
  });

  it('counts tokens from the usage the provider reported', async () => {
    h = await startHarness({
      root: [
        { reply: call('FS_LIST'), usage: { prompt: 100, output: 7 } },
        { reply: EXIT, usage: { prompt: 150, output: 3 } },
      ],
    });
    const pcb = await h.run();
    expect(pcb.counters.promptTokens).toBe(250);
    expect(pcb.counters.outputTokens).toBe(10);
  });

  it('logs every state transition as an event', async () => {
    h = await startHarness({ root: [call('SLEEP', { seconds: 0.05 }), EXIT] });
    const pcb = await h.run();
    const states = h.eventsOf(pcb.pid, 'state').map((e) => (e.type === 'state' ? `${e.from}>${e.to}` : ''));
    expect(states).toEqual([
      'null>ready',
      'ready>running',
      'running>sleeping',
      'sleeping>running',
      'running>ready',
      'ready>running',
      'running>exited',
    ]);
  });
});

describe('budgets', () => {
  it('ends a process that crosses its token budget, with the reason', async () => {
    h = await startHarness({
      root: Array.from({ length: 5 }, (_, i) => ({
        reply: call('FS_WRITE', { path: 'b.txt', content: String(i) }),
        usage: { prompt: 40, output: 10 },
      })),
    });
    const pcb = await h.run({ maxTokens: 120 });
    expect(pcb.exitCode).toBe(1);
    expect(pcb.exitReason).toBe('token budget exhausted (150 of 120 tokens used)');
    expect(pcb.counters.turns).toBe(3);
  });

  it('ends a process that outlives its wall-time budget, even while blocked', async () => {
    h = await startHarness({ root: [call('RECV_MSG', { timeout_s: 60 })] });
    const pcb = await h.run({ maxWallS: 0.3 });
    expect(pcb.state).toBe('exited');
    expect(pcb.exitReason).toBe('wall time budget exhausted (0.3s)');
  });

  it("gives a child no looser budget than its parent's", async () => {
    h = await startHarness({
      root: [call('SPAWN_AGENT', { role: 'kid', max_tokens: 10_000, max_wall_s: 999 }), call('WAIT', {}), EXIT],
      kid: [EXIT],
    });
    await h.run({ maxTokens: 500, maxWallS: 30 });
    expect(h.kernel.pcb(2)?.limits).toMatchObject({ maxTokens: 500, maxWallS: 30, maxCost: null });
  });
});

describe('results too big for the model', () => {
  it('shorten their longest fields but keep valid JSON and every flag', async () => {
    const { fitResult } = await import('../../../kernel/context/context.js');
    const value = { path: '/big.txt', content: 'z'.repeat(200_000), encoding: 'utf8', size: 300_000, truncated: true };
    const text = fitResult({ ok: true, value }, 64 * 1024);
    expect(text.length).toBeLessThanOrEqual(64 * 1024);
    const parsed = JSON.parse(text) as { value: Record<string, unknown> };
    expect(parsed.value).toMatchObject({ path: '/big.txt', size: 300_000, truncated: true, encoding: 'utf8' });
    expect(parsed.value.content_cut_chars).toBeGreaterThan(130_000);
  });
  it('a kill in a later turn is reaped by that turn: the blocked call answers first, `killed` is the last event', async () => {
    // The first turn's calls start the second turn before the first turn's own end runs: that end
    // must not mark the second turn idle (a kill would then end the process under it).
    h = await startHarness({
      root: [
        call('SYS_WRITE_STDOUT', { text: 'a' }),
        call('SYS_WRITE_STDOUT', { text: 'b' }),
        call('RECV_MSG', { timeout_s: 30 }),
        EXIT,
      ],
    });
    const pcb = await h.spawn();
    const blocked = (): boolean =>
      h?.eventsOf(pcb.pid, 'state').some((e) => e.type === 'state' && e.to === 'blocked') ?? false;
    await vi.waitFor(() => expect(blocked()).toBe(true), { timeout: 5000, interval: 5 });
    expect(h.kernel.proc(pcb.pid)?.idle).toBe(false);
    h.kernel.kill(pcb.pid);
    const ended = await h.kernel.waitExit(pcb.pid);
    expect(ended.state).toBe('killed');
    const events = h
      .eventsOf(pcb.pid)
      .map((e) =>
        e.type === 'state'
          ? `state:${e.to}`
          : e.type === 'result'
            ? `result:${e.name}:${e.ok ? 'ok' : e.errno}`
            : e.type,
      );
    expect(events.slice(-2)).toEqual(['result:RECV_MSG:EINTR', 'state:killed']);
  });
});
