/** `aos proposals` and `aos undo <id>`: calls a `propose` rule let run at once, and taking one back inside its window. */
import { callLine, escapeControl, showCall, shownText, SHOW_MAX } from '../protocol/show-call.js';
import type { ResultOf } from '../protocol/protocol.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import { out, terminalColumns } from './out.js';
import type { VerbSpec } from './verb.js';

type Proposal = ResultOf<'proposals'>['proposals'][number];

/** What is left of a window, or since when a proposal is settled. */
function whenText(r: Proposal, now: number): string {
  if (r.state !== 'pending') return `${r.state} ${r.decided_at ?? r.expires_at}`;
  const s = Math.max(0, Math.round((Date.parse(r.expires_at) - now) / 1000));
  const left =
    s >= 3600
      ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`
      : s >= 60
        ? `${Math.floor(s / 60)}m${s % 60}s`
        : `${s}s`;
  return `undo within ${left}`;
}

export function formatProposals(rows: readonly Proposal[], width: number, now = Date.now()): string {
  if (rows.length === 0) return 'no proposals';
  const head = ['ID', 'PID', 'NAME', 'STATE', 'WHEN', 'RULE / CALL'];
  const lines = rows.map((r) => [
    r.id,
    String(r.pid),
    shownText(r.name, 16),
    r.state,
    whenText(r, now),
    `${shownText(r.rule)}  ${callLine(showCall(r, { preview: Math.max(40, width - 80) }), SHOW_MAX)}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [fmt(head), ...lines.map(fmt)].join('\n');
}

export async function runProposals(flags: { json?: boolean }): Promise<number> {
  return withKernel(async (client) => {
    const { proposals } = await client.request('proposals', {});
    const width = terminalColumns(1) ?? 100;
    out(flags.json ? `${JSON.stringify(proposals)}\n` : `${formatProposals(proposals, width)}\n`);
    return EXIT.ok;
  });
}

export async function runUndo(idArg: string, flags: { json?: boolean }): Promise<number> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(idArg))
    throw new CliError(`a proposal id is letters and digits, as aos proposals lists them (got "${idArg}")`);
  return withKernel(async (client) => {
    const done = await client.request('undo', { id: idArg });
    out(
      flags.json
        ? `${JSON.stringify(done)}\n`
        : `undone ${done.id} (process ${done.pid}): ${done.action} ${escapeControl(done.path)}\n`,
    );
    return EXIT.ok;
  });
}

export const proposalsVerb: VerbSpec = {
  name: 'proposals',
  summary: 'list calls a propose rule let run at once, and until when each may be undone',
  options: [
    {
      flags: '--json',
      help: 'print an array of {id, pid, name, call, args, rule, subject, proposed_at, expires_at, state, decided_by, via, reason, decided_at}',
    },
  ],
  help: `
A policy rule "propose: fs.write:<pattern>" (window: 15m by default) lets the write run at once;
it stays undoable with aos undo <id> until its window has passed, then it is final. Pending
proposals come first (oldest first), then the newest undone and final ones.

Examples:
  aos proposals
  aos proposals --json | jq -r '.[] | select(.state == "pending") | .id'`,
  run: ({ flags }) => runProposals(flags as { json?: boolean }),
};

export const undoVerb: VerbSpec = {
  name: 'undo',
  summary: 'undo a proposal inside its window: the file it wrote is put back as it was',
  args: [['<id>', 'proposal id, from aos proposals']],
  options: [{ flags: '--json', help: 'print {id, pid, path, action}' }],
  help: `
Exits 1, changing nothing, when the window has passed (the proposal is final), when it was
undone already, or when the file was changed since — by a later write (undo a later proposal
of the same file first: newest first) or outside aos.

Examples:
  aos undo 3fa9c21b`,
  run: ({ args: [id], flags }) => runUndo(id as string, flags as { json?: boolean }),
};
