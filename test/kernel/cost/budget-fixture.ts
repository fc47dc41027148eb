/**
 * A real kernel under the policy's `budgets:` whose model is a fake at the network's edge: the test
 * chooses each reply and the usage figures the "provider" reports (the reply's output within the
 * bound the request carried, as a provider keeps to max_tokens), and every request sent is kept.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kernel } from '../../../kernel/kernel.js';
import { NO_COST_POLICY } from '../../../kernel/cost/cost-policy.js';
import { toBudgetSpecs } from '../../../kernel/cost/budget-spec.js';
import { replyBound } from '../../../drivers/llm/reply-bound.js';
import type { ModelDriver, ModelReply, ModelRequest, ModelUsage } from '../../../drivers/llm/types.js';
import { estimateTokens } from '../../../kernel/context/context-budget.js';
import { FakeClock } from '../../helpers/fake-clock.js';

export const FAKE_MODEL = 'openai:budget-fake';

export interface Sent {
  request: ModelRequest;
  usage: ModelUsage;
}

export interface FakeAnswer {
  text?: string;
  /** Output tokens reported; the prompt is the estimator's count of what was sent unless `prompt` says. */
  output?: number;
  prompt?: number;
  delayMs?: number;
}

/** A model whose answers `answer` chooses; each reply writes a new line (identical turns would end as a loop). */
export function fakeModel(
  answer: (request: ModelRequest, index: number) => FakeAnswer,
  sent: Sent[],
  id = FAKE_MODEL,
): ModelDriver {
  return {
    id,
    async complete(request): Promise<ModelReply> {
      const index = sent.length;
      const chosen = answer(request, index);
      const usage = {
        prompt: chosen.prompt ?? estimateTokens(request.system, request.messages),
        output: Math.min(chosen.output ?? 0, replyBound(request)),
      };
      sent.push({ request, usage });
      if (chosen.delayMs) await new Promise((resolve) => setTimeout(resolve, chosen.delayMs));
      request.signal.throwIfAborted();
      return {
        text: chosen.text ?? `[SYS_CALL::SYS_WRITE_STDOUT] {"text":"${request.proc.name} turn ${request.proc.turn}"}`,
        usage,
      };
    },
  };
}

export interface BudgetKernel {
  kernel: Kernel;
  dir: string;
  sent: Sent[];
  close(): Promise<void>;
}

/** A kernel with these budgets (as the policy writes them) and the fake model loaded as FAKE_MODEL. */
export async function budgetKernel(
  budgets: unknown[],
  answer: (request: ModelRequest, index: number) => FakeAnswer,
  clock = new FakeClock(),
): Promise<BudgetKernel> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-budget-'));
  const cost = {
    ...NO_COST_POLICY,
    budgets: toBudgetSpecs(budgets as Parameters<typeof toBudgetSpecs>[0], 'policy.yaml'),
  };
  const kernel = await Kernel.create({
    workspace: path.join(dir, 'ws'),
    rootCapabilities: ['fs.read:/**', 'spawn'],
    cwd: dir,
    clock,
    cost,
  });
  const sent: Sent[] = [];
  await kernel.models.get(FAKE_MODEL, () => Promise.resolve(fakeModel(answer, sent)));
  return {
    kernel,
    dir,
    sent,
    async close() {
      await kernel.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Whether every one of `pids` has come to rest: ended, or paused on a spent budget (not waiting for a settle). */
export function atRest(kernel: Kernel, pids: readonly number[]): boolean {
  return pids.every((pid) => {
    const pcb = kernel.pcb(pid);
    if (!pcb) return false;
    if (pcb.state === 'exited' || pcb.state === 'killed') return true;
    return pcb.state === 'blocked' && pcb.wait?.kind === 'budget' && pcb.wait.settle !== true;
  });
}

/** Tokens every request reported: what a budget over the whole kernel must have counted. */
export function reported(sent: readonly Sent[]): number {
  return sent.reduce((n, s) => n + s.usage.prompt + s.usage.output, 0);
}
