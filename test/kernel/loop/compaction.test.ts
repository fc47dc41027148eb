import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { extractiveSummary, splitPoint } from '../../../kernel/loop/compaction.js';
import { estimateTokens } from '../../../kernel/context/context-budget.js';
import { call, EXIT, type Harness, startHarness, type TapeEntry } from '../../helpers/kernel-harness.js';
import { measureRequests } from '../../helpers/measured-model.js';
import { turnOf } from '../../../kernel/loop/turn-state.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Text lines, as a log or source file would be (each newline is escaped in the result's JSON). */
function bigFile(bytes: number): string {
  const lines = Array.from(
    { length: Math.ceil(bytes / 40) },
    (_, i) => `line ${String(i).padStart(5, '0')}: "quoted" and\ttabbed`,
  );
  return lines.join('\n').slice(0, bytes);
}

describe('bounded context', () => {
  it('keeps every request within the budget over 200 turns while the store keeps every message', async () => {
    const filler = 'thinking '.repeat(200); // ~1.8k chars per reply: unbounded, 200 turns would be ~90k tokens
    const replies: TapeEntry[] = Array.from(
      { length: 200 },
      (_, i) => `${filler} step ${i}\n${call('FS_WRITE', { path: `log/${i}.txt`, content: String(i) })}`,
    );
    replies.push({ expect: '"path":"/log/199.txt"', reply: EXIT });
    h = await startHarness({ root: replies });
    const seen = await measureRequests(h);
    const compactions: string[] = [];
    h.kernel.events.subscribe((e) => {
      if (e.type === 'state' && e.reason?.startsWith('context compacted')) compactions.push(e.reason);
    });
    const pcb = await h.run({ maxTurns: 500, contextTokens: 6000 });
    expect(pcb.exitReason).toBe('exited');
    expect(pcb.counters.turns).toBe(201);
    const sizes = seen.map((s) => s.tokens);
    expect(sizes).toHaveLength(201);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(6000);
    // Flat, not growing: the last 50 turns are no bigger on average than turns 50-100.
    expect(mean(sizes.slice(-50))).toBeLessThanOrEqual(mean(sizes.slice(50, 100)) * 1.1);
    expect(compactions.length).toBeGreaterThan(5);
    h.kernel.store.flush();
    // 1 task + 201 replies + 200 result messages + one summary row per compaction.
    expect(await h.kernel.store.transcripts.length(1)).toBe(402 + compactions.length);
  });

  it('with a 60 KB result every turn: no request over the budget, a flat curve, excerpts that name the rest', async () => {
    const file = bigFile(60 * 1024);
    const replies: TapeEntry[] = Array.from(
      { length: 120 },
      (_, i) => `Part ${i}.\n${call('FS_READ', { path: 'big.txt' })}`,
    );
    replies.push({
      expect: ['"content_cut_chars"', '"rest":{"SYS_RESULT_READ":{"turn":119,"seq":0,"field":"content","offset":'],
      reply: EXIT,
    });
    h = await startHarness({ root: replies });
    await writeFile(path.join(h.workspace, 'big.txt'), file);
    const seen = await measureRequests(h);
    const pcb = await h.run({ maxTurns: 500, contextTokens: 8000 });
    expect(pcb.exitReason).toBe('exited');
    const sizes = seen.map((s) => s.tokens);
    expect(sizes).toHaveLength(121);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(8000);
    expect(mean(sizes.slice(-50))).toBeLessThanOrEqual(mean(sizes.slice(50, 100)) * 1.1);
    // The store keeps each result whole; the model saw a bounded excerpt of it.
    const last = h.results(1).at(-2);
    expect((last?.value as { content: string }).content).toBe(file);
    const line = (seen.at(-1)?.request.messages.at(-1)?.text ?? '').split('\n')[0] ?? '';
    expect(line.startsWith('[SYS_RESULT::FS_READ] {')).toBe(true);
    // One result of one call: an eighth of the budget (8000 tokens × 4 chars ÷ 8).
    const json = line.slice('[SYS_RESULT::FS_READ] '.length);
    expect(json.length).toBeLessThanOrEqual(4000);
    const excerpt = JSON.parse(json) as { value: Record<string, unknown> };
    expect(excerpt.value).toMatchObject({
      path: '/big.txt',
      size: file.length,
      truncated: false,
      content_cut_chars: expect.any(Number),
    });
  });

  it('warns the model before it compacts, and the summary leads the new context', async () => {
    const big = 'x'.repeat(2400);
    const replies: TapeEntry[] = Array.from({ length: 12 }, (_, i) => `${big} ${i}\n${call('FS_LIST')}`);
    replies.push(EXIT);
    h = await startHarness({ root: replies });
    const order: string[] = [];
    let context: Array<{ role: string; text: string }> = [];
    const harness = h;
    h.kernel.events.subscribe((e) => {
      if (e.type === 'prompt' && e.text.includes('Your context is at')) order.push('warned');
      if (e.type === 'state' && e.reason?.startsWith('context compacted')) order.push('compacted');
      // The model's context as it was when the process ended (an ended process leaves memory right after).
      if (e.type === 'state' && e.to === 'exited') context = [...(turnOf(harness.kernel.proc(1))?.transcript ?? [])];
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

  it('cuts a task far larger than the budget from the request, never from the store', async () => {
    const task = `Do this: ${'a very long brief '.repeat(12_000)}`; // ~200k chars, ~50k tokens
    h = await startHarness({ root: [call('FS_LIST'), EXIT] });
    const seen = await measureRequests(h);
    const pcb = await h.run({ task, contextTokens: 5000 });
    expect(pcb.exitCode).toBe(0);
    for (const s of seen) expect(s.tokens).toBeLessThanOrEqual(5000);
    expect(seen[0]?.request.messages[0]?.text).toContain(
      'characters of this message were cut to fit your context budget',
    );
    expect(
      h.eventsOf(1, 'state').some((e) => e.type === 'state' && e.reason?.startsWith('context cut to fit its budget')),
    ).toBe(true);
    h.kernel.store.flush();
    expect(await h.kernel.store.transcripts.row(1, 0)).toContain(task);
  });

  it('ends a process whose budget cannot hold even the system prompt, with the reason', async () => {
    h = await startHarness({ root: [EXIT] });
    const seen = await measureRequests(h, { contextWindow: 2_000 });
    const pcb = await h.run();
    expect(pcb.limits.contextTokens).toBe(1_200);
    expect(pcb.exitCode).toBe(1);
    expect(pcb.exitReason).toMatch(
      /^context budget too small: 1200 tokens do not hold the system prompt \(about \d+ tokens\)$/,
    );
    expect(seen).toEqual([]);
  });
});

describe('the kept window', () => {
  const m = (role: 'user' | 'model', chars: number): { role: 'user' | 'model'; text: string } => ({
    role,
    text: 'x'.repeat(chars),
  });

  it('is measured in characters of the budget, not in messages, and starts with a model reply', () => {
    const t = [
      m('user', 100),
      m('model', 100),
      m('user', 100),
      m('model', 100),
      m('user', 100),
      m('model', 100),
      m('user', 100),
    ];
    expect(splitPoint(t, 350)).toBe(5); // the last three fit; the tail starts at the model reply
    expect(splitPoint(t, 10_000)).toBe(1); // everything after the task/summary
  });

  it('keeps at least the latest reply and its results, however large', () => {
    const t = [m('user', 10), m('model', 10), m('user', 10), m('model', 50_000), m('user', 90_000)];
    expect(splitPoint(t, 1_000)).toBe(3);
  });

  it('extractive summaries (replay tapes) are bounded and name the calls', () => {
    const summary = extractiveSummary(
      [
        { role: 'user', text: '[TASK] t' },
        {
          role: 'model',
          text: `${call('FS_WRITE', { path: 'a', content: 'b' })} ${call('FS_WRITE', { path: 'c', content: 'd' })}`,
        },
        { role: 'user', text: `[SYS_RESULT::FS_WRITE] {"ok":true} ${'z'.repeat(5000)}` },
      ],
      300,
    );
    expect(summary).toContain('FS_WRITE×2');
    expect(summary.length).toBeLessThanOrEqual(300);
  });

  it('estimates a request by its characters, system prompt included', () => {
    expect(estimateTokens('abcd', [m('user', 8)])).toBe(3);
  });
});
