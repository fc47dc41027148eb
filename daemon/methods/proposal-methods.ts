/** Handlers of the proposals' methods (protocol/proposal-protocol.ts); spread into methods.ts's table with one line. */
import type { KernelApi, Via } from '../../kernel/api.js';
import { param } from '../../sys/param.js';
import type { ParsedParamsOf, ResultOf } from '../../protocol/protocol.js';

type Ctx = { kernel: KernelApi; via: Via };

export const proposalHandlers: {
  proposals: (params: ParsedParamsOf<'proposals'>, ctx: Ctx) => Promise<ResultOf<'proposals'>>;
  undo: (params: ParsedParamsOf<'undo'>, ctx: Ctx) => Promise<ResultOf<'undo'>>;
} = {
  proposals: async (_params, { kernel }) => ({
    proposals: await kernel.safety.proposals.list(param.proposalsMaxListed),
  }),
  // `via` is the transport the request came on (methods.ts's context), never a parameter; answered once committed.
  undo: async (params, { kernel, via }) => {
    const undone = await kernel.safety.proposals.undo(params.id, via);
    await kernel.store.committed();
    return undone;
  },
};
