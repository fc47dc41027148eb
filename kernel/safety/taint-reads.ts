/**
 * Results that bring outside content into a context (issue 49), framed and noted as they leave the
 * call (the taint interceptor's `after`, taint.ts): a NET_FETCH body, an MCP result, a file whose
 * newest change came from a tainted process, an EXEC_CMD that could read one, thread entries from a
 * channel or from a tainted writer, memories a tainted writer stored, a tainted child's result,
 * a stored result or history hit of a tainted process, names and thread keys a tainted writer
 * chose, and an MCP server's tool list (taint-names.ts). A failure that quotes a server is framed
 * too (taint-failures.ts).
 * Only the parts that came from outside are framed; the rest of the result keeps its shape.
 */
import type { SyscallResult } from '../../sys/abi/result.js';
import type { TaintSourceKind } from '../../sys/taint.js';
import type { Call } from '../loop/call-chain.js';
import type { Proc } from '../proc/proc.js';
import { noteSource, takeOutside } from './taint-mark.js';
import { frameNames, frameThreadKeys, frameTools, type ReadsHost } from './taint-names.js';
import { plainMediaType } from './media-type.js';
import { holdsFrame } from '../../sys/outside-data.js';

export type { ReadsHost } from './taint-names.js';

type Value = Record<string, unknown>;

const isObject = (v: unknown): v is Value => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The calls whose results may hold outside content. */
export const READS: ReadonlySet<string> = new Set([
  'NET_FETCH',
  'MCP_CALL',
  'FS_READ',
  'EXEC_CMD',
  'THREAD_READ',
  'THREAD_OPEN',
  'MEM_READ',
  'WAIT',
  'SYS_RESULT_READ',
  'HISTORY_SEARCH',
  'FS_LIST',
  'THREAD_LIST',
  'MCP_LIST',
  'RECV_MSG',
  'SYS_READ_STDIN',
]);

/** The source a tainted child's result is to its parent. */
export const childResult = (pid: number): string => `process ${pid} (its result, written while tainted)`;

/**
 * `call`'s result with its outside parts framed for its process, each noted as a source of its taint;
 * `real`: where FS_READ / FS_LIST really reached (a symlinked directory resolved), the ledger's key.
 */
export function readOutside(host: ReadsHost, call: Call, result: SyscallResult, real?: string): SyscallResult {
  if (!result.ok || !isObject(result.value)) return result;
  const value = { ...result.value };
  const take = (source: TaintSourceKind, detail: string, text: string): string =>
    takeOutside(host, call.proc, source, detail, text, true);
  switch (call.def.name) {
    case 'NET_FETCH': {
      const url = typeof value.url === 'string' ? value.url : String(call.args.url);
      if (typeof value.body === 'string') value.body = take('net', url, value.body);
      else noteSource(host, call.proc, 'net', url, `(${String(value.content_type ?? 'binary')} body)`);
      frameFetchMeta(host, call, value, url);
      break;
    }
    case 'MCP_CALL':
      frameMcp(host, call, value);
      break;
    case 'FS_READ': {
      const path = real ?? (call.capability ?? '').slice('fs.read:'.length);
      const by = host.ledger.fileTaint(path);
      if (!by) return result;
      const detail = `${path} (written by process ${by.pid} while tainted)`;
      if (value.encoding === 'utf8' && typeof value.content === 'string')
        value.content = take('file', detail, value.content);
      else noteSource(host, call.proc, 'file', detail, '(binary content)');
      break;
    }
    case 'EXEC_CMD': {
      const readable = readableTainted(host, call);
      if (readable === null) return result;
      const detail = execDetail(readable);
      const out = `${String(value.stdout ?? '')}${String(value.stderr ?? '')}`;
      // A clean process was tainted as its command began (execCouldRead): one command, one source.
      if (!call.proc.taint.sources.some((s) => s.detail === detail))
        noteSource(host, call.proc, 'file', detail, out || '(no output)');
      for (const key of ['stdout', 'stderr'] as const)
        if (typeof value[key] === 'string' && value[key] !== '')
          value[key] = takeOutside(host, call.proc, 'file', detail, value[key], false);
      break;
    }
    case 'THREAD_READ':
    case 'THREAD_OPEN':
      if (!frameThread(host, call, value)) return result;
      break;
    case 'MEM_READ':
      if (!frameMemories(host, call, value)) return result;
      break;
    case 'WAIT': {
      const child = Number(value.pid);
      if (typeof value.output !== 'string' || host.ledger.writerSince(child) === null) return result;
      // Its parent was tainted as it exited (taint.ts): framed here, noted once.
      const detail = childResult(child);
      const noted = call.proc.taint.sources.some((s) => s.detail === detail);
      value.output = takeOutside(host, call.proc, 'mail', detail, value.output, !noted);
      break;
    }
    case 'SYS_RESULT_READ': {
      // A stored result holds what reached that process: a fetched page, a tool's text. The page has
      // no time, so any result of a process ever tainted is taken as outside content (the safe side).
      const pid = typeof call.args.pid === 'number' ? call.args.pid : call.proc.pid;
      if (typeof value.content !== 'string' || host.ledger.writerSince(pid) === null) return result;
      const detail = `process ${pid} (its result of turn ${String(value.turn)}, call ${String(value.seq)})`;
      value.content = take('mail', detail, value.content);
      break;
    }
    case 'HISTORY_SEARCH':
      if (!frameHits(host, call, value)) return result;
      break;
    case 'FS_LIST':
      if (!frameNames(host, call, value, real)) return result;
      break;
    case 'THREAD_LIST':
      if (!frameThreadKeys(host, call, value)) return result;
      break;
    case 'MCP_LIST':
      if (!frameTools(host, call, value)) return result;
      break;
    case 'RECV_MSG':
    case 'SYS_READ_STDIN':
      framedForIt(host, call.proc, value);
      return result;
    default:
      return result;
  }
  return { ok: true, value };
}

