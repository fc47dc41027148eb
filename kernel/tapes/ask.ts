/**
 * One model call of an eval, as a turn makes it: under the policy's privacy rules and the kernel's
 * budgets over time (reserved before it takes a slot, settled after: cost/budget-request.ts),
 * through the kernel's model pool (a slot of the model's provider, its rate budgets, its retries),
 * the slot given back after. The call is no process's: the budgets that cover the whole kernel
 * count it, and retries are told as pid 0's. Refused by a spent budget, the run fails saying so;
 * refused only for the room requests in flight hold, it waits for them.
 */
import type { ModelDriver, ModelReply, ModelRequest } from '../../drivers/llm/types.js';
import { reserveRequest, settleRequest } from '../cost/budget-request.js';
import { BudgetSpent, type Budgets, type Grant } from '../cost/budgets.js';
import { guardRequest } from '../cost/privacy.js';
import type { PrivacyPolicy } from '../cost/privacy-spec.js';
import type { Lease, ModelPool } from '../sched/model-pool.js';
import type { AuditInput } from '../store/api.js';

export interface AskHost {
  readonly pool: Pick<ModelPool, 'admit' | 'complete' | 'release'>;
  readonly privacy?: PrivacyPolicy | null;
  readonly budgets?: Pick<Budgets, 'any' | 'reserve' | 'settle' | 'waitForRoom'> | null;
  audit?(input: AuditInput): void;
}

/** Why a run ends without its model's answer (the privacy rules, a failure after the pool's retries). */
export class EvalStop extends Error {}

/** Between two tries for a slot the pool has no room for, at most this long. */
const MAX_SLOT_WAIT_MS = 250;

export async function ask(host: AskHost, model: string, driver: ModelDriver, request: ModelRequest): Promise<ModelReply> {
  const guarded = host.privacy ? guardRequest(host.privacy, model, request, (input) => host.audit?.(input)) : null;
  if (guarded?.action === 'refuse') throw new EvalStop(guarded.reason);
  if (guarded && guarded.model !== model) {
    throw new EvalStop(`privacy: the policy sends what this tape holds to ${guarded.model} instead of ${model} (privacy.rules, route_local): evaluate it against that model`);
  }
  const sent = guarded ?? { request, restore: null };
  const grant = await reserveWaiting(host, model, sent.request);
  let usage: ModelReply['usage'];
  try {
    const lease = await admitted(host.pool, model, estimate(request), request.signal);
    let used: number | null = null;
    try {
      const answer = await host.pool.complete(driver, sent.request, lease);
      usage = answer.usage;
      used = answer.usage ? answer.usage.prompt + answer.usage.output : null;
      return sent.restore ? { ...answer, text: sent.restore(answer.text) } : answer;
    } finally {
      host.pool.release(lease, used);
    }
  } finally {
    settleRequest(host.budgets, grant, usage);
  }
}

/** The request's reservation, once the budgets have room: a spent budget refuses it (BudgetSpent), requests in flight only delay it. */
async function reserveWaiting(host: AskHost, model: string, request: ModelRequest): Promise<Grant | null> {
  for (;;) {
    try {
      return reserveRequest(host.budgets, null, model, request);
    } catch (error) {
      const budgets = host.budgets;
      if (!(error instanceof BudgetSpent) || error.waitsFor !== 'settle' || !budgets) throw error;
      request.signal.throwIfAborted();
      await new Promise<void>((resolve) => budgets.waitForRoom(error, resolve));
    }
  }
}

/** A slot of the model's lane once the pool has room (the scheduler's turns take theirs the same way). */
async function admitted(pool: AskHost['pool'], model: string, tokens: number, signal: AbortSignal): Promise<Lease> {
  for (let backoff = 10; ; backoff = Math.min(backoff * 2, MAX_SLOT_WAIT_MS)) {
    signal.throwIfAborted();
    const lease = pool.admit(model, tokens);
    if (typeof lease !== 'number') return lease;
    await new Promise((resolve) => setTimeout(resolve, Math.min(Number.isFinite(lease) ? Math.max(lease, 10) : backoff, MAX_SLOT_WAIT_MS)));
  }
}

/** Tokens the request will take, roughly (four characters a token), for the pool's per-minute budget. */
function estimate(request: ModelRequest): number {
  const chars = request.system.length + request.messages.reduce((n, m) => n + m.text.length, 0);
  return Math.ceil(chars / 4);
}
