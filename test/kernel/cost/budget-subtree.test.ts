/**
 * Issue 47.4: a budget on a process covers its subtree. A process under a `process: "w*"` budget
 * once spawned helpers that spent 74.2k tokens counted nowhere. Here a helper's requests count under
 * its parent's key and are paused when that count is spent; `subtree: false` counts the named
 * process's own requests only; the ledger finds a unit or a name anywhere up a process's lineage.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BudgetLedger, type LedgerHost } from '../../../kernel/cost/budget-counts.js';
import { toBudgetSpecs } from '../../../kernel/cost/budget-spec.js';
import type { Proc } from '../../../kernel/proc/proc.js';
import type { ModelRequest } from '../../../drivers/llm/types.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { until } from '../../helpers/until.js';
import { atRest, type BudgetKernel, budgetKernel, FAKE_MODEL, reported } from './budget-fixture.js';

let k: BudgetKernel | null = null;
afterEach(async () => {
  await k?.close();
  k = null;
});

/**
 * w1 spawns a helper at its first turn and waits for it; the helper writes lines until it is stopped
 * (2,000 output tokens a reply: with a system prompt sized to its capabilities, its prompts alone no
 * longer reach the cap within its turns).
 */
function parentAndHelper(request: ModelRequest): { text?: string; output: number } {
  if (request.proc.name !== 'w1') return { output: 2_000 };
  if (request.proc.turn === 0)
    return { output: 100, text: '[SYS_CALL::SPAWN_AGENT] {"role":"helper","name":"helper","task":"write lines"}' };
  return { output: 100, text: '[SYS_CALL::WAIT] {}' };
}

async function spendOfHelper(
  budget: Record<string, unknown>,
): Promise<{ helper: number; w1Count: number; all: number; helperState: unknown }> {
  k = await budgetKernel([budget], parentAndHelper);
  await k.kernel.spawn({ task: 'delegate', model: FAKE_MODEL, name: 'w1', maxTurns: 10 });
  await until(
    async () => (await k!.kernel.processes({ all: true })).some((p) => p.name === 'helper'),
    10_000,
    'the helper',
  );
  const helperPid = (await k.kernel.processes({ all: true })).find((p) => p.name === 'helper')?.pid as number;
  await until(() => atRest(k!.kernel, [helperPid]), 20_000, 'the helper at rest');
  const helper = k.sent.filter((s) => s.request.proc.name === 'helper');
  const w1Count = k.kernel.budgets.current(String(budget.name)).find((c) => c.key === 'process:w1')?.tokens ?? 0;
  return { helper: reported(helper), w1Count, all: reported(k.sent), helperState: k.kernel.pcb(helperPid) };
}

describe("a process budget follows the process's children", () => {
  it("counts a child's requests under its parent's budget, and pauses the child when it is spent", async () => {
    const { helper, w1Count, all, helperState } = await spendOfHelper({
      name: 'workers',
      process: 'w*',
      daily_tokens: 30_000,
      tz: 'UTC',
    });
    expect(helper).toBeGreaterThan(0);
    expect(w1Count).toBe(all);
    expect(w1Count).toBeLessThanOrEqual(30_000);
    expect(helperState).toMatchObject({ state: 'blocked', wait: { kind: 'budget', budget: 'workers' } });
  });

  it('counts only the named processes themselves with subtree: false', async () => {
    const { helper, w1Count, all } = await spendOfHelper({
      name: 'own',
      process: 'w*',
      subtree: false,
      daily_tokens: 30_000,
      tz: 'UTC',
    });
    expect(helper).toBeGreaterThan(30_000);
    expect(w1Count).toBe(all - helper);
  });

  it('refuses subtree: on budgets that cover a whole tree or the kernel already', () => {
    expect(() => toBudgetSpecs([{ kernel: true, subtree: false, daily_tokens: 1 }], 'p.yaml')).toThrow(
      /subtree: is for unit: and process: budgets/,
    );
    expect(() => toBudgetSpecs([{ tree: '*', subtree: true, daily_tokens: 1 }], 'p.yaml')).toThrow(
      /subtree: is for unit: and process: budgets/,
    );
  });

  it("finds a unit or a name anywhere up the lineage: each matching ancestor's count, one shared count, the kernel's for an eval", async () => {
    const procs = new Map<number, { name: string; unit: string | null; ppid: number }>([
      [1, { name: 'boss', unit: 'nightly', ppid: 0 }],
      [2, { name: 'web-1', unit: 'nightly', ppid: 1 }],
      [3, { name: 'web-2', unit: 'scrape', ppid: 2 }],
      [4, { name: 'helper', unit: 'scrape', ppid: 3 }],
    ]);
    const proc = (pid: number): Proc => ({ pid, tree: 1, pcb: { pid, ...procs.get(pid) } }) as unknown as Proc;
    const host = {
      lineage: (p: Proc) => {
        const out: Array<{ name: string; unit: string | null }> = [];
        for (let pid = procs.get(p.pid)?.ppid ?? 0; pid > 0; pid = procs.get(pid)?.ppid ?? 0)
          out.push(procs.get(pid) as { name: string; unit: string | null });
        return out;
      },
    } as unknown as LedgerHost;
    const ledger = new BudgetLedger(host, new FakeClock());
    const specs = toBudgetSpecs(
      [
        { name: 'web', process: 'web-*', daily_tokens: 1 },
        { name: 'webs', process: 'web-*', shared: true, daily_tokens: 1 },
        { name: 'nightly', unit: 'nightly', daily_tokens: 1 },
        { name: 'own', unit: 'nightly', subtree: false, daily_tokens: 1 },
        { kernel: true, daily_tokens: 1 },
        { name: 'trees', tree: 'boss', daily_tokens: 1 },
      ],
      'p.yaml',
    );
    const keys = (payer: Proc | null): string[][] => specs.map((s) => ledger.keysOf(s, payer));
    expect(keys(proc(4))).toEqual([
      ['process:web-2', 'process:web-1'],
      ['process:web-*'],
      ['unit:nightly'],
      [],
      ['kernel'],
      ['tree:1'],
    ]);
    expect(keys(proc(1))).toEqual([[], [], ['unit:nightly'], ['unit:nightly'], ['kernel'], ['tree:1']]);
    expect(keys(null)).toEqual([[], [], [], [], ['kernel'], []]);
  });
});
