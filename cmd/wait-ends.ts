/** Waiting over the socket until processes have ended (`aos stop`, `aos wait`): the kernel's `wait`, asked again while it times out. */
import type { KernelClient } from '../client/client.js';
import type { ResultOf } from '../protocol/protocol.js';

export type Ended = ResultOf<'wait'>;

/** One request waits at most this long; a longer wait asks again (no request is held open for hours). */
const SLICE_S = 3600;

/** The process's end (waits as long as it takes, or until `deadline` in ms since the epoch, then its state as it is). */
export async function waitEnd(client: KernelClient, pid: number, deadline?: number): Promise<Ended> {
  for (;;) {
    const left = deadline === undefined ? SLICE_S : Math.max(0, Math.min(SLICE_S, (deadline - Date.now()) / 1000));
    const answer = await client.request('wait', { pid, timeout_s: left });
    if (!answer.timed_out || (deadline !== undefined && Date.now() >= deadline)) return answer;
  }
}
