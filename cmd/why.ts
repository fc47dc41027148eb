/**
 * `aos why <pid> <turn>` (issue 49.4): each call of one turn with its outcome and the rule that
 * decided it, and the outside content the process's context held then (protocol/why.ts composes it
 * from the process's events, audit rows and taint, which the daemon already answers).
 */
import { type WhyView, explainTurn } from '../protocol/why.js';
import { auditSubject, callLine, escapeControl, showCall, shownText } from '../protocol/show-call.js';
import { taintLines } from '../protocol/taint-show.js';
import { toInt, toPid } from './args.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import { out } from './out.js';
import type { VerbSpec } from './verb.js';

/** The view as lines: the context's outside content, then each call and its decisions. */
export function describeWhy(v: WhyView): string {
  const lines: string[] = [`pid ${v.pid}, turn ${v.turn}`];
  if (v.frames.length === 0) lines.push('context   no outside content');
  else {
    lines.push(`context   ${v.frames.length} piece${v.frames.length === 1 ? '' : 's'} of outside content:`);
    for (const f of v.frames)
      lines.push(`          ${shownText(f.source, 10)} ${shownText(f.detail, 100)} (shown at turn ${f.turn})`);
  }
  if (v.calls.length === 0) lines.push('calls     none in this turn');
  for (const c of v.calls) {
    const outcome =
      c.result === null
        ? 'no result yet'
        : c.result.ok
          ? 'ok'
          : `${c.result.errno ?? 'failed'}${c.result.message ? `: ${escapeControl(c.result.message).slice(0, 160)}` : ''}`;
    lines.push(`call ${c.seq}    ${callLine(showCall({ call: c.name, args: c.args }), 200)} → ${outcome}`);
    if (c.decisions.length === 0)
      lines.push('          decided by no rule (the capability granted it; no policy rule or taint setting applied)');
    for (const d of c.decisions) lines.push(`          ${decisionLine(d)}`);
  }
  for (const d of v.other) lines.push(`other     ${decisionLine(d)}`);
  lines.push(
    ...(v.taint
      ? [`taint     ${v.taint.tainted ? 'tainted now' : 'clean now'}`, ...taintLines(v.taint, '          ')]
      : []),
  );
  return lines.join('\n');
}

function decisionLine(d: WhyView['calls'][number]['decisions'][number]): string {
  const by = escapeControl(d.decided_by + (d.via ? ` via ${d.via}` : ''));
  const rule = d.rule ? ` by rule ${escapeControl(d.rule)}` : '';
  const about = d.subject && d.subject !== d.call ? ` on ${auditSubject(d.subject, 120)}` : '';
  const reason = d.reason ? ` — ${escapeControl(d.reason)}` : '';
  return `${d.decision}${rule}${about} [${by}, audit #${d.id}]${reason}`;
}

export async function runWhy(pidArg: string, turnArg: string, flags: { json?: boolean }): Promise<number> {
  const pid = toPid(pidArg);
  const turn = toInt(turnArg, 'turn', 0, Number.MAX_SAFE_INTEGER);
  return withKernel(
    async (client) => {
      const detail = await client.request('inspect', { pid });
      const { events } = await client.request('logs', { pid, tree: false });
      const { rows } = await client.request('audit', { pid });
      const view = explainTurn(pid, turn, events, rows, detail.taint ?? null);
      if (view.calls.length === 0 && !events.some((e) => 'turn' in e && e.turn === turn))
        throw new CliError(`process ${pid} has no turn ${turn} (its last is ${detail.row.turns})`);
      out(flags.json ? `${JSON.stringify(view)}\n` : `${describeWhy(view)}\n`);
      return EXIT.ok;
    },
    { retryIfLost: true },
  );
}

export const whyVerb: VerbSpec = {
  name: 'why',
  summary:
    "explain one turn of a process: each call's outcome, the rule that decided it, and the outside content its context held",
  args: [
    ['<pid>', 'process id (live or ended)'],
    ['<turn>', 'the turn (aos logs shows each event with its turn)'],
  ],
  options: [{ flags: '--json', help: 'print {pid, turn, frames, calls, other, taint}' }],
  help: `
For each call the turn made: its arguments, its result, and each decision the policy took on it
(the rule, whether a person or the policy decided, and — for a process with outside content in its
context — "tainted by N outside sources: …", as the audit trail recorded it then). Above them, the
outside content the model had been shown by that turn (each piece's source and where it came
from), and under them the process's taint now.

Exits 0, or 1 for an unknown pid or turn.

Examples:
  aos why 3 2
  aos why 3 2 --json | jq '.calls[].decisions'`,
  run: ({ args: [pid, turn], flags }) => runWhy(pid as string, turn as string, flags as { json?: boolean }),
};
