/** The `wait` method: a process's end, or its state when `timeout_s` passes first. */
import type { KernelApi } from '../../kernel/api.js';
import { param } from '../../sys/param.js';
import type { Pcb } from '../../sys/types.js';
import { isEnded } from '../../sys/types.js';
import type { ResultOf } from '../../protocol/protocol.js';

function answer(pcb: Pcb, timedOut: boolean): ResultOf<'wait'> {
  return {
    pid: pcb.pid,
    state: pcb.state,
    exit_code: pcb.exitCode,
    reason: pcb.exitReason,
    output: pcb.output,
    timed_out: timedOut,
  };
}

export async function waitFor(
  kernel: KernelApi,
  pid: number,
  timeoutS: number = param.mcpWaitDefaultS,
): Promise<ResultOf<'wait'>> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutS * 1000);
  });
  try {
    const ended = await Promise.race([kernel.waitExit(pid), expired]);
    if (ended) return answer(ended, false);
    const now = kernel.pcb(pid);
    return now ? answer(now, !isEnded(now.state)) : answer(await kernel.waitExit(pid), false);
  } finally {
    clearTimeout(timer);
  }
}
