/**
 * A graceful stop (`aos stop`): the process is told `[EVENT::STOP]` with a deadline, woken from a
 * blocking call, and killed if it has not exited by then (docker stop's SIGTERM, then SIGKILL).
 */
import { AosError } from '../../sys/errno.js';
import { formatEvent } from '../context/context.js';
import { isEnded } from '../../sys/types.js';
import type { ProcCore } from './api.js';
import { requestKill } from './kill.js';
import { notify } from './lifecycle.js';

/** Tell a live process to exit within `seconds`; returns false when it had already ended. */
export function stopProcess(k: ProcCore, pid: number, seconds: number): boolean {
  const proc = k.table.get(pid);
  if (!proc) {
    if (k.table.endedPcb(pid)) return false;
    throw new AosError('ESRCH', `no such process ${pid}`);
  }
  if (isEnded(proc.pcb.state) || proc.killRequested) return false;
  const text = formatEvent('STOP', { deadline_s: seconds, message: `You are asked to stop: finish up and call SYS_EXIT within ${seconds} s, or you will be killed.` });
  // A stop notice also wakes a blocking call (lifecycle.ts notify): the process hears it now.
  notify(k, proc, { kind: 'stop', pid: 0, text });
  const timer = setTimeout(() => {
    if (!isEnded(proc.pcb.state) && !proc.killRequested) requestKill(k, proc, `stopped: did not exit within ${seconds} s`);
  }, seconds * 1000);
  timer.unref();
  return true;
}
