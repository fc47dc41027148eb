import { afterEach, describe, expect, it } from 'vitest';
import { AosError } from '../../../sys/errno.js';
import { contextBudget, fitMessages, resultChars } from '../../../kernel/context/context-budget.js';
import { param } from '../../../sys/param.js';
import { KernelClient } from '../../../client/client.js';
import { call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';
import { measureRequests } from '../../helpers/measured-model.js';
import { type ServerFixture, startServer } from '../../helpers/server-fixture.js';

let h: Harness | undefined;
let fx: ServerFixture | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  await fx?.close();
  fx = undefined;
});

describe('the context budget follows the model', () => {
  const unknown = {};

  it('is the default where the window is large or unknown, and a share of a small window', () => {
    expect(contextBudget('gemini:gemini-2.5-flash', unknown)).toBe(param.contextBudgetTokens);
    expect(contextBudget('openai:llama3.1:8b', unknown)).toBe(param.contextBudgetTokens);
    expect(contextBudget('openai:local', { contextWindow: 8192 })).toBe(Math.floor(8192 * param.contextWindowShare));
  });

  it('may be raised by the spawn up to the share of the window, never past it', () => {
    expect(contextBudget('gemini:gemini-2.5-flash', unknown, 200_000)).toBe(200_000);
    expect(contextBudget('openai:gpt-4o-mini', unknown, 200_000)).toBe(Math.floor(128_000 * param.contextWindowShare));
    // The driver's own figure wins over the table's.
    expect(contextBudget('openai:gpt-4o-mini', { contextWindow: 1_000_000 }, 200_000)).toBe(200_000);
  });

  it("a child inherits its parent's budget, within its own model's window", () => {
    expect(contextBudget('openai:local', unknown, undefined, 50_000)).toBe(50_000);
    expect(contextBudget('openai:local', { contextWindow: 16_000 }, undefined, 50_000)).toBe(9_600);
  });

  it('refuses a budget too small to be useful, naming the minimum', () => {
    for (const asked of [100, param.minContextTokens - 1, 5000.5]) {
      expect(() => contextBudget('openai:local', unknown, asked)).toThrow(AosError);
      expect(() => contextBudget('openai:local', unknown, asked)).toThrow(
        `contextTokens must be an integer of at least ${param.minContextTokens}`,
      );
    }
  });

  it('gives each result of a reply its share of an eighth of the budget, within the absolute bounds', () => {
    expect(resultChars(32_000, 1)).toBe(16_000);
    expect(resultChars(32_000, 4)).toBe(4_000);
    expect(resultChars(32_000, 32)).toBe(param.minResultChars);
    expect(resultChars(1_000_000, 1)).toBe(param.maxResultChars);
  });

  it('a spawn on a small-window model gets the smaller budget, and its requests stay within it', async () => {
    const replies = Array.from({ length: 30 }, (_, i) => `${'reasoning '.repeat(300)} ${i}\n${call('FS_LIST')}`);
    h = await startHarness({ root: [...replies, EXIT] });
    const seen = await measureRequests(h, { contextWindow: 10_000 });
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(0);
    expect(pcb.limits.contextTokens).toBe(6_000);
    expect(Math.max(...seen.map((s) => s.tokens))).toBeLessThanOrEqual(6_000);
    await expect(h.spawn({ contextTokens: 10 })).rejects.toThrow(/contextTokens must be an integer of at least/);
  });
});

describe('aos spawn --context-tokens', () => {
  it('reaches the kernel over the socket; a budget below the minimum is EINVAL', async () => {
    fx = await startServer({ root: [EXIT] });
    const client = await KernelClient.connect(fx.paths);
    try {
      const row = await client.request('spawn', { task: 't', model: fx.model, context_tokens: 100_000 });
      expect(fx.kernel.pcb(row.pid)?.limits.contextTokens).toBe(100_000);
      const refused = await client
        .request('spawn', { task: 't', model: fx.model, context_tokens: 10 })
        .catch((e: unknown) => e);
      expect(refused).toMatchObject({
        code: 'EINVAL',
        message: expect.stringContaining('contextTokens must be an integer of at least'),
      });
    } finally {
      client.close();
    }
  });
});

describe('the last guard before a request', () => {
  const msg = (role: 'user' | 'model', text: string): { role: 'user' | 'model'; text: string } => ({ role, text });

  it('leaves a request that fits untouched', () => {
    const messages = [msg('user', 'task'), msg('model', 'reply'), msg('user', 'result')];
    expect(fitMessages('system', messages, 1000)).toEqual({ messages, cut: 0 });
  });

  it('cuts the largest messages first, keeps the small ones whole, and never exceeds the budget', () => {
    const messages = [msg('user', 't'.repeat(50_000)), msg('model', 'short reply'), msg('user', 'r'.repeat(9_000))];
    const fitted = fitMessages('s'.repeat(2_000), messages, 5_000);
    if (!fitted) throw new Error('expected a fit');
    const chars = 2_000 + fitted.messages.reduce((n, m) => n + m.text.length, 0);
    expect(chars).toBeLessThanOrEqual(5_000 * param.contextCharsPerToken);
    expect(fitted.messages[1]?.text).toBe('short reply');
    expect(fitted.messages.map((m) => m.role)).toEqual(['user', 'model', 'user']);
    expect(fitted.messages[0]?.text).toMatch(/^t+\n\[KERNEL\] \d+ characters of this message were cut/);
    expect(fitted.cut).toBe(59_011 - (chars - 2_000));
    // The caller's transcript is not touched.
    expect(messages[0]?.text).toHaveLength(50_000);
  });

  it('says so when not even the system prompt fits', () => {
    expect(fitMessages('s'.repeat(20_000), [msg('user', 'x')], 4_000)).toBeNull();
  });
});
