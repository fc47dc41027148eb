import { describe, expect, it } from 'vitest';
import {
  applyEvent,
  applyEvents,
  initialState,
  RATE_WINDOW_MS,
  sampleNow,
  tokenRate,
  topReducer,
  totalRate,
  type TopState,
} from '../../../cmd/top/reducer.js';
import { TREND_STEP_MS } from '../../../cmd/top/trend.js';
import { ev, row, stats, T0 } from '../../fakes/top-source.js';

function loaded(rows = [row(1, { state: 'running' }), row(2)]): TopState {
  return topReducer(initialState(T0), {
    type: 'snapshot',
    processes: rows,
    stats: stats({ processes: { ready: 1, running: 1, blocked: 0, sleeping: 0, exited: 0, killed: 0 } }),
    now: T0,
  });
}

describe('applyEvent', () => {
  it('moves a process between states and keeps the header counts in step', () => {
    const s = applyEvent(loaded(), ev({ type: 'state', pid: 1, from: 'running', to: 'blocked', reason: 'RECV_MSG' }));
    expect(s.rows.get(1)?.state).toBe('blocked');
    expect(s.rows.get(1)?.wait).toBe('RECV_MSG');
    expect(s.stats?.processes).toMatchObject({ running: 0, blocked: 1 });
    expect(s.needsRefresh).toBe(false);
  });

  it('records the end of a process with its code and reason', () => {
    const s = applyEvent(
      loaded(),
      ev({ type: 'state', pid: 1, from: 'running', to: 'exited', code: 3, reason: 'SYS_EXIT' }, T0 + 5000),
    );
    expect(s.rows.get(1)).toMatchObject({
      state: 'exited',
      exit_code: 3,
      exit_reason: 'SYS_EXIT',
      ended_at: T0 + 5000,
    });
  });

  it('adds model usage to tokens and turns, and syscalls one by one', () => {
    let s = loaded();
    s = applyEvents(s, [
      ev({ type: 'model', pid: 1, turn: 0, text: 'a', usage: { prompt: 100, output: 20 } }),
      ev({ type: 'syscall', pid: 1, turn: 0, seq: 0, name: 'FS_READ', args: {} }),
      ev({ type: 'syscall', pid: 1, turn: 0, seq: 1, name: 'FS_LIST', args: {} }),
      ev({ type: 'model', pid: 1, turn: 1, text: 'b', usage: { prompt: 300, output: 5 } }),
      ev({ type: 'model', pid: 1, turn: 2, text: 'no usage' }),
    ]);
    expect(s.rows.get(1)).toMatchObject({ turns: 3, syscalls: 2, prompt_tokens: 400, output_tokens: 25, tokens: 425 });
    expect(s.stats).toMatchObject({ prompt_tokens: 1400, output_tokens: 259 });
    expect(s.rows.get(2)?.tokens).toBe(0);
  });

  it('does not mutate the state it was given', () => {
    const before = loaded();
    const after = applyEvent(before, ev({ type: 'syscall', pid: 1, turn: 0, seq: 0, name: 'FS_READ', args: {} }));
    expect(before.rows.get(1)?.syscalls).toBe(0);
    expect(after.rows.get(1)?.syscalls).toBe(1);
  });

  it('shows a spawned process at once and asks for a refresh to get its real row', () => {
    const s = applyEvent(
      loaded(),
      ev({
        type: 'state',
        pid: 9,
        from: null,
        to: 'ready',
        name: 'critic',
        ppid: 1,
        role: 'critic',
        model: 'gemini:x',
      }),
    );
    expect(s.rows.get(9)).toMatchObject({ name: 'critic', ppid: 1, state: 'ready', model: 'gemini:x', tokens: 0 });
    expect(s.stats?.processes.ready).toBe(2);
    expect(s.needsRefresh).toBe(true);
    const refreshed = topReducer(s, {
      type: 'processes',
      processes: [row(1), row(2), row(9, { name: 'critic', turns: 4 })],
      seq: s.refreshSeq,
    });
    expect(refreshed.needsRefresh).toBe(false);
    expect(refreshed.rows.get(9)?.turns).toBe(4);
  });

  it("reads the rows again when the cluster's nodes change (one died, one adopted trees): rows may be on another node now", () => {
    const node = (name: string, state: 'live' | 'dead', adopted = 0) => ({
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
      shares_workspace: true,
      adopted,
    });
    const cluster = (nodes: ReturnType<typeof node>[]) => ({
      node: 'a',
      epoch: 1,
      database: 'postgres://x',
      store: 'postgres' as const,
      schema: 'aos/a',
      shares: [],
      heartbeat_age_ms: 10,
      heartbeat_ms: 1_000,
      lease_ms: 5_000,
      error: null,
      nodes,
      budgets: [],
      grants: 0,
    });
    let s = topReducer(initialState(T0), {
      type: 'snapshot',
      processes: [row(1, { node: 'b' })],
      stats: stats({ cluster: cluster([node('a', 'live'), node('b', 'live')]) }),
      now: T0,
    });
    s = topReducer(s, {
      type: 'stats',
      stats: stats({ cost: 1, cluster: cluster([node('a', 'live'), node('b', 'live')]) }),
      now: T0 + 1000,
    });
    expect(s.needsRefresh).toBe(false);
    s = topReducer(s, {
      type: 'stats',
      stats: stats({ cluster: cluster([node('a', 'live'), node('b', 'dead')]) }),
      now: T0 + 2000,
    });
    expect(s.needsRefresh).toBe(true);
    s = topReducer(s, { type: 'processes', processes: [row(1, { node: 'b' })], seq: s.refreshSeq });
    s = topReducer(s, {
      type: 'stats',
      stats: stats({ cluster: cluster([node('a', 'live', 1), node('b', 'dead')]) }),
      now: T0 + 3000,
    });
    expect(s.needsRefresh).toBe(true);
  });

  it('asks for a refresh when an event names a pid it does not know', () => {
    const s = applyEvent(loaded(), ev({ type: 'syscall', pid: 77, turn: 0, seq: 0, name: 'FS_READ', args: {} }));
    expect(s.needsRefresh).toBe(true);
    expect(s.rows.has(77)).toBe(false);
  });

  it('keeps asking when new processes appeared after the refresh was sent', () => {
    const s = applyEvent(loaded(), ev({ type: 'state', pid: 9, from: null, to: 'ready', name: 'a' }));
    const sentAt = s.refreshSeq;
    const later = applyEvent(s, ev({ type: 'state', pid: 10, from: null, to: 'ready', name: 'b' }));
    const reply = topReducer(later, { type: 'processes', processes: [row(1), row(2), row(9)], seq: sentAt });
    expect(reply.needsRefresh).toBe(true);
  });

  it('appends live events to the log of the followed process only', () => {
    let s = topReducer(loaded(), { type: 'select-log', pid: 1 });
    s = applyEvents(s, [
      ev({ type: 'error', pid: 1, message: 'mine' }),
      ev({ type: 'error', pid: 2, message: 'other' }),
    ]);
    expect(s.log?.events.map((e) => (e.type === 'error' ? e.message : ''))).toEqual(['mine']);
    expect(s.log?.loading).toBe(true);
  });

  it('merges history with live events that raced it, without duplicates', () => {
    const a = ev({ type: 'error', pid: 1, message: 'a' }, T0);
    const b = ev({ type: 'error', pid: 1, message: 'b' }, T0 + 1);
    const c = ev({ type: 'error', pid: 1, message: 'c' }, T0 + 2);
    let s = topReducer(loaded(), { type: 'select-log', pid: 1 });
    s = applyEvents(s, [b, c]);
    s = topReducer(s, { type: 'history', pid: 1, events: [a, b] });
    expect(s.log?.events.map((e) => (e.type === 'error' ? e.message : ''))).toEqual(['a', 'b', 'c']);
    expect(s.log?.loading).toBe(false);
  });

  it('keeps the reply the followed process is writing, until its model event, and only its own', () => {
    let s = topReducer(loaded(), { type: 'select-log', pid: 1 });
    const other = topReducer(s, { type: 'text', piece: { pid: 2, turn: 0, text: 'not shown' } });
    expect(other).toBe(s); // no copy, no render
    s = topReducer(s, { type: 'text', piece: { pid: 1, turn: 3, text: 'Reading ' } });
    s = topReducer(s, { type: 'text', piece: { pid: 1, turn: 3, text: 'the notes' } });
    expect(s.log?.writing).toEqual({ turn: 3, text: 'Reading the notes' });
    s = topReducer(s, { type: 'history', pid: 1, events: [] });
    expect(s.log?.writing?.text).toBe('Reading the notes');
    // A retry starts the reply over; the next turn's first piece replaces the last turn's text.
    s = applyEvents(s, [
      ev({ type: 'retry', pid: 1, turn: 3, attempt: 1, max: 6, delay_ms: 10, kind: 'server', message: 'x' }),
    ]);
    expect(s.log?.writing).toBeUndefined();
    s = topReducer(s, { type: 'text', piece: { pid: 1, turn: 3, text: 'Again' } });
    s = topReducer(s, { type: 'text', piece: { pid: 1, turn: 4, text: 'Next' } });
    expect(s.log?.writing).toEqual({ turn: 4, text: 'Next' });
    // The model event of an earlier turn (batched late) leaves the newer reply alone; its own ends it.
    s = applyEvents(s, [ev({ type: 'model', pid: 1, turn: 3, text: 'Again' })]);
    expect(s.log?.writing?.text).toBe('Next');
    s = applyEvents(s, [ev({ type: 'model', pid: 1, turn: 4, text: 'Next' })]);
    expect(s.log?.writing).toBeUndefined();
  });

  it('marks the cost stale when the kernel cost moves, until the next refresh', () => {
    let s = topReducer(loaded(), { type: 'stats', stats: stats({ cost: 0.5 }), now: T0 });
    expect(s.costStale).toBe(true);
    s = topReducer(s, { type: 'processes', processes: [row(1, { cost: 0.5 })] });
    expect(s.costStale).toBe(false);
  });
});

