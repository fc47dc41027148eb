/**
 * Bounded context against a provider (the fake OpenAI-compatible server): the budget comes from the
 * model's context window, the summaries are the provider's, and every request the provider
 * receives — the agent's and the summariser's — is within the budget.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../fakes/fake-provider.js';
import { estimateTokens } from '../../../kernel/context/context-budget.js';
import { Kernel } from '../../../kernel/kernel.js';

let fake: FakeProvider;
let kernel: Kernel | undefined;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-context-provider-'));
  fake = await startFakeProvider({});
  // The window of this local model is stated the way a user would: in AOS_PRICES.
  const prices = path.join(dir, 'prices.json');
  await writeFile(prices, JSON.stringify({ 'small-window': { prompt: 0, output: 0, context: 12_000 } }));
  vi.stubEnv('AOS_PRICES', prices);
  vi.stubEnv('OPENAI_BASE_URL', `${fake.url}/v1`);
  vi.stubEnv('OPENAI_API_KEY', 'sk-test');
});
afterEach(async () => {
  await kernel?.shutdown();
  kernel = undefined;
  await fake.close();
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
});

const isSummariser = (system: string): boolean => system.startsWith('You compress');

/** An agent that reads a large file `turns - 1` times, then exits; the provider writes the summaries. */
async function readLoop(task: string, turns: number): Promise<Array<{ summariser: boolean; tokens: number }>> {
  const workspace = path.join(dir, 'ws');
  await mkdir(workspace, { recursive: true });
  await writeFile(path.join(workspace, 'big.txt'), 'a line of the file, "quoted"\n'.repeat(2_000));
  let agentTurns = 0;
  fake.setBehavior({
    reply: ({ system }) => {
      if (isSummariser(system)) return 'SUMMARY-FROM-PROVIDER: read big.txt again and again.';
      agentTurns++;
      return agentTurns < turns
        ? `Reading (${agentTurns}).\n[SYS_CALL::FS_READ] {"path":"big.txt"}`
        : '[SYS_CALL::SYS_EXIT] {"code":0}';
    },
  });
  kernel = await Kernel.create({
    workspace,
    rootCapabilities: ['fs.read:/**'],
    modelRetry: { backoffBaseMs: 5, backoffMaxMs: 50 },
  });
  const spawned = await kernel.spawn({ task, model: 'openai:small-window' });
  expect(spawned.limits.contextTokens).toBe(7_200);
  const pcb = await kernel.waitExit(spawned.pid);
  expect(pcb.exitCode).toBe(0);
  return fake.requests.map((r) => ({
    summariser: isSummariser(r.system),
    tokens: estimateTokens(r.system, r.messages),
  }));
}

describe('bounded context with a provider', () => {
  it("a 12k-token window gives a 7.2k budget; no request, the summariser's included, exceeds it", async () => {
    const sizes = await readLoop('read the file', 30);
    expect(sizes.filter((s) => !s.summariser)).toHaveLength(30);
    expect(sizes.filter((s) => s.summariser).length).toBeGreaterThan(3);
    for (const s of sizes) expect(s.tokens).toBeLessThanOrEqual(7_200);
    // The provider's summary leads the context after a compaction.
    const last = fake.requests.filter((r) => !isSummariser(r.system)).at(-1);
    expect(last?.messages[0]?.text).toContain('[SUMMARY] SUMMARY-FROM-PROVIDER');
  });

  it('a task larger than the whole budget: the agent and the summariser still get requests within it', async () => {
    const sizes = await readLoop(`read the file. ${'Background you must keep in mind. '.repeat(1_500)}`, 6);
    expect(sizes.filter((s) => s.summariser).length).toBeGreaterThan(0);
    for (const s of sizes) expect(s.tokens).toBeLessThanOrEqual(7_200);
  });
});