function frameMcp(host: ReadsHost, call: Call, value: Value): void {
  const detail = `${String(call.args.server)}/${String(call.args.tool)}`;
  const parts = Array.isArray(value.content) ? (value.content as unknown[]) : [];
  let framed = false;
  value.content = parts.map((part) => {
    if (!isObject(part) || typeof part.text !== 'string') return part;
    framed = true;
    return { ...part, text: takeOutside(host, call.proc, 'mcp', detail, part.text, true) };
  });
  if (value.structured !== undefined) {
    framed = true;
    value.structured = takeOutside(host, call.proc, 'mcp', detail, JSON.stringify(value.structured), true);
  }
  if (!framed) noteSource(host, call.proc, 'mcp', detail, '(no text)');
}

const execDetail = (path: string): string => `EXEC_CMD could read ${path}, written while tainted`;

/**
 * A clean process's EXEC_CMD whose sandbox could read a tainted file: tainted before it runs, so the
 * rollback journal marks what the command changes (a `cp` of that file out of scratch stays
 * tainted for its readers). Its output is framed after it, as any such command's is.
 */
export function execCouldRead(host: ReadsHost, call: Call): void {
  const readable = readableTainted(host, call);
  if (readable === null) return;
  const detail = execDetail(readable);
  // Asked as the command begins, and again as it ends before its changes are recorded (journal-hook.ts): one source.
  if (!call.proc.taint.sources.some((s) => s.detail === detail))
    noteSource(host, call.proc, 'file', detail, '(a command that could read it)');
}

/**
 * A tainted file the process's sandbox could read, or null: its fs.read grants, and its fs.write ones
 * (bound read-write: bwrap binds nothing write-only, drivers/exec/scoped-mounts.ts).
 */
function readableTainted(host: ReadsHost, call: Call): string | null {
  const { caps } = call.proc;
  for (const [path] of host.ledger.taintedFiles())
    if (caps.allows(`fs.read:${path}`) || caps.allows(`fs.write:${path}`)) return path;
  return null;
}

/** Entries of a channel (pid 0's messages) or of a writer tainted when it wrote them: framed. */
function frameThread(host: ReadsHost, call: Call, value: Value): boolean {
  const key = typeof value.key === 'string' ? value.key : String(call.args.key);
  return frameThreadView(host, call.proc, key, value, false);
}

/**
 * A thread's entries and summary as `proc` is shown them (a THREAD_* result, or the threads attached
 * to it in its system prompt): a channel's messages and a tainted writer's entries framed, each a
 * source of its taint — for its life when `sticky` (the system prompt never leaves its context) —
 * and the summary too once one entry was, since it was made from them. Whether any was.
 */
