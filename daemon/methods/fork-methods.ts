/** The handler of `fork` (protocol/fork-protocol.ts); spread into methods.ts's table with one line. */
import type { KernelApi } from '../../kernel/api.js';
import type { ParsedParamsOf, ResultOf } from '../../protocol/protocol.js';
import { refuseSpawnDrift } from './spawn-drift.js';

export const forkHandlers: {
  fork: (params: ParsedParamsOf<'fork'>, ctx: { kernel: KernelApi }) => Promise<ResultOf<'fork'>>;
} = {
  fork: async (params, { kernel }) => {
    // The origin's whole context goes to the model: with the caller's settings or not at all.
    const origin = await kernel.store.processes.get(params.pid);
    if (origin) refuseSpawnDrift(params.settings, params.model ?? origin.model, process.pid);
    const answer = await kernel.fork({
      pid: params.pid,
      turn: params.turn,
      ...(params.model === undefined ? {} : { model: params.model }),
      ...(params.append === undefined ? {} : { append: params.append }),
      ...(params.cwd === undefined ? {} : { cwd: params.cwd }),
    });
    // Answered once the new process and the files put back are durable.
    await kernel.store.committed();
    return { pid: answer.pcb.pid, from: answer.from, turn: answer.turn, model: answer.pcb.model, files: answer.files };
  },
};
