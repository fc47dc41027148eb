/**
 * The model chain (kernel/loop/model-chain.ts) and its table (modelInterceptors, in the same
 * file): interceptors run in the table's order, each sees the request before and the reply after;
 * one not installed is not run; a failure of the inner send passes back through every
 * interceptor's finally; the prepare stage awaits only what has work. In a real kernel: without
 * budgets or privacy rules, the budget and privacy interceptors are never entered; a reloaded
 * policy installs them from the next request on; a process without a thread, its context far from
 * its budget, runs no thread or compaction code; every request of a turn and of a compaction's
 * summary goes through the chain with its purpose.
 */
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ModelDriver, ModelReply, ModelRequest } from '../../../drivers/llm/types.js';
import { toBudgetSpecs } from '../../../kernel/cost/budget-spec.js';
import { NO_COST_POLICY, type CostPolicy } from '../../../kernel/cost/cost-policy.js';
import { toPrivacy } from '../../../kernel/cost/privacy-spec.js';
import {
  type ChainEntry,
  type ModelCall,
  ModelChain,
  type ModelInterceptor,
  type TurnPrep,
} from '../../../kernel/loop/model-chain.js';
import type { Proc } from '../../../kernel/proc/proc.js';
import type { Lease } from '../../../kernel/sched/model-pool.js';
import { evalTapes } from '../../../kernel/tapes/eval.js';
import { ALL_CAPS, call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';
import { type BudgetKernel, budgetKernel, FAKE_MODEL } from '../cost/budget-fixture.js';
import { until } from '../../helpers/until.js';

const driver = { id: 'fake:model', complete: () => Promise.reject(new Error('not called')) } as ModelDriver;
const request = (text: string): ModelRequest => ({
  system: 'sys',
  messages: [{ role: 'user', text }],
  proc: { pid: 1, name: 'p', turn: 0 },
  signal: new AbortController().signal,
});
const modelCall = (text = 'hello'): ModelCall => ({
  purpose: 'turn',
  payer: null,
  model: 'fake:model',
  driver,
  request: request(text),
});

/** An interceptor that logs what it sees before and after, and marks the request and the reply with its name. */
function marking(name: string, log: string[]): ModelInterceptor {
  return {
    async send(c, next) {
      log.push(`${name} sees ${c.request.messages[0]?.text}`);
      try {
        const reply = await next({
          ...c,
          request: { ...c.request, messages: [{ role: 'user', text: `${c.request.messages[0]?.text}+${name}` }] },
        });
        log.push(`${name} gets ${reply.text}`);
        return { ...reply, text: `${reply.text}+${name}` };
      } finally {
        log.push(`${name} finally`);
      }
    },
  };
}

const entry = (name: string, interceptor: ModelInterceptor, installed = (): boolean => true): ChainEntry => ({
  name,
  interceptor,
  installed,
});

describe('the model chain', () => {
  it('runs its interceptors in order: each sees the request before and the reply after', async () => {
    const log: string[] = [];
    const chain = new ModelChain([entry('a', marking('a', log)), entry('b', marking('b', log))]);
    const { reply, sent } = await chain.send(modelCall(), async (c) => {
      log.push(`sent ${c.request.messages[0]?.text}`);
      return { text: 'reply' };
    });
    expect(log).toEqual([
      'a sees hello',
      'b sees hello+a',
      'sent hello+a+b',
      'b gets reply',
      'b finally',
      'a gets reply+b',
      'a finally',
    ]);
    expect(reply.text).toBe('reply+b+a');
    // The call as it left the last interceptor: what the spine records as sent.
    expect(sent.request.messages[0]?.text).toBe('hello+a+b');
  });

  it('does not run an interceptor that is not installed, and reads `installed` again at every request', async () => {
    const log: string[] = [];
    let budgets = false;
    const budget = marking('budgets', log);
    const spy = vi.spyOn(budget, 'send');
    const chain = new ModelChain([entry('a', marking('a', log)), entry('budgets', budget, () => budgets)]);
    const last = (): Promise<ModelReply> => Promise.resolve({ text: 'r' });
    await chain.send(modelCall(), last);
    expect(spy).not.toHaveBeenCalled();
    expect(log.some((line) => line.startsWith('budgets'))).toBe(false);
    budgets = true;
    await chain.send(modelCall(), last);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("passes a failure of the inner send back through every interceptor's finally, unchanged", async () => {
    const log: string[] = [];
    const chain = new ModelChain([entry('a', marking('a', log)), entry('b', marking('b', log))]);
    const failure = new Error('provider down');
    await expect(chain.send(modelCall(), () => Promise.reject(failure))).rejects.toBe(failure);
    expect(log).toEqual(['a sees hello', 'b sees hello+a', 'b finally', 'a finally']);
  });

  it('prepares in order, each stage after the one before is done, and awaits nothing when no stage has work', async () => {
    const log: string[] = [];
    let release: () => void = () => undefined;
    const slow: ModelInterceptor = {
      prepare: () => new Promise<void>((resolve) => (release = resolve)).then(() => void log.push('slow done')),
    };
    const after: ModelInterceptor = { prepare: () => (log.push('after'), null) };
    const turn = { proc: {} as Proc, driver, lease: {} as Lease, system: () => 'sys' } satisfies TurnPrep;
    expect(new ModelChain([entry('after', after)]).prepare(turn)).toBeNull();
    expect(log).toEqual(['after']);
    log.length = 0;
    const preparing = new ModelChain([
      entry('slow', slow),
      entry('after', after),
      entry('off', { prepare: () => Promise.reject(new Error('run')) }, () => false),
    ]).prepare(turn);
    expect(preparing).not.toBeNull();
    expect(log).toEqual([]);
    release();
    await preparing;
    expect(log).toEqual(['slow done', 'after']);
  });

  it("joins the installed interceptors' parts of a system prompt, in order", async () => {
    const chain = new ModelChain([
      entry('a', { system: () => ' A' }),
      entry('off', { system: () => ' OFF' }, () => false),
      entry('b', { system: () => Promise.resolve(' B') }),
    ]);
    expect(await chain.system({} as Proc)).toBe(' A B');
  });
});

describe("a kernel's model chain", () => {
  let h: Harness | null = null;
  let k: BudgetKernel | null = null;
  afterEach(async () => {
    await h?.close();
    await k?.close();
    h = null;
    k = null;
  });

  const interceptor = (k: Harness['kernel'], name: string): ModelInterceptor => {
    const found = k.modelChain.entries.find((e) => e.name === name);
    if (!found) throw new Error(`no ${name} in the table`);
    return found.interceptor;
  };

  it('lists its interceptors in one table: thread context and compaction prepare, privacy then budgets around the request', async () => {
    h = await startHarness({});
    expect(h.kernel.modelChain.entries.map((e) => e.name)).toEqual([
      'thread-context',
      'skills',
      'compaction',
      'privacy',
      'budgets',
      'tracing',
    ]);
  });

  it('without budgets or privacy rules never enters their code; a reloaded policy installs them from the next request', async () => {
    h = await startHarness({ first: [EXIT], second: [EXIT] });
    const budgets = vi.spyOn(interceptor(h.kernel, 'budgets'), 'send');
    const privacy = vi.spyOn(interceptor(h.kernel, 'privacy'), 'send');
    const reserve = vi.spyOn(h.kernel.budgets, 'reserve');
    expect((await h.run({ name: 'first' })).exitCode).toBe(0);
    expect(budgets).not.toHaveBeenCalled();
    expect(privacy).not.toHaveBeenCalled();
    expect(reserve).not.toHaveBeenCalled();

    const cost = {
      ...NO_COST_POLICY,
      budgets: toBudgetSpecs([{ kernel: true, daily_tokens: 1_000_000, tz: 'UTC' }], 'policy.yaml'),
      privacy: toPrivacy({ rules: [{ kinds: ['email'], action: 'redact' }] }, '/tmp', 'policy.yaml'),
    };
    h.kernel.reloadPolicy({
      file: 'policy.yaml',
      rootCapabilities: ALL_CAPS,
      safety: h.kernel.safety.policy,
      fromEnv: true,
      cost,
    });
    await until(() => h!.kernel.budgets.any);
    expect((await h.run({ name: 'second' })).exitCode).toBe(0);
    expect(privacy).toHaveBeenCalledTimes(1);
    expect(budgets).toHaveBeenCalledTimes(1);
    expect(budgets.mock.calls[0]?.[0]).toMatchObject({ purpose: 'turn', model: `replay:${h.tape}` });
    expect(reserve).toHaveBeenCalledTimes(1);
  });

  it('prepares a process with no thread and a context far from its budget with no thread or compaction code; a thread used installs it for that process', async () => {
    const note = call('THREAD_APPEND', { key: 'notes', text: 'seen' });
    const idle = call('SYS_WRITE_STDOUT', { text: 'x' });
    h = await startHarness(
      { plain: [idle, idle, EXIT], threaded: [note, idle, EXIT] },
      {
        rootCapabilities: [...ALL_CAPS, 'thread:*'],
      },
    );
    const threads = vi.spyOn(interceptor(h.kernel, 'thread-context'), 'prepare');
    const compaction = vi.spyOn(interceptor(h.kernel, 'compaction'), 'prepare');
    const plain = await h.run({ name: 'plain' });
    expect(plain.exitCode).toBe(0);
    expect(threads).not.toHaveBeenCalled();
    // Only at its first turn, which builds the system prompt compaction counts.
    expect(compaction).toHaveBeenCalledTimes(1);
    const threaded = await h.run({ name: 'threaded' });
    expect(threaded.exitCode).toBe(0);
    // The turns after the one that wrote to the thread.
    expect(threads).toHaveBeenCalledTimes(2);
    expect(threads.mock.calls.every(([turn]) => turn.proc.pid === threaded.pid)).toBe(true);
  });

  it("sends a compaction's summary through the chain with its purpose, paid by the process", async () => {
    // A 4,000-token context and 3k-token results: it compacts within a few turns (as in cost/budget-sites.test.ts, with no budget).
    k = await budgetKernel([], (request) => ({
      output: 300,
      text: request.system.startsWith('You compress')
        ? 'the summary'
        : `[SYS_CALL::SYS_WRITE_STDOUT] {"text":"${'y'.repeat(3_000)} ${request.proc.turn}"}`,
    }));
    const send = vi.spyOn(k.kernel.modelChain, 'send');
    const pcb = await k.kernel.spawn({
      task: 'write',
      model: FAKE_MODEL,
      name: 'writer',
      maxTurns: 8,
      contextTokens: 4_000,
    });
    await k.kernel.waitExit(pcb.pid);
    const summaries = k.sent.filter((s) => s.request.system.startsWith('You compress'));
    expect(summaries.length).toBeGreaterThan(0);
    const purposes = send.mock.calls.map(([c]) => c.purpose);
    expect(purposes.filter((p) => p === 'compaction')).toHaveLength(summaries.length);
    expect(purposes.filter((p) => p === 'turn')).toHaveLength(k.sent.length - summaries.length);
    expect(send.mock.calls.every(([c]) => c.payer?.pid === pcb.pid)).toBe(true);
  });

  it("asks an eval's model through the chain as no process's, and keeps an eval on the model it judges", async () => {
    const tape = path.join(tmpdir(), `aos-chain-eval-${process.pid}.yaml`);
    const reply = call('SYS_WRITE_STDOUT', { text: 'hi' });
    const recorded = {
      pid: 1,
      agent: 'root',
      model: 'openai:recorded',
      system: 'You are root.',
      turns: 1,
      prompt_tokens: 0,
      output_tokens: 0,
      cost_usd: 0,
      ended: { state: 'exited', code: 0 },
    };
    await writeFile(
      tape,
      YAML.stringify({ agents: { root: [{ reply, sent: 'Write to ada@example.org.' }] }, recorded }, { lineWidth: 0 }),
    );
    const policy = (rule: Record<string, unknown>): CostPolicy => ({
      ...NO_COST_POLICY,
      privacy: toPrivacy(
        { rules: [{ kinds: ['email'], ...rule }] } as Parameters<typeof toPrivacy>[0],
        '/tmp',
        'policy.yaml',
      ),
    });
    try {
      h = await startHarness({}, { cost: policy({ action: 'redact' }) });
      const send = vi.spyOn(h.kernel.modelChain, 'send');
      const [played] = await evalTapes(h.kernel, { tapes: [tape], models: [`replay:${tape}`] });
      expect(played?.ended.state).toBe('exited');
      expect(send.mock.calls.map(([c]) => [c.purpose, c.payer])).toEqual([['eval', null]]);
      h.kernel.cost = policy({ action: 'refuse' });
      const [refused] = await evalTapes(h.kernel, { tapes: [tape], models: [`replay:${tape}`] });
      expect(refused?.ended).toMatchObject({
        state: 'failed',
        reason: expect.stringMatching(
          /^turn 0: privacy: email found in what turn 0 would send to replay:.*the policy refuses to send it/,
        ) as unknown,
      });
      h.kernel.cost = policy({ action: 'route_local', model: 'openai:llama3.1:8b' });
      const [routed] = await evalTapes(h.kernel, { tapes: [tape], models: [`replay:${tape}`] });
      expect(routed?.ended.reason).toBe(
        `turn 0: privacy: the policy sends what this tape holds to openai:llama3.1:8b instead of replay:${tape} (privacy.rules, route_local): evaluate it against that model`,
      );
    } finally {
      await rm(tape, { force: true });
    }
  });
});
