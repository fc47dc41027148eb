/**
 * Budgets through the real CLI and daemon, against a fake OpenAI-compatible provider priced in
 * AOS_PRICES: processes are paused, not killed, when the day's budget is spent — `blocked (budget)`
 * in ps — a SIGKILL of the kernel forgets nothing of the day's spend, `aos budget raise` lets them
 * go on, every --json matches its published schema, and each mark is on the audit trail.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PUBLISHED } from '../../protocol/schemas.js';
import { publishedJson } from '../helpers/published-json.js';
import type { ProcRow } from '../../protocol/views.js';
import { type FakeProvider, startFakeProvider } from '../fakes/fake-provider.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

/** $1 and $10 per 1M; 1,000 + 200 tokens a reply: $0.003 a request. */
const REQUEST_USD = 0.003;
const DAILY = 0.05;

let t: TestHome;
let fake: FakeProvider;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  t = await makeHome();
  // A new line every time (identical turns would end as a loop), with a fixed usage.
  fake = await startFakeProvider({
    reply: (ctx) => `[SYS_CALL::SYS_WRITE_STDOUT] {"text": "line ${ctx.index}"}`,
    usage: { prompt: 1_000, output: 200 },
  });
  const prices = path.join(t.home, 'prices.json');
  await writeFile(prices, JSON.stringify({ 'fake-model': { prompt: 1, output: 10, context: 128_000 } }));
  const policy = path.join(t.home, 'policy-budgets.yaml');
  await writeFile(
    policy,
    `version: 1\nroot:\n  capabilities: ["fs.read:/**"]\nbudgets:\n  - {kernel: true, daily_usd: ${DAILY}, monthly_usd: 10, tz: UTC}\n`,
  );
  env = {
    OPENAI_BASE_URL: `${fake.url}/v1`,
    OPENAI_API_KEY: 'sk-test',
    AOS_PRICES: prices,
    AOS_POLICY: policy,
    GEMINI_API_KEY: '',
    GOOGLE_API_KEY: '',
  };
});
afterAll(async () => {
  await t.dispose();
  await fake.close();
});

function cli(args: string[]): ReturnType<TestHome['cli']> {
  return t.cli(args, { env, timeoutMs: 30_000 });
}

const json = <T>(args: string[], schema: keyof typeof PUBLISHED): Promise<T> => publishedJson<T>(cli, args, schema);

type Ls = { budgets: Array<{ name: string; counts: Array<{ spent_usd: number; paused: number[]; share: number }> }> };

async function spentNow(): Promise<number> {
  return (await json<Ls>(['budget', 'ls'], 'budget-ls')).budgets[0]?.counts[0]?.spent_usd ?? 0;
}

