/** How `aos unit …` prints units, their plans and their runs (the --json twins print the results as they are). */
import type { ResultOf } from '../protocol/protocol.js';
import { pad } from './text-width.js';
import { formatAgo } from './top/format.js';

type Info = ResultOf<'unit_ls'>['units'][number];
type Run = ResultOf<'unit_runs'>['runs'][number];

/** Columns padded to their widest cell, two spaces apart; the last is not padded. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** `in 4m`, `in 45s`, `now`, `—`. */
export function until(at: number | null, now = Date.now()): string {
  if (at === null) return '—';
  const s = Math.round((at - now) / 1000);
  if (s <= 0) return 'now';
  return `in ${formatAgo(s).replace(/ ago$/, '')}`;
}

function ago(at: number, now: number): string {
  return formatAgo((now - at) / 1000);
}

/** The last firing, as a person reads it: `started 14, 3m ago`, `skipped, 1m ago`. */
export function lastRun(run: Run | null, now = Date.now()): string {
  if (run === null) return 'never';
  return `${run.outcome}${run.pid === null ? '' : ` ${run.pid}`}, ${ago(run.fired_at, now)}`;
}

export function formatUnits(units: readonly Info[], now = Date.now()): string {
  if (units.length === 0) return 'no units (add one with: aos unit add <file.yaml>)';
  const rows = units.map((u) => [
    u.name,
    u.enabled ? (u.live.length ? `running ${u.live.join(',')}` : 'enabled') : 'disabled',
    u.triggers.join('; ') || 'by hand',
    until(u.next_run, now),
    lastRun(u.last, now),
    String(u.runs),
    String(u.skips),
  ]);
  return table(['NAME', 'STATE', 'TRIGGERS', 'NEXT', 'LAST', 'RUNS', 'SKIPS'], rows);
}

export function formatRuns(runs: readonly Run[], now = Date.now()): string {
  if (runs.length === 0) return 'no runs yet';
  const rows = runs.map((r) => [
    ago(r.fired_at, now),
    r.trigger,
    r.scheduled_for === null ? '—' : new Date(r.scheduled_for).toISOString(),
    r.outcome,
    r.pid === null ? '—' : String(r.pid),
    r.reason ?? '',
  ]);
  return table(['WHEN', 'TRIGGER', 'DUE', 'OUTCOME', 'PID', 'REASON'], rows);
}

/** What adding a unit would do: its triggers, policies, and the capabilities its runs hold against the policy. */
export function formatPlan(plan: ResultOf<'unit_add'>, now = Date.now()): string {
  const u = plan.unit;
  const lines = [
    `unit ${u.name}${u.description ? ` — ${u.description}` : ''}`,
    `  triggers:  ${u.triggers.length ? u.triggers.join('; ') : 'none (runs by hand: aos unit run)'}`,
    `  next run:  ${u.next_run === null ? '—' : `${new Date(u.next_run).toISOString()} (${until(u.next_run, now)})`}`,
    `  policies:  ${plan.policies}${u.enabled ? '' : ', disabled'}`,
    `  its runs may:`,
    ...(plan.capabilities.length ? plan.capabilities.map((c) => `    ✓ ${c}`) : ['    (nothing: no capability)']),
    ...plan.beyond.map((c) => `    ✗ ${c}  (the policy's root does not hold it)`),
  ];
  return lines.join('\n');
}
