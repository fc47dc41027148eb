/**
 * What a listing shows that someone outside the operator chose (issue 49): the name of a file or
 * directory a tainted writer made (FS_LIST), the key of a thread a tainted writer made (THREAD_LIST),
 * and an MCP server's tools (MCP_LIST): their descriptions and input schemas are the server's words,
 * which it may change while it runs, so they are outside content whoever lists them. Each is framed
 * as the content would be, and taints the lister; the rest of the listing keeps its shape.
 */
import type { Call } from '../loop/call-chain.js';
import type { FileTaint } from './taint-ledger.js';
import { takeOutside } from './taint-mark.js';
import type { TaintLedger } from './taint-ledger.js';
import type { MarkHost } from './taint-mark.js';

/** What the taint reads see of the kernel (taint-reads.ts, and the names framed here). */
export interface ReadsHost extends MarkHost {
  readonly ledger: TaintLedger;
  /** Whether a thread's summary folded in outside content, its entries since gone from view (threads.ts). */
  summaryOutside?(key: string): boolean;
}

type Value = Record<string, unknown>;

const isObject = (v: unknown): v is Value => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Names a tainted writer chose (a file it made, or a directory holding one): framed, as its content would be. */
export function frameNames(host: ReadsHost, call: Call, value: Value, real: string | undefined): boolean {
  if (!Array.isArray(value.entries)) return false;
  const dir = (real ?? (call.capability ?? '').slice('fs.read:'.length)).replace(/\/+$/, '');
  let any = false;
  value.entries = (value.entries as unknown[]).map((entry) => {
    if (!isObject(entry) || typeof entry.name !== 'string') return entry;
    const full = `${dir}/${entry.name}`;
    const by = host.ledger.fileTaint(full) ?? under(host, `${full}/`);
    if (!by) return entry;
    any = true;
    const detail = `${full} (named by process ${by.pid} while tainted)`;
    return { ...entry, name: takeOutside(host, call.proc, 'file', detail, entry.name, true) };
  });
  return any;
}

function under(host: ReadsHost, prefix: string): FileTaint | undefined {
  for (const [path, taint] of host.ledger.taintedFiles()) if (path.startsWith(prefix)) return taint;
  return undefined;
}

/**
 * Keys of threads a writer made once it was tainted (THREAD_LIST names each thread's maker and
 * when): framed, as a file name such a writer chose is. The detail names the maker, not the key,
 * since a detail outlives a compaction that withholds the frame.
 */
export function frameThreadKeys(host: ReadsHost, call: Call, value: Value): boolean {
  if (!Array.isArray(value.threads)) return false;
  let any = false;
  value.threads = (value.threads as unknown[]).map((thread) => {
    if (!isObject(thread) || typeof thread.key !== 'string') return thread;
    const pid = Number(thread.created_by);
    if (!host.ledger.writtenTainted(pid, thread.created_at as string | undefined)) return thread;
    any = true;
    const detail = `a thread key made by process ${pid} while tainted`;
    return { ...thread, key: takeOutside(host, call.proc, 'thread', detail, thread.key, true) };
  });
  return any;
}

/**
 * An MCP server's tools as MCP_LIST shows them: each description, and each input schema (its
 * properties' descriptions, patterns and enums are the server's words too) as framed JSON text, as
 * MCP_CALL's structured result is. One source per server; names stay bare, since MCP_CALL is
 * written with them and the system prompt's tool list shows them already.
 */
export function frameTools(host: ReadsHost, call: Call, value: Value): boolean {
  if (!Array.isArray(value.tools)) return false;
  const noted = new Set<string>();
  value.tools = (value.tools as unknown[]).map((tool) => {
    if (!isObject(tool)) return tool;
    const server = String(tool.server);
    const take = (text: string): string => {
      const track = !noted.has(server);
      noted.add(server);
      return takeOutside(host, call.proc, 'mcp', `${server} (its tool list)`, text, track);
    };
    const shown: Value = { ...tool, description: take(typeof tool.description === 'string' ? tool.description : '') };
    if (tool.input_schema !== undefined) shown.input_schema = take(JSON.stringify(tool.input_schema));
    return shown;
  });
  return noted.size > 0;
}
