/**
 * The commit barrier, the outermost interceptor around a call: what touches the host is committed
 * as started before it runs, so a restarted kernel never runs it again (it reports it interrupted).
 * The process waits until everything it did so far is on disk (parked `disk full` while the disk
 * refuses: kernel/proc/disk-guard.ts); killed meanwhile, or the kernel closing, the call never runs.
 */
import type { ProcCore } from '../proc/api.js';
import { GO, type CallInterceptor, type Step } from './call-chain.js';

const KILLED: Step = { refused: { ok: false, errno: 'EINTR', message: 'interrupted: the process is being killed' } };

export function commitBarrier(host: Pick<ProcCore, 'disk' | 'closing'>): CallInterceptor {
  return {
    name: 'commit-barrier',
    enter(call) {
      const { def, proc } = call;
      // Kernel state commits with its result, a read changes nothing on the host, and a resumed call was committed as started before.
      if (def.inKernel || def.readOnly || call.resumed) return GO;
      return host.disk.commit(proc).then(() => (proc.killRequested || host.closing ? KILLED : GO));
    },
  };
}
