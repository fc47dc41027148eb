/**
 * `aos thread ls|show|tail|append|rm`: context threads — named records several agents share
 * (`client:acme`), with the rolling summary the kernel keeps. A person holds every thread; what
 * agents may touch is their `thread:<key-glob>` capability. Every --json prints the method's answer.
 */
import type { KernelClient } from '../client/client.js';
import type { ResultOf } from '../protocol/protocol.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import { out } from './out.js';
import { untilInterrupted } from './interrupt.js';
import { painter, useColor } from './style.js';
import { printable } from './printable.js';
import { table } from './unit-format.js';
import type { VerbSpec } from './verb.js';

type Info = ResultOf<'thread_ls'>['threads'][number];
type Entry = ResultOf<'thread_show'>['entries'][number];
type Flags = { json?: boolean; limit?: string; follow?: boolean; kind?: string; yes?: boolean };

const json = { flags: '--json', help: 'print the answer as JSON (aos schema names its shape)' };

function ago(iso: string | null, now = Date.now()): string {
  if (iso === null) return '—';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 60
    ? `${s}s ago`
    : s < 3600
      ? `${Math.floor(s / 60)}m ago`
      : s < 86_400
        ? `${Math.floor(s / 3600)}h ago`
        : `${Math.floor(s / 86_400)}d ago`;
}

export function formatThreads(threads: readonly Info[], now = Date.now()): string {
  if (threads.length === 0)
    return 'no threads (agents start one with THREAD_APPEND; a person with aos thread append <key> <text>)';
  return table(
    ['THREAD', 'ENTRIES', 'LAST', 'SUMMARY', 'CREATED BY'],
    threads.map((t) => [
      t.key,
      String(t.entries),
      ago(t.last_at, now),
      t.summary_through ? `of 1-${t.summary_through}` : '—',
      t.created_by ? `pid ${t.created_by}` : 'a person',
    ]),
  );
}

/** One entry: `#3 12:04:05 pid 7 (intake) decision  text…` — its text as written, lines indented under it. */
export function formatEntry(e: Entry, paint = painter(useColor())): string {
  const who = e.pid ? `pid ${e.pid}${e.unit ? ` (${printable(e.unit)})` : ''}` : 'a person';
  const kind =
    e.kind === 'decision' ? paint('yellow', e.kind) : e.kind === 'note' ? paint('dim', e.kind) : paint('cyan', e.kind);
  const text = printable(e.text).replace(/\r?\n/g, '\n    ');
  return `${paint('dim', `#${e.seq} ${e.ts.slice(0, 19).replace('T', ' ')}`)} ${who} ${kind}  ${text}`;
}

function formatShow(r: ResultOf<'thread_show'>): string {
  const t = r.thread;
  const lines = [
    `${t.key}: ${t.entries} entries, created ${t.created_at.slice(0, 19).replace('T', ' ')} by ${t.created_by ? `pid ${t.created_by}` : 'a person'}, last ${ago(t.last_at)}`,
  ];
  if (r.processes.length) lines.push(`used by: ${r.processes.map((p) => `${p.pid} (${p.how})`).join(', ')}`);
  lines.push(
    r.summary
      ? `summary of entries 1-${t.summary_through}:\n  ${printable(r.summary).replace(/\n/g, '\n  ')}`
      : 'summary: none yet (the kernel writes one once the entries outgrow a few thousand characters)',
  );
  if (r.entries.length < t.entries - (t.first_seq - 1) && r.entries.length > 0)
    lines.push(`the newest ${r.entries.length} entries (--limit for more):`);
  for (const e of r.entries) lines.push(formatEntry(e));
  return lines.join('\n');
}

function limitOf(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new CliError(`--limit must be a whole number from 1 to 10000 (got "${text}")`);
  return n;
}

/** The newest entries, then every new one as it is appended, until Ctrl-C (or the thread is removed). */
async function tail(client: KernelClient, key: string, limit: number, asJson: boolean): Promise<number> {
  // Subscribed first: an entry appended while the newest are read is pushed, and read once below.
  const { pushes } = await client.stream('subscribe', { topics: ['events'] });
  const print = (e: Entry): void => out(asJson ? `${JSON.stringify(e)}\n` : `${formatEntry(e)}\n`);
  return untilInterrupted(pushes, async () => {
    const first = await client.request('thread_show', { key, limit });
    for (const e of first.entries) print(e);
    let seen = first.thread.last_seq;
    for await (const push of pushes) {
      if (push.event !== 'event' || push.payload.type !== 'thread' || push.payload.key !== key) continue;
      if (push.payload.action === 'removed') {
        if (!asJson) out(`(thread ${key} was removed)\n`);
        return EXIT.ok;
      }
      if (push.payload.action !== 'appended' || (push.payload.seq ?? 0) <= seen) continue;
      for (let since: number | null = seen; since !== null;) {
        const page: ResultOf<'thread_show'> = await client.request('thread_show', { key, since, limit: 1_000 });
        for (const e of page.entries) print(e);
        seen = page.entries[page.entries.length - 1]?.seq ?? seen;
        since = page.next_since;
      }
    }
    return undefined;
  });
}