export function frameThreadView(host: ReadsHost, proc: Proc, key: string, value: Value, sticky: boolean): boolean {
  let any = false;
  const take = (detail: string, text: string, track: boolean) =>
    takeOutside(host, proc, 'thread', detail, text, track, { sticky });
  for (const field of ['entries', 'recent'] as const) {
    const entries = value[field];
    if (!Array.isArray(entries)) continue;
    value[field] = entries.map((entry: unknown) => {
      if (!isObject(entry) || typeof entry.text !== 'string') return entry;
      const pid = Number(entry.pid);
      const channel = pid === 0 && entry.kind === 'message';
      if (!channel && !host.ledger.writtenTainted(pid, entry.ts as string | number | undefined)) return entry;
      any = true;
      const detail = channel ? `thread ${key}, a channel message` : `thread ${key}, by process ${pid}`;
      return { ...entry, text: take(detail, entry.text, true) };
    });
  }
  // A summary of a thread that holds outside entries was made from them; one that folded some in holds them.
  const folded = host.summaryOutside?.(key) === true;
  if ((any || folded) && typeof value.summary === 'string' && value.summary !== '') {
    value.summary = take(`thread ${key}, its summary`, value.summary, !any);
    any = true;
  }
  return any;
}

function frameMemories(host: ReadsHost, call: Call, value: Value): boolean {
  if (!Array.isArray(value.hits)) return false;
  let any = false;
  value.hits = (value.hits as unknown[]).map((hit) => {
    if (!isObject(hit) || typeof hit.text !== 'string' || !isObject(hit.metadata)) return hit;
    const pid = Number(hit.metadata.pid);
    if (!host.ledger.writtenTainted(pid, hit.metadata.ts as string | undefined)) return hit;
    any = true;
    const detail = `memory ${String(hit.id)}, by process ${pid}`;
    return { ...hit, text: takeOutside(host, call.proc, 'memory', detail, hit.text, true) };
  });
  return any;
}

/** Excerpts of what a tainted process read or wrote (its results, replies, messages) or of a channel's entries. */
function frameHits(host: ReadsHost, call: Call, value: Value): boolean {
  if (!Array.isArray(value.hits)) return false;
  let any = false;
  value.hits = (value.hits as unknown[]).map((hit) => {
    if (!isObject(hit) || typeof hit.excerpt !== 'string') return hit;
    const pid = Number(hit.pid);
    const channel = hit.kind === 'thread' && pid === 0 && hit.entry_kind === 'message';
    if (!channel && !host.ledger.writtenTainted(pid, hit.ts as string | undefined)) return hit;
    any = true;
    const detail = channel
      ? `history: thread ${String(hit.thread)}, a channel message`
      : `history: ${String(hit.kind)} of process ${pid}`;
    return { ...hit, excerpt: takeOutside(host, call.proc, channel ? 'thread' : 'mail', detail, hit.excerpt, true) };
  });
  return any;
}

/**
 * A fetch's other parts the server wrote: its content type (a header any text fits in) and where it
 * sent the request on (redirects, the final url). Framed as the body is when they are more than
 * the plain thing: a frame is what a compaction withholds, and unframed words would outlive it.
 */
function frameFetchMeta(host: ReadsHost, call: Call, value: Value, url: string): void {
  const take = (text: string): string => takeOutside(host, call.proc, 'net', url, text, false);
  if (typeof value.content_type === 'string' && !plainMediaType(value.content_type))
    value.content_type = take(value.content_type);
  const asked = hrefOf(String(call.args.url));
  if (typeof value.url === 'string' && hrefOf(value.url) !== asked) value.url = take(value.url);
  if (Array.isArray(value.redirects))
    value.redirects = (value.redirects as unknown[]).map((r) =>
      typeof r === 'string' && hrefOf(r) !== asked ? take(r) : r,
    );
}

const hrefOf = (url: string): string => (URL.canParse(url) ? new URL(url).href : url);

/**
 * Mail or stdin framed for `proc` as it was delivered (a tainted sender's, a channel's) taints it
 * again as it is read: its taint, noted at the delivery, may have ended since (a compaction that
 * found no outside content left in its context while the mail still waited in its mailbox).
 */
function framedForIt(host: ReadsHost, proc: Proc, value: Value): void {
  if (proc.taint.tainted || !proc.taint.framed) return;
  const tag = proc.taint.tag;
  const items = Array.isArray(value.messages)
    ? (value.messages as unknown[]).map((m) =>
        isObject(m) ? { from: m.from_pid, text: String(m.content ?? '') } : null,
      )
    : [{ from: undefined, text: String(value.text ?? '') }];
  const held = items.find((item) => item !== null && holdsFrame(item.text, tag));
  if (!held) return;
  // Named as its delivery named it (taint.ts sendOn), its words without the frame.
  const detail = typeof held.from === 'number' ? `process ${held.from}` : 'its stdin';
  const end = held.text.lastIndexOf(`\n[END `);
  const words = held.text.slice(held.text.indexOf('\n') + 1, end > 0 ? end : undefined);
  noteSource(host, proc, 'mail', detail, words);
}
