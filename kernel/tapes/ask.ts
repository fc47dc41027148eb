/**
 * One model call of an eval, as a turn makes it: through the kernel's model chain
 * (loop/model-chain.ts: the policy's privacy rules, the budgets over time — reserved before it
 * takes a slot, settled after), then through the kernel's model pool (a slot of the model's
 * provider, its rate budgets, its retries), the slot given back after. The call is no process's:
 * the budgets that cover the whole kernel count it, and retries are told as pid 0's. Refused by a
 * spent budget, the run fails saying so; refused only for the room requests in flight hold, it
 * waits for them (loop/budget-guard.ts).
 */
import type { ModelDriver, ModelReply, ModelRequest } from '../../drivers/llm/types.js';
import type { ModelCall, ModelChain, SendModel } from '../loop/model-chain.js';
import { PrivacyRefusal } from '../loop/privacy-guard.js';
import type { Lease, ModelPool } from '../sched/model-pool.js';

export interface AskHost {
  readonly pool: Pick<ModelPool, 'admit' | 'complete' | 'release'>;
  /** The kernel's (a bare host without one, a test's, sends straight to the pool). */
  readonly modelChain?: Pick<ModelChain, 'send'>;
}

/** Why a run ends without its model's answer (the privacy rules, a failure after the pool's retries). */
export class EvalStop extends Error {}

/** Between two tries for a slot the pool has no room for, at most this long. */
const MAX_SLOT_WAIT_MS = 250;

export async function ask(
  host: AskHost,
  model: string,
  driver: ModelDriver,
  request: ModelRequest,
): Promise<ModelReply> {
  const send: SendModel = async (sent) => {
    const lease = await admitted(host.pool, model, estimate(request), request.signal);
    let used: number | null = null;
    try {
      const answer = await host.pool.complete(sent.driver, sent.request, lease);
      used = answer.usage ? answer.usage.prompt + answer.usage.output : null;
      return answer;
    } finally {
      host.pool.release(lease, used);
    }
  };
  const call: ModelCall = { purpose: 'eval', payer: null, model, driver, request };
  try {
    return host.modelChain ? (await host.modelChain.send(call, send)).reply : await send(call);
  } catch (error) {
    if (!(error instanceof PrivacyRefusal)) throw error;
    if (error.localModel === null) throw new EvalStop(error.reason);
    throw new EvalStop(
      `privacy: the policy sends what this tape holds to ${error.localModel} instead of ${model} (privacy.rules, route_local): evaluate it against that model`,
    );
  }
}

/** A slot of the model's lane once the pool has room (the scheduler's turns take theirs the same way). */
async function admitted(pool: AskHost['pool'], model: string, tokens: number, signal: AbortSignal): Promise<Lease> {
  for (let backoff = 10; ; backoff = Math.min(backoff * 2, MAX_SLOT_WAIT_MS)) {
    signal.throwIfAborted();
    const lease = pool.admit(model, tokens);
    if (typeof lease !== 'number') return lease;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(Number.isFinite(lease) ? Math.max(lease, 10) : backoff, MAX_SLOT_WAIT_MS)),
    );
  }
}

/** Tokens the request will take, roughly (four characters a token), for the pool's per-minute budget. */
function estimate(request: ModelRequest): number {
  const chars = request.system.length + request.messages.reduce((n, m) => n + m.text.length, 0);
  return Math.ceil(chars / 4);
}
