/** `aos approvals`, `aos approve <id>`, `aos deny <id> [--reason …]`: the person in the loop. */
import {
  approvalAbout,
  callLine,
  escapeControl,
  showApproval,
  showCall,
  shownText,
  SHOW_MAX,
} from '../protocol/show-call.js';
import type { ResultOf } from '../protocol/protocol.js';
import { taintLines } from '../protocol/taint-show.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import { out, terminalColumns } from './out.js';
import type { VerbSpec } from './verb.js';

type Approval = ResultOf<'approvals'>['approvals'][number];

function untilText(iso: string): string {
  const s = Math.max(0, Math.round((Date.parse(iso) - Date.now()) / 1000));
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${s % 60}s`
      : `${s}s`;
}

/**
 * The rule, then what it was asked about and the call as it will run (protocol/show-call.ts): an
 * exec's program, argv quoted (each argument's ends and controls visible), cwd and environment,
 * shown whole; content and unknown arguments previewed to the width, a cut always marked.
 */
function ruleAndCall(r: Approval, width: number): string {
  const about = approvalAbout(r);
  return `${shownText(r.rule)}  ${about ? `${about}  ` : ''}${callLine(showCall(r, { preview: Math.max(40, width - 76) }), SHOW_MAX)}`;
}

export function formatApprovals(rows: readonly Approval[], width: number): string {
  if (rows.length === 0) return 'no pending approvals';
  const head = ['ID', 'PID', 'NAME', 'CALL', 'SAME', 'EXPIRES', 'RULE / CALL'];
  // SAME: how many pending requests are this very call from the same tree (aos approve --group answers them all).
  const lines = rows.map((r) => [
    r.id,
    String(r.pid),
    shownText(r.name, 16),
    escapeControl(r.call),
    r.group_size > 1 ? `×${r.group_size}` : '',
    untilText(r.expires_at),
    ruleAndCall(r, width),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  // A request of a process that holds outside content: where it came from, under the request.
  return [fmt(head), ...lines.flatMap((l, i) => [fmt(l), ...taintLines(rows[i]?.taint, '    ', width)])].join('\n');
}

export async function runApprovals(flags: { json?: boolean }): Promise<number> {
  return withKernel(async (client) => {
    const { approvals } = await client.request('approvals', {});
    const width = terminalColumns(1) ?? 100;
    out(flags.json ? `${JSON.stringify(approvals)}\n` : `${formatApprovals(approvals, width)}\n`);
    return EXIT.ok;
  });
}

function checkId(id: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id))
    throw new CliError(`an approval id is letters and digits, as aos approvals lists them (got "${id}")`);
  return id;
}

type AnswerFlags = { reason?: string; json?: boolean; group?: boolean };

export async function runAnswer(verb: 'approve' | 'deny', idArg: string, flags: AnswerFlags): Promise<number> {
  const id = checkId(idArg);
  return withKernel(async (client) => {
    // What is pending now: the call each answer is about is printed with it (and, with --group, the others
    // of its group as listed now — every one is printed below; one that joins later is not answered).
    const mine = flags.json === true && flags.group !== true ? [] : (await client.request('approvals', {})).approvals;
    const group = flags.group === true ? mine.find((r) => r.id === id)?.group : undefined;
    const also =
      group === undefined ? undefined : mine.filter((r) => r.group === group && r.id !== id).map((r) => r.id);
    const done =
      verb === 'approve'
        ? await client.request('approve', { id, also })
        : await client.request('deny', { id, reason: flags.reason, also });
    const word = verb === 'approve' ? 'approved' : 'denied';
    const line = (a: { id: string; pid: number }): string => {
      const row = mine.find((r) => r.id === a.id);
      return `${word} ${a.id} (process ${a.pid})${row ? `: ${showApproval(row)}` : ''}\n`;
    };
    out(flags.json ? `${JSON.stringify(done)}\n` : [done, ...(done.also ?? [])].map(line).join(''));
    return EXIT.ok;
  });
}

export const approvalsVerb: VerbSpec = {
  name: 'approvals',
  summary: 'list calls waiting for a person (policy rules that ask)',
  options: [
    {
      flags: '--json',
      help: 'print an array of {id, pid, name, call, args, rule, subject, requested_at, expires_at, group, group_size}',
    },
  ],
  help: `
Answer with aos approve <id> or aos deny <id> --reason "…"; unanswered requests are denied after the policy's approvals.timeout_s.
SAME ×N: N pending requests are the same call (name and arguments) from the same process tree;
aos approve <id> --group answers those listed at that moment (each printed, each on the audit
trail on its own); one that joins the group later waits for its own answer.
An exec the gate stopped shows its program, argv, cwd and env as a shell reads them: an argument
bare, 'quoted' or $'…' (controls as \\e \\n \\xHH \\uHHHH); a cut ends in …(+N chars).

Examples:
  aos approvals
  aos approvals --json | jq -r '.[].id'`,
  run: ({ flags }) => runApprovals(flags as { json?: boolean }),
};

export const approveVerb: VerbSpec = {
  name: 'approve',
  summary: 'approve a pending request: the parked call runs',
  args: [['<id>', 'request id, from aos approvals']],
  options: [
    { flags: '--group', help: 'also approve every pending request of its group (the same call from the same tree)' },
    { flags: '--json', help: 'print {"id","pid"} (with --group, "also": the rest of the group)' },
  ],
  help: `
Exits 1 when no such request is pending (answered, expired, or its process ended).

Examples:
  aos approve 3fa9c21b
  aos approve 3fa9c21b --group      # and the 11 identical requests beside it`,
  run: ({ args: [id], flags }) => runAnswer('approve', id as string, flags as AnswerFlags),
};

export const denyVerb: VerbSpec = {
  name: 'deny',
  summary: 'deny a pending request: the call fails with EACCES and your reason',
  args: [['<id>', 'request id, from aos approvals']],
  options: [
    { flags: '--reason <text>', help: 'told to the model with the refusal' },
    { flags: '--group', help: 'also deny every pending request of its group (the same call from the same tree)' },
    { flags: '--json', help: 'print {"id","pid"} (with --group, "also": the rest of the group)' },
  ],
  help: `
Examples:
  aos deny 3fa9c21b --reason "no pushes to main"
  aos deny 3fa9c21b --group --reason "not this week"`,
  run: ({ args: [id], flags }) => runAnswer('deny', id as string, flags as AnswerFlags),
};