describe('tokenRate', () => {
  const usage = (pid: number, at: number, tokens: number) =>
    ev({ type: 'model', pid, turn: 0, text: '', usage: { prompt: tokens, output: 0 } }, at);

  it('averages model usage over the sliding window and forgets older usage', () => {
    const start = { ...loaded(), since: T0 - 60_000 };
    const s = applyEvents(start, [usage(1, T0, 500), usage(1, T0 + 4000, 1000), usage(1, T0 + 8000, 1500)]);
    const per = RATE_WINDOW_MS / 1000;
    expect(tokenRate(s, 1, T0 + 9000)).toBeCloseTo(3000 / per);
    // At T0+12s the sample from T0 (and only it) has left the window.
    expect(tokenRate(s, 1, T0 + 12_000)).toBeCloseTo(2500 / per);
    expect(tokenRate(s, 1, T0 + 30_000)).toBe(0);
    expect(tokenRate(s, 2, T0 + 9000)).toBe(0);
    expect(totalRate(s, T0 + 9000)).toBeCloseTo(300);
  });

  it('divides by the time observed when that is shorter than the window', () => {
    const s = applyEvent(loaded(), usage(1, T0 + 1000, 400));
    expect(tokenRate(s, 1, T0 + 2000)).toBeCloseTo(200);
  });

  it('drops samples the window has passed when new usage arrives', () => {
    const s = applyEvents({ ...loaded(), since: 0 }, [usage(1, T0, 1), usage(1, T0 + RATE_WINDOW_MS + 1, 1)]);
    expect(s.samples.get(1)).toHaveLength(1);
  });
});