export const threadVerb: VerbSpec = {
  name: 'thread',
  summary: 'context threads: records agents share across runs (client:acme), with their summaries',
  help: `
A thread is a named, append-only record — a client, an invoice, a project — that agents write with
THREAD_APPEND and are handed with "aos spawn --attach <key>" (or a unit's attach:): a new agent
starts with the thread's summary and newest entries. Agents reach the threads their capability
thread:<key-glob> covers; you reach them all.

Examples:
  aos thread ls client:
  aos thread show client:acme --limit 50
  aos thread tail -f client:acme
  aos thread append client:acme "Dana prefers invoices on the 1st" --kind decision
  aos thread rm client:acme`,
  subcommands: [
    {
      name: 'ls',
      summary: 'every thread (whose key starts with prefix): entries, last activity, what its summary covers',
      args: [['[prefix]', 'the start of the keys, e.g. client:']],
      options: [json],
      run: ({ args: [prefix], flags }) =>
        withKernel(async (client) => {
          const r = await client.request('thread_ls', prefix ? { prefix: prefix as string } : {});
          out((flags as Flags).json ? `${JSON.stringify(r)}\n` : `${formatThreads(r.threads)}\n`);
          return EXIT.ok;
        }),
    },
    {
      name: 'show',
      summary: 'one thread: its summary, who used it, and its newest entries',
      args: [['<key>', 'the thread, e.g. client:acme']],
      options: [{ flags: '-n, --limit <n>', help: 'entries to show, the newest (default 20)' }, json],
      run: ({ args: [key], flags }) =>
        withKernel(async (client) => {
          const f = flags as Flags;
          const r = await client.request('thread_show', { key: key as string, limit: limitOf(f.limit, 20) });
          out(f.json ? `${JSON.stringify(r)}\n` : `${formatShow(r)}\n`);
          return EXIT.ok;
        }),
    },
    {
      name: 'tail',
      summary: 'the newest entries; with -f, every new one as agents append it (Ctrl-C stops)',
      args: [['<key>', 'the thread']],
      options: [
        { flags: '-f, --follow', help: 'keep printing entries as they are appended' },
        { flags: '-n, --limit <n>', help: 'entries to start with, the newest (default 10)' },
        { flags: '--json', help: 'one entry per line as JSON' },
      ],
      run: ({ args: [key], flags }) =>
        withKernel(async (client) => {
          const f = flags as Flags;
          const limit = limitOf(f.limit, 10);
          if (f.follow) return tail(client, key as string, limit, f.json ?? false);
          const r = await client.request('thread_show', { key: key as string, limit });
          for (const e of r.entries) out(f.json ? `${JSON.stringify(e)}\n` : `${formatEntry(e)}\n`);
          return EXIT.ok;
        }),
    },
    {
      name: 'append',
      summary: 'add an entry as a person (the thread is started if missing)',
      args: [
        ['<key>', 'the thread'],
        ['<text...>', 'the entry'],
      ],
      options: [{ flags: '-k, --kind <kind>', help: 'note (default), message, decision or result' }, json],
      run: ({ args: [key, text], flags }) =>
        withKernel(async (client) => {
          const f = flags as Flags;
          if (f.kind !== undefined && !['note', 'message', 'decision', 'result'].includes(f.kind))
            throw new CliError(`--kind must be note, message, decision or result (got "${f.kind}")`);
          const r = await client.request('thread_append', {
            key: key as string,
            text: (text as string[]).join(' '),
            ...(f.kind ? { kind: f.kind as Entry['kind'] } : {}),
          });
          out(f.json ? `${JSON.stringify(r)}\n` : `${r.key} #${r.seq}${r.created ? ' (new thread)' : ''}\n`);
          return EXIT.ok;
        }),
    },
    {
      name: 'rm',
      summary: 'remove a thread and all its entries (agents that were shown it keep what they saw)',
      args: [['<key>', 'the thread']],
      options: [json],
      run: ({ args: [key], flags }) =>
        withKernel(async (client) => {
          const r = await client.request('thread_rm', { key: key as string });
          out(
            (flags as Flags).json
              ? `${JSON.stringify(r)}\n`
              : `removed ${r.thread.key} (${r.thread.entries} entries)\n`,
          );
          return EXIT.ok;
        }),
    },
  ],
};
