import { afterEach, describe, expect, it } from 'vitest';
import { estimateTokens, extractiveSummary } from '../../kernel/compaction.js';
import { call, EXIT, type Harness, startHarness, type TapeEntry } from '../helpers/kernel-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('bounded context', () => {
  it('keeps the per-turn context bounded over 200 turns while the store keeps every message', async () => {
    const filler = 'thinking '.repeat(200); // ~1.8k chars per reply: unbounded, 200 turns would be ~90k tokens
    const replies: TapeEntry[] = Array.from({ length: 200 }, (_, i) => `${filler} step ${i}\n${call('FS_WRITE', { path: `log/${i}.txt`, content: String(i) })}`);
    replies.push({ expect: '"path":"/log/199.txt"', reply: EXIT });
    h = await startHarness({ root: replies });
    const sizes: number[] = [];
    const compactions: string[] = [];
    h.kernel.events.subscribe((e) => {
      if (e.type === 'model') sizes.push(estimateTokens('', h?.kernel.proc(1)?.transcript ?? []));
      if (e.type === 'state' && e.reason?.startsWith('context compacted')) compactions.push(e.reason);
    });
    const pcb = await h.run({ maxTurns: 500, contextTokens: 6000 });
    expect(pcb.exitReason).toBe('exited');
    expect(pcb.counters.turns).toBe(201);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(6000);
    // Flat, not growing: the last 50 turns are no bigger on average than turns 50-100.
    const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(avg(sizes.slice(-50))).toBeLessThanOrEqual(avg(sizes.slice(50, 100)) * 1.25);
    expect(compactions.length).toBeGreaterThan(5);
    h.kernel.store.flush();
    // 1 task + 201 replies + 200 result messages + one summary row per compaction.
    expect(h.kernel.store.transcriptLength(1)).toBe(402 + compactions.length);
  });

  it('warns the model before it compacts, and the summary leads the new context', async () => {
    const big = 'x'.repeat(2400);
    const replies: TapeEntry[] = Array.from({ length: 12 }, (_, i) => `${big} ${i}\n${call("FS_LIST")}`);
    replies.push(EXIT);
    h = await startHarness({ root: replies });
    const order: string[] = [];
    let context: Array<{ role: string; text: string }> = [];
    const harness = h;
    h.kernel.events.subscribe((e) => {
      if (e.type === 'prompt' && e.text.includes('Your context is at')) order.push('warned');
      if (e.type === 'state' && e.reason?.startsWith('context compacted')) order.push('compacted');
      // The model's context as it was when the process ended (an ended process leaves memory right after).
      if (e.type === 'state' && e.to === 'exited') context = [...(harness.kernel.proc(1)?.transcript ?? [])];
    });
    const pcb = await h.run({ contextTokens: 5000 });
    expect(pcb.exitReason).toBe('exited');
    expect(order[0]).toBe('warned');
    expect(order).toContain('compacted');
    const first = context[0];
    expect(first?.text).toContain('[TASK]');
    expect(first?.text).toContain('[SUMMARY]');
    expect(context[1]?.role).toBe('model');
  });

  it('survives a restart: the compacted context is rebuilt from the store', async () => {
    // Covered through recovery's loadContext; here: the extractive summary is bounded and names the calls.
    const summary = extractiveSummary([
      { role: 'user', text: '[TASK] t' },
      { role: 'model', text: `${call('FS_WRITE', { path: 'a', content: 'b' })} ${call('FS_WRITE', { path: 'c', content: 'd' })}` },
      { role: 'user', text: '[SYS_RESULT::FS_WRITE] {"ok":true}' },
    ]);
    expect(summary).toContain('FS_WRITE×2');
    expect(summary.length).toBeLessThanOrEqual(4000);
  });
});
