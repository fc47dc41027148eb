import { describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../protocol/events.js';
import { cutVisible } from '../../cmd/style.js';
import { ThinkingLine } from '../../cmd/thinking.js';

const ts = '2026-01-01T00:00:00.000Z';

describe('the thinking line of an attached spawn', () => {
  it('shows who waits on a model and a retry, erases itself, and stops at the reply', () => {
    let now = 0;
    const written: string[] = [];
    const line = new ThinkingLine({ write: (s) => written.push(s), columns: 80 }, () => now);
    const events: KernelEvent[] = [
      { ts, pid: 1, type: 'state', from: null, to: 'ready', name: 'root' },
      { ts, pid: 1, type: 'state', from: 'ready', to: 'running' },
    ];
    for (const e of events) line.observe(e);
    now = 3_000;
    line.draw();
    expect(written.at(-1)).toBe('⠋ thinking: root 3s');
    line.observe({
      ts,
      pid: 1,
      type: 'retry',
      turn: 0,
      attempt: 2,
      max: 6,
      delay_ms: 4100,
      kind: 'server',
      status: 503,
      message: 'x',
    });
    line.draw();
    expect(written.slice(-2)).toEqual(['\r\u001b[K', '⠙ thinking: root 3s (HTTP 503, retry 2/6 in 4.1 s)']);
    // A retry names where the request went, when the driver said (issue 47.7: the live line named no address).
    line.observe({
      ts,
      pid: 1,
      type: 'retry',
      turn: 0,
      attempt: 3,
      max: 6,
      delay_ms: 2000,
      kind: 'timeout',
      endpoint: 'http://10.0.0.9/v1',
      message: 'x',
    });
    line.draw();
    expect(written.at(-1)).toBe('⠹ thinking: root 3s (timeout from http://10.0.0.9/v1, retry 3/6 in 2.0 s)');
    line.observe({ ts, pid: 1, type: 'model', turn: 0, text: 'hi' });
    written.length = 0;
    line.draw();
    expect(written).toEqual(['\r\u001b[K']);
    // A wake-up from a blocking call is not a model at work.
    line.observe({ ts, pid: 1, type: 'state', from: 'blocked', to: 'running', reason: 'woken: ready' });
    line.draw();
    expect(written).toEqual(['\r\u001b[K']);
  });

  it('shows the newest words of each reply being written, a line each, and erases every line', () => {
    let now = 0;
    const written: string[] = [];
    const line = new ThinkingLine({ write: (s) => written.push(s), columns: 40 }, () => now);
    line.observe({ ts, pid: 1, type: 'state', from: null, to: 'ready', name: 'root' });
    line.observe({ ts, pid: 2, type: 'state', from: null, to: 'ready', name: 'child' });
    line.observe({ ts, pid: 1, type: 'state', from: 'ready', to: 'running' });
    line.observe({ ts, pid: 2, type: 'state', from: 'ready', to: 'running' });
    now = 2_000;
    line.text({ pid: 1, turn: 0, text: 'I will read\nthe notes first and then write the summary' });
    line.draw();
    expect(written.at(-1)).toBe('⠋ root 2s ▸ …and then write the summary\n⠋ child 2s thinking');
    for (const l of (written.at(-1) ?? '').split('\n')) expect(l.length).toBeLessThanOrEqual(39);
    line.draw();
    expect(written.at(-2)).toBe('\r\u001b[K\u001b[1A\u001b[K'); // both lines erased
    line.observe({ ts, pid: 1, type: 'model', turn: 0, text: 'done' });
    line.observe({
      ts,
      pid: 2,
      type: 'retry',
      turn: 0,
      attempt: 1,
      max: 6,
      delay_ms: 1000,
      kind: 'server',
      status: 503,
      message: 'x',
    });
    line.draw();
    expect(written.at(-1)).toBe('⠹ thinking: child 2s (HTTP 503, retry …'); // back to one line, cut at 39
  });

  it('lines are cut to the terminal width, colour codes taking no room', () => {
    expect(cutVisible('abcdef', 4)).toBe('abc…');
    expect(cutVisible('abcd', 4)).toBe('abcd');
    expect(cutVisible('\u001b[2m[1 root]\u001b[22m hello world', 12)).toBe('\u001b[2m[1 root]\u001b[22m he…\u001b[0m');
  });
});