describe('trend', () => {
  const usage = (pid: number, at: number, tokens: number) =>
    ev({ type: 'model', pid, turn: 0, text: '', usage: { prompt: tokens, output: 0 } }, at);
  const push = (s: TopState, now: number, cost: number): TopState =>
    topReducer(s, { type: 'stats', stats: stats({ cost }), now });

  it('samples kernel and per-process tok/s and the kernel cost on the snapshot and on every stats push', () => {
    let s = { ...loaded(), since: T0 - 60_000 };
    expect(s.trend.rate).toEqual([0]);
    expect(s.trend.cost).toEqual([0.0123]);
    s = applyEvent(s, usage(1, T0 + 1000, 500));
    s = push(s, T0 + TREND_STEP_MS, 0.02);
    s = push(s, T0 + 2 * TREND_STEP_MS, 0.05);
    expect(s.trend.rate).toEqual([0, 50, 50]);
    expect(s.trend.cost).toEqual([0.0123, 0.02, 0.05]);
    expect(s.trend.procs.get(1)).toEqual([0, 50, 50]);
    expect(s.trend.procs.get(2)).toEqual([0, 0, 0]);
  });

  it('forgets the series of a process that left the table', () => {
    const s = topReducer(loaded(), { type: 'processes', processes: [row(2)] });
    expect(push(s, T0 + TREND_STEP_MS, 0).trend.procs.has(1)).toBe(false);
  });

  it('sampleNow adds a sample without changing the state', () => {
    const s = loaded();
    expect(sampleNow(s, T0 + 3 * TREND_STEP_MS).rate).toEqual([0, 0, 0, 0]);
    expect(s.trend.rate).toEqual([0]);
  });
});
