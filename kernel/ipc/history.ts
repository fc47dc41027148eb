/**
 * Episodic recall (HISTORY_SEARCH): the caller's own process tree's past — its task, the replies,
 * the results, the messages — and the threads its tree used, searched by words with the full-text
 * index the web view builds (kernel/store/event-search.ts), compaction or not: the store keeps
 * every event. A hit names where it is (pid, turn, seq) and the call that reads it whole
 * (SYS_RESULT_READ, THREAD_READ). Never another tree's; and inside the tree only the past of the
 * processes whose capabilities the caller's cover (itself, its descendants, a sibling given no
 * more): what one of them saw — a file, a thread — the caller could have read itself. A narrowed
 * child never reads its parent's past. A `pid` it may not read is refused (EPERM).
 */
import type { KernelEvent } from '../../protocol/events.js';
import { parseDuration } from '../../protocol/duration.js';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import type { HistoryHit, HistorySearchRequest } from '../../syscalls/services.js';
import type { Peer } from './queues.js';
import type { KernelStore } from '../store/api.js';
import type { Threads } from './threads.js';

type HistoryHost = { readonly store: KernelStore; readonly threads: Threads };

/** Results that are themselves the past again (a search's excerpts, a page of an old result): never hits. */
const ECHOES = new Set(['HISTORY_SEARCH', 'SYS_RESULT_READ', 'THREAD_READ', 'THREAD_OPEN']);
const TYPES = ['result', 'model', 'prompt', 'message'];

const SINCE_HELP =
  'since must be a time (2026-11-20, 2026-11-20T09:00:00Z) or an age with its unit (90s, 30m, 2h, 7d, 2w)';
/** Dates as far back as a Date reaches. */
const EARLIEST = -8.64e15;

/** An ISO time or an age (`2h`, `7d`) as an ISO time; null for none. */
export function sinceIso(since: string | undefined, now = Date.now()): string | null {
  if (since === undefined) return null;
  const text = since.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) throw new AosError('EINVAL', `${SINCE_HELP}: "${text}" has no unit`);
  if (/^\d+(?:\.\d+)?\s*[smhdw]$/.test(text)) {
    const ms = now - parseDuration(text, 'since');
    // Further back than any date: everything.
    return new Date(Number.isFinite(ms) && ms > EARLIEST ? ms : EARLIEST).toISOString();
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(text))
    throw new AosError('EINVAL', `${SINCE_HELP}; got "${text.slice(0, 40)}"`);
  // A date that does not exist (2026-02-30) is not the one Date.parse rolls it over to.
  const day = text.slice(0, 10);
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const check = new Date(Date.UTC(y, m - 1, d));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d)
    throw new AosError('EINVAL', `${SINCE_HELP}: there is no day ${day}`);
  return new Date(ms).toISOString();
}

/**
 * The processes whose past `proc` may read: itself, and those of its tree whose capabilities its
 * own cover (its descendants always are: a child holds at most its parent's).
 */
export async function readablePids(host: HistoryHost, proc: Peer): Promise<number[]> {
  const verdicts = new Map<string, boolean>();
  const readable: number[] = [];
  for (const row of await host.store.processes.ofTree(proc.tree)) {
    let ok = verdicts.get(row.capabilities);
    if (ok === undefined)
      verdicts.set(row.capabilities, (ok = proc.caps.coversAll(JSON.parse(row.capabilities) as string[])));
    if (ok || row.pid === proc.pid) readable.push(row.pid);
  }
  return readable;
}

/** EPERM unless `proc` may read `pid`'s past (the caller's store writes are committed first). */
export async function checkReadable(host: HistoryHost, proc: Peer, pid: number, what: string): Promise<void> {
  if (pid === proc.pid) return;
  await host.store.flushed();
  const row = await host.store.processes.get(pid);
  if (!row || row.tree !== proc.tree)
    throw new AosError('EPERM', `process ${pid} is not in your process tree: ${what} reads only your own tree's past`);
  if (!proc.caps.coversAll(JSON.parse(row.capabilities) as string[])) {
    throw new AosError(
      'EPERM',
      `process ${pid} holds capabilities you do not: ${what} reads only the past of processes whose capabilities yours cover (yourself, your descendants)`,
    );
  }
}

