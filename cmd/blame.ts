/**
 * `aos blame <path> [--at WHEN]` (issue 52.4): which process and turn wrote each line of a
 * workspace file, under which decision of the policy (a rule, or a person's approval), and with
 * what outside content in its context — from the journal the kernel keeps (kernel/safety/blame.ts).
 */
import path from 'node:path';
import type { ResultOf } from '../protocol/protocol.js';
import { escapeControl } from '../protocol/show-call.js';
import { sinceToIso } from './audit.js';
import { withKernel } from './connect.js';
import { EXIT } from './fail.js';
import { out } from './out.js';
import type { VerbSpec } from './verb.js';

type View = ResultOf<'blame'>;
type Write = View['writes'][number];

function decisionText(w: Write): string {
  const d = w.decision;
  if (!d) return 'no rule (its capability granted it)';
  if (d.decision === 'approved')
    return `approved by a person${d.via ? ` via ${escapeControl(d.via)}` : ''}${d.approval ? ` (approval ${d.approval})` : ''}`;
  return d.rule ? `allowed by rule ${escapeControl(d.rule)}` : `allowed by the ${escapeControl(d.decided_by)}`;
}

function taintText(taint: unknown): string | null {
  if (taint === null || taint === undefined) return null;
  const t = taint as { count?: number; sources?: Array<{ source?: string; detail?: string }> };
  if (!Array.isArray(t.sources)) return escapeControl(JSON.stringify(taint)).slice(0, 200);
  const named = t.sources
    .slice(0, 3)
    .map((s) => `${escapeControl(String(s.source))} ${escapeControl(String(s.detail)).slice(0, 100)}`);
  return `${t.count ?? named.length} outside source${t.count === 1 ? '' : 's'}: ${named.join('; ')}`;
}

/** The file's lines, each with the write that put it there, then the writes (oldest first). */
export function describeBlame(v: View): string {
  const lines: string[] = [];
  const tag = (id: number | null): string => {
    if (id === null) return '(before the journal)';
    const w = v.writes.find((x) => x.id === id);
    return w ? `#${w.id} pid ${w.pid} turn ${w.turn}` : `#${id}`;
  };
  const head = `${escapeControl(v.path)}${v.at ? ` as it was at ${v.at}` : ''}`;
  if (!v.exists) lines.push(`${head}: absent${v.writes.length ? ' (removed by the last write)' : ''}`);
  else if (v.lines === null) lines.push(`${head}: binary or too large to show line by line`);
  else {
    lines.push(head);
    const width = Math.max(...v.lines.map((l) => tag(l.write).length), 0);
    const nWidth = String(v.lines.length).length;
    for (const l of v.lines)
      lines.push(`${tag(l.write).padEnd(width)} ${String(l.n).padStart(nWidth)}) ${escapeControl(l.text)}`);
  }
  if (v.writes.length === 0) lines.push('no process of this kernel wrote it (or its journal entries were pruned)');
  else lines.push('', 'writes (oldest first):');
  for (const w of v.writes) {
    const owned = v.lines === null ? '' : `, ${w.lines} line${w.lines === 1 ? '' : 's'} now`;
    lines.push(
      `  #${w.id}  ${w.ts}  pid ${w.pid} turn ${w.turn}  ${w.call}  ${decisionText(w)}${owned}  (aos why ${w.pid} ${w.turn})`,
    );
    const taint = taintText(w.taint);
    if (taint) lines.push(`        its context held ${taint}`);
    if (w.changed_after) lines.push('        changed outside aos after this write (before the next one, or since)');
  }
  return lines.join('\n');
}

export async function runBlame(file: string, flags: { at?: string; json?: boolean }): Promise<number> {
  const at = flags.at === undefined ? undefined : sinceToIso(flags.at);
  // A relative name is a host path from here; an absolute one is the host's inside the workspace, or as agents see it.
  const target = path.isAbsolute(file) ? file : path.resolve(file);
  return withKernel(
    async (client) => {
      const view = await client.request('blame', { path: target, at });
      out(flags.json ? `${JSON.stringify(view)}\n` : `${describeBlame(view)}\n`);
      return EXIT.ok;
    },
    { retryIfLost: true },
  );
}

export const blameVerb: VerbSpec = {
  name: 'blame',
  summary: 'who wrote a workspace file, line by line: process, turn, the rule or approval, the outside content it held',
  args: [['<path>', 'a file as agents see it (/out/report.md), or its path in the workspace on the host']],
  options: [
    { flags: '--at <when>', help: 'the file as it was then: a duration back (30m, 2h) or a time' },
    {
      flags: '--json',
      help: 'print {path, at, exists, lines: [{n, write, text}], writes: [{id, pid, turn, ts, call, decision, taint, lines, changed_after}]}',
    },
  ],
  help: `
Read from the rollback journal: every FS_WRITE, and every file an EXEC_CMD changed (unless the
policy's journal.exec is off). A line is a write's when that write added it; lines older than the
journal's first entry for the file are "(before the journal)". A rollback removes the writes it
undid, so blame then names the writes the file went back to; a forked process's writes are its own.
A change made outside aos is noted under the write it followed.

Examples:
  aos blame /out/report.md
  aos blame workspace/out/report.md --at 2h
  aos blame /src/app.ts --json | jq '.writes[] | {pid, turn, decision}'`,
  run: ({ args: [file], flags }) => runBlame(file as string, flags as { at?: string; json?: boolean }),
};
