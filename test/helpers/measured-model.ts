/** A harness's replay model, wrapped so a test sees every request the model receives. */
import { loadTape, replayTape } from '../../drivers/llm/replay.js';
import type { ModelDriver, ModelRequest } from '../../drivers/llm/types.js';
import { estimateTokens } from '../../kernel/context/context-budget.js';
import { param } from '../../sys/param.js';
import type { Harness } from './kernel-harness.js';

export interface Measured {
  request: ModelRequest;
  /** The kernel's estimate of the whole request: system prompt + messages. */
  tokens: number;
}

/** Call before spawning: the harness's model name then loads this driver (with `contextWindow` when given). */
export async function measureRequests(h: Harness, options: { contextWindow?: number } = {}): Promise<Measured[]> {
  const model = `replay:${h.tape}`;
  const replay = replayTape(await loadTape(h.tape, { maxBytes: param.replayMaxTapeBytes }), model);
  const seen: Measured[] = [];
  const measured: ModelDriver = {
    id: replay.id,
    ...(options.contextWindow === undefined ? {} : { contextWindow: options.contextWindow }),
    complete(request) {
      seen.push({ request, tokens: estimateTokens(request.system, request.messages) });
      return replay.complete(request);
    },
  };
  await h.kernel.models.get(model, () => Promise.resolve(measured));
  return seen;
}
