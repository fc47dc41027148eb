/** The handler of `fork` (protocol/fork-protocol.ts); spread into methods.ts's table with one line. */
import type { Kernel } from '../kernel/kernel.js';
import type { ParsedParamsOf, ResultOf } from '../protocol/protocol.js';

export const forkHandlers: { fork: (params: ParsedParamsOf<'fork'>, ctx: { kernel: Kernel }) => Promise<ResultOf<'fork'>> } = {
  fork: async (params, { kernel }) => {
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
