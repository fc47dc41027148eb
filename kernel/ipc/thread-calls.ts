/**
 * The thread syscalls' work for one process (THREAD_OPEN, THREAD_APPEND, THREAD_READ,
 * THREAD_LIST): the capability for the key was checked by the dispatcher; here the thread is
 * opened, written or read, and the process is linked to it (inspect, HISTORY_SEARCH, the summary).
 */
import { AosError } from '../../sys/errno.js';
import type { ThreadEntry, ThreadListed, ThreadOpenAnswer, ThreadReadRequest } from '../../syscalls/services.js';
import type { Peer } from './queues.js';
import { sinceIso } from './history.js';
import type { Threads } from './threads.js';

export async function threadOpen(
  threads: Threads,
  proc: Peer,
  key: string,
  create: boolean,
): Promise<ThreadOpenAnswer> {
  let created = false;
  if (!threads.get(key)) {
    if (!create)
      throw new AosError(
        'ENOENT',
        `no thread "${key}" (THREAD_OPEN with "create": true starts it, as THREAD_APPEND does)`,
      );
    created = threads.create(key, proc.pid);
  }
  threads.link(key, proc.pid, 'opened');
  const view = await threads.open(key);
  return {
    key,
    created,
    entries: view.entries,
    summary: view.summary,
    summary_through: view.summary_through,
    recent: view.recent,
    last_seq: view.last_seq,
  };
}

export function threadAppend(
  threads: Threads,
  proc: Peer,
  key: string,
  text: string,
  kind: ThreadEntry['kind'] | undefined,
): { key: string; seq: number; created: boolean } {
  const { seq, created } = threads.append(key, { text, kind, pid: proc.pid, unit: proc.pcb.unit });
  return { key, seq, created };
}

export async function threadRead(
  threads: Threads,
  proc: Peer,
  request: ThreadReadRequest,
): Promise<{ key: string; entries: ThreadEntry[]; last_seq: number; next_since: number | null }> {
  const { key } = request;
  // "since": "5" is the entry seq 5, as 5 is (an age says its unit: "5m").
  const since =
    typeof request.since === 'string' && /^\d+$/.test(request.since.trim()) ? Number(request.since) : request.since;
  const window =
    typeof since === 'number'
      ? { afterSeq: since }
      : since === undefined
        ? {}
        : { sinceTs: Date.parse(sinceIso(since) ?? '') };
  threads.link(key, proc.pid, 'opened');
  const page = await threads.read(key, {
    ...window,
    ...(request.query === undefined ? {} : { query: request.query }),
    ...(request.limit === undefined ? {} : { limit: request.limit }),
  });
  // Reading on (oldest first, by seq): the next page starts after the last entry given.
  const last = page.entries[page.entries.length - 1];
  const more =
    request.query === undefined && typeof since === 'number' && last !== undefined && last.seq < page.last_seq;
  return { ...page, next_since: more ? last.seq : null };
}

/** The threads `proc` may see; each names who made it, when, so the taint interceptor frames a key a tainted writer chose. */
export function threadList(threads: Threads, proc: Peer, prefix: string): ThreadListed[] {
  return threads
    .list(prefix, (key) => proc.caps.allows(`thread:${key}`))
    .map((t) => ({
      key: t.key,
      entries: t.entries,
      last_seq: t.last_seq,
      last_at: t.last_at,
      summary_through: t.summary_through,
      created_by: t.created_by,
      created_at: t.created_at,
    }));
}