export async function historySearch(
  host: HistoryHost,
  proc: Peer,
  request: HistorySearchRequest,
): Promise<{ hits: HistoryHit[]; searched: { events: boolean; threads: string[] } }> {
  const limit = Math.min(request.limit ?? param.historyHitsDefault, param.historyHitsMax);
  const since = sinceIso(request.since);
  const pid = request.pid ?? null;
  // Everything queued is committed (and below, indexed) first: a result from a moment ago is found too.
  await host.store.flushed();
  if (pid !== null) await checkReadable(host, proc, pid, 'HISTORY_SEARCH');
  const words = request.query.split(/\s+/).filter(Boolean);
  if (words.length === 0) throw new AosError('EINVAL', 'query: give the words to look for');
  // In steps of ~20 ms: a store of large events is indexed without holding the kernel's thread for long.
  await host.store.events.indexAll(param.historyIndexChunk, param.historyIndexStepMs);
  const pids = pid === null ? await readablePids(host, proc) : [pid];
  const rows = await host.store.events.searchTree(request.query, { pids, since, types: TYPES, limit: limit * 4 });
  const turn = proc.pcb.counters.turns;
  const hits: HistoryHit[] = [];
  for (const row of rows) {
    const hit = eventHit(JSON.parse(row.json) as KernelEvent, words, proc.pid, turn);
    if (hit) hits.push(hit);
  }
  // Its threads: those the processes it may read attached, opened or wrote to, that its capabilities reach.
  const keys = [...new Set((await host.threads.linksAwaited.links(pids)).map((l) => l.key))].filter((k) =>
    proc.caps.allows(`thread:${k}`),
  );
  const sinceTs = since === null ? 0 : Date.parse(since);
  for (const e of await host.threads.search(keys, request.query, { sinceTs, limit })) {
    hits.push({
      kind: 'thread',
      ts: e.ts,
      pid: e.pid,
      thread: e.key,
      seq: e.seq,
      entry_kind: e.kind,
      excerpt: excerpt(e.text, words),
      read: { THREAD_READ: { key: e.key, since: e.seq - 1, limit: 1 } },
    });
  }
  hits.sort((a, b) => (a.ts < b.ts ? 1 : a.ts > b.ts ? -1 : 0));
  return { hits: hits.slice(0, limit), searched: { events: true, threads: keys } };
}

function eventHit(event: KernelEvent, words: readonly string[], caller: number, turn: number): HistoryHit | null {
  const base = { ts: event.ts, pid: event.pid };
  switch (event.type) {
    case 'result': {
      if (ECHOES.has(event.name)) return null;
      const value = event.ok ? event.value : { errno: event.errno, message: event.message };
      const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
      const read = { turn: event.turn, seq: event.seq, ...(event.pid === caller ? {} : { pid: event.pid }) };
      return {
        kind: 'result',
        ...base,
        turn: event.turn,
        seq: event.seq,
        name: event.name,
        excerpt: excerpt(text, words),
        read: { SYS_RESULT_READ: read },
      };
    }
    case 'model':
      // The reply that made this very call names the words: not a memory.
      if (event.pid === caller && event.turn >= turn - 1) return null;
      return { kind: 'reply', ...base, turn: event.turn, excerpt: excerpt(event.text, words) };
    case 'prompt': {
      if (event.turn === 0) return { kind: 'task', ...base, turn: 0, excerpt: excerpt(event.text, words) };
      // A later prompt holds results (found as themselves), the kernel's own notes and summaries
      // (of what is found as itself), and what came between turns — a timer's prompt, a webhook
      // request, a child's exit, a message: [EVENT::…] lines, which are hits.
      const line = event.text.split('\n').find((l) => l.startsWith('[EVENT::') && holdsAWord(l, words));
      return line === undefined ? null : { kind: 'prompt', ...base, turn: event.turn, excerpt: excerpt(line, words) };
    }
    case 'message':
      return { kind: 'message', ...base, excerpt: excerpt(event.content, words) };
    default:
      return null;
  }
}

function holdsAWord(text: string, words: readonly string[]): boolean {
  const lower = text.toLowerCase();
  return words.some((w) => lower.includes(w.toLowerCase()));
}

/** The text around the first of the words found (case-insensitive), in about historyExcerptChars. */
export function excerpt(text: string, words: readonly string[]): string {
  const size = param.historyExcerptChars;
  if (text.length <= size) return text;
  const lower = text.toLowerCase();
  const at =
    words
      .map((w) => lower.indexOf(w.toLowerCase()))
      .filter((i) => i >= 0)
      .sort((a, b) => a - b)[0] ?? 0;
  const start = Math.max(0, Math.min(at - Math.floor(size / 3), text.length - size));
  return `${start > 0 ? '…' : ''}${text.slice(start, start + size)}${start + size < text.length ? '…' : ''}`;
}
