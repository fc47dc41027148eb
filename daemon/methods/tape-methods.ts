/** Handlers of `record` and `eval` (protocol/tape-protocol.ts); spread into methods.ts's table with one line. */
import type { KernelApi } from '../../kernel/api.js';
import type { ParsedParamsOf, ResultOf } from '../../protocol/protocol.js';
import { refuseSpawnDrift } from './spawn-drift.js';

type TapeMethod = 'record' | 'eval';
type TapeHandlers = {
  [M in TapeMethod]: (params: ParsedParamsOf<M>, ctx: { kernel: KernelApi }) => ResultOf<M> | Promise<ResultOf<M>>;
};

export const tapeHandlers: TapeHandlers = {
  record: (params, { kernel }) => kernel.admin.recordTape(params.pid, { tree: params.tree ?? true }),
  eval: async (params, { kernel }) => {
    // A model the kernel would ask with other keys or base URLs than the caller's is refused, as a spawn is.
    for (const model of params.models) refuseSpawnDrift(params.settings, model, process.pid);
    return {
      runs: await kernel.admin.evalTapes({
        tapes: params.tapes,
        models: params.models,
        ...(params.cwd === undefined ? {} : { cwd: params.cwd }),
      }),
    };
  },
};
