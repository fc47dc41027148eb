/**
 * Issue 47.3 through the real CLI and daemon: `aos eval` once sent 76k tokens over three runs while
 * a `kernel: true` daily budget of 30,000 read 0. Its requests are now the kernel's to count: the
 * budget reads what the fake provider reported, the runs it refuses end `failed` naming the budget,
 * and nothing more is sent once it is spent.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { param } from '../../sys/param.js';
import { type FakeProvider, startFakeProvider } from '../fakes/fake-provider.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { publishedJson } from '../helpers/published-json.js';

const DAILY = 30_000;
const REPLY = '[SYS_CALL::SYS_WRITE_STDOUT] {"text":"line"}';

let t: TestHome;
let fake: FakeProvider;
let env: NodeJS.ProcessEnv;
let tape = '';

beforeAll(async () => {
  t = await makeHome();
  // No usage given: the fake reports four characters a token of what it was sent and what it said.
  fake = await startFakeProvider({ reply: REPLY });
  const policy = path.join(t.home, 'policy-budgets.yaml');
  await writeFile(
    policy,
    `version: 1\nroot:\n  capabilities: ["fs.read:/**"]\nbudgets:\n  - {kernel: true, daily_tokens: ${DAILY}, tz: UTC}\n`,
  );
  env = {
    OPENAI_BASE_URL: `${fake.url}/v1`,
    OPENAI_API_KEY: 'sk-test',
    AOS_POLICY: policy,
    GEMINI_API_KEY: '',
    GOOGLE_API_KEY: '',
  };
  // A recorded run of three turns, each sent ~4k tokens more: ~24k tokens to play it once.
  tape = path.join(t.home, 'run.yaml');
  const agents = {
    root: [0, 1, 2].map((i) => ({
      reply: REPLY,
      sent: `[SYS_RESULT::SYS_WRITE_STDOUT] {"ok":true} ${'data '.repeat(3_200)}${i}`,
    })),
  };
  const recorded = {
    pid: 1,
    agent: 'root',
    model: 'openai:gpt-4o-mini',
    system: 'You are root.',
    turns: 3,
    prompt_tokens: 0,
    output_tokens: 0,
    cost_usd: 0,
    ended: { state: 'exited', code: 0 },
  };
  await writeFile(tape, YAML.stringify({ agents, recorded }, { lineWidth: 0 }));
});
afterAll(async () => {
  await t.dispose();
  await fake.close();
});

const cli = (args: string[]): ReturnType<TestHome['cli']> => t.cli(args, { env, timeoutMs: 30_000 });

type Eval = {
  runs: Array<{
    turns: number;
    prompt_tokens: number;
    output_tokens: number;
    ended: { state: string; reason: string | null };
  }>;
};
type Ls = { budgets: Array<{ name: string; counts: Array<{ spent_tokens: number; limit_tokens: number | null }> }> };

describe('aos eval under the budgets', () => {
  it('counts every eval request against a kernel budget and fails the runs it refuses, naming it', async () => {
    const runs: Eval['runs'] = [];
    for (let i = 0; i < 3; i++)
      runs.push(...(await publishedJson<Eval>(cli, ['eval', tape, '--model', 'openai:gpt-4o-mini'], 'eval')).runs);
    expect(runs[0]?.ended.state).toBe('exited');
    const refused = runs.filter((r) => r.ended.state === 'failed');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const run of refused)
      expect(run.ended.reason).toMatch(/budget kernel \(kernel, daily\): \d+ tokens of 30000 tokens spent/);

    const ls = await publishedJson<Ls>(cli, ['budget', 'ls'], 'budget-ls');
    const spent = ls.budgets.find((b) => b.name === 'kernel')?.counts[0]?.spent_tokens ?? 0;
    const sentTokens = runs.reduce((n, r) => n + r.prompt_tokens + r.output_tokens, 0);
    expect(spent).toBe(sentTokens);
    expect(spent).toBe(fake.stats().tokens);
    expect(spent).toBeGreaterThan(DAILY / 2);
    expect(spent).toBeLessThanOrEqual(DAILY + param.modelMaxOutputTokens);
    // The bound each request carried to the provider.
    expect(
      fake.requests.every((r) => (r.body as { max_tokens?: number }).max_tokens === param.modelMaxOutputTokens),
    ).toBe(true);
  }, 120_000);
});
