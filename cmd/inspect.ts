/** `aos inspect <pid>`: one process in full (docker inspect's habit), as `key  value` lines or JSON. */
import type { ProcDetail } from '../protocol/detail.js';
import { toPid } from './args.js';
import { withKernel } from './connect.js';
import { EXIT } from './fail.js';
import { formatCost, formatCount, formatDuration, modelOfRow } from './top/format.js';
import { isLadder, rungsOf } from '../sys/ladder.js';
import { out } from './out.js';
import { taintLines } from '../protocol/taint-show.js';
import type { VerbSpec } from './verb.js';

function when(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString();
}

function limit(value: number | null, show: (n: number) => string = String): string {
  return value === null ? 'none' : show(value);
}

export function describeDetail(d: ProcDetail, now = Date.now()): string {
  const r = d.row;
  const l = d.limits;
  const rows: Array<[string, string]> = [
    ['pid', `${r.pid}${r.ppid ? ` (parent ${r.ppid})` : ' (root)'}`],
    ['name', r.name],
    ['status', d.status + (r.exit_reason && r.exit_reason !== r.state ? ` — ${r.exit_reason}` : '')],
    [
      'model',
      isLadder(r.model)
        ? `ladder ${rungsOf(r.model).join(' → ')}${r.model_mix ? `; turns ${modelOfRow(r)}` : ''}`
        : r.model,
    ],
    ['role', r.role],
    ['task', d.task.replace(/\s+/g, ' ').trim() || '-'],
    ['priority', String(r.priority)],
    ['caps', d.capabilities.join(' ') || 'none'],
    ...(d.workdir && d.workdir !== '/' ? [['workdir', d.workdir] as [string, string]] : []),
    [
      'used',
      `${formatCount(r.turns)} turns, ${formatCount(r.syscalls)} syscalls, ${formatCount(r.prompt_tokens)} prompt (${formatCount(d.cached_tokens ?? 0)} from cache) + ${formatCount(r.output_tokens)} output tokens, ${formatCost(r.cost)}`,
    ],
    [
      'limits',
      `${l.max_turns} turns, tokens ${limit(l.max_tokens, formatCount)}, cost ${limit(l.max_cost, formatCost)}, time ${limit(l.max_wall_s, formatDuration)}, context ${formatCount(l.context_tokens)}`,
    ],
    ['children', d.children.map((c) => `${c.pid} ${c.name} (${c.status})`).join(', ') || 'none'],
    ...(d.threads?.length
      ? [['threads', d.threads.map((t) => `${t.key} (${t.how.join(', ')})`).join(', ')] as [string, string]]
      : []),
    [
      'fan-out',
      `${d.live_descendants ?? 0} live descendants${l.max_live_descendants === null || l.max_live_descendants === undefined ? '' : ` of at most ${l.max_live_descendants}`}; at most ${l.max_children ?? 64} live children`,
    ],
    ['created', when(r.created_at)],
    ['started', when(r.started_at)],
    ['ended', r.ended_at === null ? '-' : `${when(r.ended_at)} (${formatDuration((now - r.ended_at) / 1000)} ago)`],
    ['run time', formatDuration(((r.ended_at ?? now) - r.created_at) / 1000)],
  ];
  const taint = d.taint
    ? [`taint     ${d.taint.tainted ? 'tainted' : 'clean'}`, ...taintLines(d.taint, '          ')]
    : [];
  return [...rows.map(([k, v]) => `${k.padEnd(9)} ${v}`), ...taint].join('\n');
}

export async function runInspect(pidArg: string, flags: { json?: boolean }): Promise<number> {
  const pid = toPid(pidArg);
  return withKernel(
    async (client) => {
      const detail = await client.request('inspect', { pid });
      out(flags.json ? `${JSON.stringify(detail)}\n` : `${describeDetail(detail)}\n`);
      return EXIT.ok;
    },
    { retryIfLost: true },
  );
}

export const inspectVerb: VerbSpec = {
  name: 'inspect',
  summary: 'show one process in full: task, model, capabilities, budgets and use, parent and children, state and why',
  args: [['<pid>', 'process id (live or ended)']],
  options: [{ flags: '--json', help: 'print {row, status, task, capabilities, workdir, limits, children, threads}' }],
  help: `
Exits 0, or 1 for an unknown pid.

Examples:
  aos inspect 3
  aos inspect 3 --json | jq .capabilities`,
  run: ({ args: [pid], flags }) => runInspect(pid as string, flags as { json?: boolean }),
};
