/**
 * A graceful stop (`aos stop`): the process and its descendants are told `[EVENT::STOP]` with a
 * deadline, woken from a blocking call, and those still running at the deadline are killed
 * (docker stop's SIGTERM, then SIGKILL) — children a stopping process started in the meantime too.
 * A stop never leaves a child running under a parent it ended, as kill does not.
 */
import { AosError } from '../../sys/errno.js';
import { formatEvent } from '../context/context.js';
import { isEnded } from '../../sys/types.js';
import type { ProcCore } from './api.js';
import { requestKill } from './kill.js';
import { notify } from '../ipc/queues.js';
import type { Proc } from './proc.js';

const stoppable = (proc: Proc): boolean => !isEnded(proc.pcb.state) && !proc.killRequested;

/** Tell a live process (and, unless `tree` is false, its subtree) to exit within `seconds`; the pids told, none when it had already ended. */
export function stopProcess(k: ProcCore, pid: number, seconds: number, options: { tree?: boolean } = {}): number[] {
  const target = k.table.get(pid);
  if (!target) {
    if (k.table.endedPcb(pid)) return [];
    throw new AosError('ESRCH', `no such process ${pid}`);
  }
  if (!stoppable(target)) return [];
  const tree = options.tree !== false;
  const victims = (tree ? k.table.subtree(target) : [target]).filter(stoppable);
  for (const proc of victims) {
    const whose = proc === target ? 'You are asked to stop' : `Your ancestor ${pid} is being stopped, and you with it`;
    const text = formatEvent('STOP', {
      deadline_s: seconds,
      message: `${whose}: finish up and call SYS_EXIT within ${seconds} s, or you will be killed.`,
    });
    // A stop notice also wakes a blocking call (ipc/queues.ts notify): the process hears it now.
    notify(k.store, proc, { kind: 'stop', pid: 0, text });
  }
  const timer = setTimeout(() => {
    // The subtree as it is now: a child started during the grace is stopped with its parent.
    const now = tree ? k.table.subtree(target) : [target];
    for (const proc of now) {
      if (!stoppable(proc)) continue;
      requestKill(
        k,
        proc,
        proc === target
          ? `stopped: did not exit within ${seconds} s`
          : `stopped with its ancestor ${pid}: did not exit within ${seconds} s`,
      );
    }
  }, seconds * 1000);
  timer.unref();
  return victims.map((p) => p.pid);
}