describe('aos budget', () => {
  it('pauses every process when the day is spent, keeps the spend across a SIGKILL, and a raise lets them go on', async () => {
    const pids: number[] = [];
    for (let i = 0; i < 8; i++) {
      const run = await cli([
        'spawn',
        `work ${i}`,
        '--model',
        'openai:fake-model',
        '--name',
        `w${i}`,
        '--detach',
        '--json',
      ]);
      expect(run.code, run.stderr).toBe(0);
      pids.push((JSON.parse(run.stdout) as { pid: number }).pid);
    }
    const paused = async (): Promise<boolean> => {
      const rows = JSON.parse((await cli(['ps', '--json'])).stdout) as ProcRow[];
      return pids.every((pid) => rows.find((r) => r.pid === pid)?.wait === 'budget');
    };
    await until(paused, 20_000, 'every process paused on the budget');
    const spent = await spentNow();
    expect(spent).toBeGreaterThanOrEqual(DAILY - REQUEST_USD);
    expect(spent).toBeLessThanOrEqual(DAILY + REQUEST_USD + 1e-9);
    const table = await cli(['ps']);
    expect(table.stdout.match(/blocked \(budget\)/g)).toHaveLength(8);
    const ls = await cli(['budget', 'ls']);
    expect(ls.stdout).toMatch(/^BUDGET\s+COUNTS\s+WINDOW\s+DOLLARS\s+TOKENS\s+USED\s+RESETS\s+PAUSED\s+LIMITS/);
    expect(ls.stdout).toMatch(
      new RegExp(
        `kernel\\s+kernel\\s+daily:\\d{4}-\\d{2}-\\d{2}\\s+\\$0\\.0\\d+ / \\$${DAILY}\\s+\\d+ / —|kernel\\s+kernel\\s+daily:`,
      ),
    );
    // Paused by the day's limit: their pids on the day's row, not on the month's (issue 51.4).
    const row = (text: string, window: string): string => text.split('\n').find((l) => l.includes(` ${window}:`)) ?? '';
    expect(row(ls.stdout, 'daily')).toContain(` ${[...pids].sort((a, b) => a - b).join(',')} `);
    expect(row(ls.stdout, 'monthly')).not.toMatch(/\d+,\d+/);
    expect(row(ls.stdout, 'daily')).toMatch(/daily \$0\.05 \(UTC\)$/);
    expect(row(ls.stdout, 'monthly')).toMatch(/monthly \$10 \(UTC\)$/);
    const policy = await cli(['policy', 'show']);
    expect(policy.stdout).toMatch(
      /budgets \(what each has spent: aos budget ls\):\n +NAME +COUNTS +LIMITS\n +kernel +kernel +daily \$0\.05, monthly \$10 \(UTC\)/,
    );

    // SIGKILL mid-day: the spend is read back; the processes are paused again, not run on a fresh day.
    const daemon = await t.daemonPid();
    process.kill(daemon as number, 'SIGKILL');
    await until(
      async () => (await cli(['kernel', 'status', '--json'])).stdout.includes('"running":false'),
      10_000,
      'the kernel to be gone',
    );
    expect((await cli(['kernel', 'start'])).code).toBe(0);
    expect(await spentNow()).toBeCloseTo(spent, 9);
    await until(paused, 20_000, 'every process paused again after the restart');
    expect(await spentNow()).toBeCloseTo(spent, 9);

    const raised = await json<{ budget: { counts: Array<{ limit_usd: number }> } }>(
      ['budget', 'raise', 'kernel', '--usd', '0.03'],
      'budget-changed',
    );
    expect(raised.budget.counts[0]?.limit_usd).toBeCloseTo(DAILY + 0.03, 9);
    // What a raise did, in words: it adds (the limit is $0.08 now, not $0.03), and the LIMITS column shows it.
    const says = await cli(['budget', 'ls']);
    expect(row(says.stdout, 'daily')).toMatch(/daily \$0\.08 \(\$0\.05 \+ \$0\.03 raised\) \(UTC\)$/);
    await until(async () => (await spentNow()) > spent + 0.02, 20_000, 'the processes to spend the raise');
    await until(paused, 20_000, 'every process paused once the raise is spent');
    expect(await spentNow()).toBeLessThanOrEqual(DAILY + 0.03 + REQUEST_USD + 1e-9);
    const show = await json<{ history: unknown[] }>(['budget', 'show', 'kernel'], 'budget-show');
    expect(show.history.length).toBeGreaterThan(0);

    // The marks and the person's raise are on the audit trail; none was killed.
    const audit = (await cli(['audit', '--json'])).stdout;
    expect(audit).toContain('"call":"BUDGET"');
    expect(audit).toMatch(/"decided_by":"person"[^}]*raised by \$0\.03/);
    const rows = JSON.parse((await cli(['ps', '--all', '--json'])).stdout) as ProcRow[];
    expect(rows.filter((r) => pids.includes(r.pid)).every((r) => r.state === 'blocked')).toBe(true);
    expect((await json<{ budget: unknown }>(['budget', 'reset', 'kernel'], 'budget-changed')).budget).toBeDefined();
  }, 120_000);

  it('a raise says it adds to the window, and what the limit is now', async () => {
    const raised = await cli(['budget', 'raise', 'kernel', '--usd', '1']);
    expect(raised.code, raised.stderr).toBe(0);
    // On top of the first test's raise of $0.03 (a reset zeroes the spend, not the raises).
    expect(raised.stdout).toMatch(/raised kernel kernel daily:\S+ by \$1: its limit is \$1\.08 now, was \$0\.08\n/);
    expect(raised.stdout).toMatch(/raised kernel kernel monthly:\S+ by \$1: its limit is \$11\.03 now, was \$10\.03\n/);
    expect(raised.stdout).toContain("a raise adds to this window only; the next window has the policy's limits again");
  });

  it('says what is wrong: an unknown budget, raise without an amount', async () => {
    const unknown = await cli(['budget', 'show', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no budget named nope \(there are: kernel\)/);
    const bare = await cli(['budget', 'raise', 'kernel']);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toMatch(/give --usd or --tokens/);
  });
});
