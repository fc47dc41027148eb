/** How `aos unit …` prints units, their plans and their runs (the --json twins print the results as they are). */
import type { ResultOf } from '../protocol/protocol.js';
import { UNIT_FAILING_SCAN } from '../protocol/unit-results.js';
import { pad } from './text-width.js';
import { formatAgo } from './top/format.js';

type Info = ResultOf<'unit_ls'>['units'][number];
type Run = ResultOf<'unit_runs'>['runs'][number];

/** Columns padded to their widest cell, two spaces apart; the last is not padded. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
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

/** How a firing came out: its run's end once it ended (`exited 1`, `killed 137`), else its outcome (`started`, `skipped`). */
export function runOutcome(run: Run): string {
  if (run.end === null) return run.outcome;
  return `${run.end.state}${run.end.code === null ? '' : ` ${run.end.code}`}`;
}

/** Why its run ended, when the reason says more than its code (`model error: …`, not `exited with code 1`). */
export function endReason(run: Run): string {
  const reason = run.end?.reason ?? '';
  return /^exited with code -?\d+$/.test(reason) ? '' : reason;
}

/** The last firing, as a person reads it: `exited 1 (pid 14), 3m ago`, `started 15, 2s ago`, `skipped, 1m ago`. */
export function lastRun(run: Run | null, now = Date.now()): string {
  if (run === null) return 'never';
  const pid = run.pid === null ? '' : run.end === null ? ` ${run.pid}` : ` (pid ${run.pid})`;
  return `${runOutcome(run)}${pid}, ${ago(run.fired_at, now)}`;
}

/** Its state, and a mark when its newest firings failed in a row (a run that exited 1 is no success). */
function unitState(u: Info): string {
  const state = u.enabled ? (u.live.length ? `running ${u.live.join(',')}` : 'enabled') : 'disabled';
  return u.failing === 0 ? state : `${state}, ${u.failing}${u.failing >= UNIT_FAILING_SCAN ? '+' : ''} failed in a row`;
}

export function formatUnits(units: readonly Info[], now = Date.now()): string {
  if (units.length === 0) return 'no units (add one with: aos unit add <file.yaml>)';
  const rows = units.map((u) => [
    u.name,
    unitState(u),
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
    runOutcome(r),
    r.pid === null ? '—' : String(r.pid),
    r.reason ?? endReason(r),
  ]);
  return table(['WHEN', 'TRIGGER', 'DUE', 'OUTCOME', 'PID', 'REASON'], rows);
}

/** The policy lines a server the unit declares needs, when the kernel does not run it as declared. */
function mcpAdvice(plan: ResultOf<'unit_add'>): string[] {
  if (!plan.mcp_to_add) return [];
  return [
    '',
    'The kernel does not run the MCP servers it declares as declared. A unit never brings its own:',
    'add these lines to the policy, then aos kernel restart:',
    plan.mcp_to_add.trimEnd(),
  ];
}

/** What adding a unit would do: its triggers, policies, the capabilities its runs hold against the policy, its MCP servers. */
function planLines(plan: ResultOf<'unit_add'>, now: number): string[] {
  const u = plan.unit;
  return [
    `unit ${u.name}${u.description ? ` — ${u.description}` : ''}`,
    `  triggers:  ${u.triggers.length ? u.triggers.join('; ') : 'none (runs by hand: aos unit run)'}`,
    `  next run:  ${u.next_run === null ? '—' : `${new Date(u.next_run).toISOString()} (${until(u.next_run, now)})`}`,
    `  policies:  ${plan.policies}${u.enabled ? '' : ', disabled'}`,
    `  its runs may:`,
    ...(plan.capabilities.length ? plan.capabilities.map((c) => `    ✓ ${c}`) : ['    (nothing: no capability)']),
    ...plan.beyond.map((c) => `    ✗ ${c}  (the policy's root does not hold it)`),
    ...(plan.mcp.length ? ['  MCP servers it declares:'] : []),
    ...plan.mcp.map(
      (m) =>
        `    ${m.status === 'declared' ? '✓' : '✗'} ${m.server}: ${m.summary}${m.status === 'declared' ? '' : m.status === 'missing' ? '  (the policy runs no such server)' : '  (the policy runs it otherwise)'}`,
    ),
  ];
}

export function formatPlan(plan: ResultOf<'unit_add'>, now = Date.now()): string {
  return [...planLines(plan, now), ...mcpAdvice(plan)].join('\n');
}

/** What installing a package would do: the unit's plan, where its files go, and the policy lines any server it lacks needs. */
export function formatInstall(result: ResultOf<'unit_install'>, now = Date.now()): string {
  const bytes = result.files.reduce((sum, f) => sum + f.bytes, 0);
  return [
    ...planLines(result.plan, now),
    `  files:     ${result.files.length} (${bytes} bytes), kept in ${result.dir}`,
    ...result.files.slice(0, 20).map((f) => `    ${f.path}  ${f.bytes} B`),
    ...(result.files.length > 20 ? [`    … and ${result.files.length - 20} more`] : []),
    ...mcpAdvice(result.plan),
  ].join('\n');
}
