/**
 * What the socket's live streams (streams.ts) carry from other nodes of a cluster, read from their
 * stores every clusterRequestPollMs: the events they commit, for this node's event subscribers, and
 * `logs -f` of a process another node runs. A tree adopted from a dead node arrives in its
 * adopter's store with its history renumbered: what of it was pushed already (counted per process,
 * seen-per-process.ts) is not pushed again, what was not (committed just before the node died) is,
 * in order; a remote follow finds the tree again where an adoption moved it.
 */
import type { ClusterApi } from '../kernel/api.js';
import type { KernelEvent } from '../protocol/events.js';
import type { EndPayload } from '../protocol/protocol.js';
import { param } from '../sys/param.js';
import { SeenPerProcess } from './seen-per-process.js';

/** Events of these pids after the last this poll returned, oldest first (another node's store, wherever the tree has moved). */
export type RemotePoll = (pids: readonly number[]) => Promise<Array<{ id: number; json: string }>>;

/**
 * Other nodes' events, each pushed with `push`, until `feed` is stopped or `listening` finds no
 * subscriber of events left; then `ended`.
 */
export function feedOtherNodes(
  feed: { stopped: boolean },
  remote: ClusterApi['remote'],
  listening: () => boolean,
  push: (json: string) => void,
  ended: () => void,
): void {
  const cursors = new Map<string, number>();
  const seen = new SeenPerProcess();
  void (async () => {
    while (!feed.stopped) {
      if (!listening()) break;
      const batches = await remote.eventsSince(cursors).catch(() => []);
      for (const { node, rows } of batches) {
        for (const row of rows) {
          if (feed.stopped) return;
          if (!(await seen.fresh(node, row, (pid, id) => remote.eventOrdinal(node, pid, id)).catch(() => true)))
            continue;
          push(row.json);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, param.clusterRequestPollMs).unref());
    }
    ended();
  })();
}

/**
 * `pids` (a process, or its tree when `tree`) followed through `poll` until `entry` is stopped or
 * `root` ends: each event to `log`, then the end to `end`.
 */
export function followRemote(
  entry: { stopped: boolean },
  root: number,
  pids: readonly number[],
  tree: boolean,
  poll: RemotePoll,
  log: (json: string) => void,
  end: (payload: EndPayload) => void,
): void {
  const watched = new Set(pids);
  const step = async (): Promise<void> => {
    const rows = await poll([...watched]).catch(() => []);
    for (const row of rows) {
      if (entry.stopped) return;
      const event = JSON.parse(row.json) as KernelEvent;
      if (tree && event.type === 'state' && event.from === null && event.ppid !== undefined && watched.has(event.ppid))
        watched.add(event.pid);
      log(row.json);
      if (event.pid === root && event.type === 'state' && (event.to === 'exited' || event.to === 'killed')) {
        entry.stopped = true;
        end({ pid: event.pid, code: event.code ?? null, reason: event.reason ?? null, state: event.to });
      }
    }
  };
  void (async () => {
    while (!entry.stopped) {
      await step();
      await new Promise((resolve) => setTimeout(resolve, param.clusterRequestPollMs));
    }
  })();
}
