/**
 * `aos ps --format`: a Go template like docker's (`{{.Pid}}\t{{.Name}}`, `table {{.Pid}} {{.Status}}`,
 * `{{json .}}`), or a list of the table's columns (`pid,name,state`). A field is a row's key in any
 * case, with or without underscores (`.ExitCode`, `.exit_code`), or one of the table's own: `.Status`
 * (the STATE column), `.Age`, `.Time`. An unknown field is a usage error naming the known ones.
 */
import type { ProcRow } from '../protocol/views.js';
import { describeStatus } from '../protocol/status.js';
import { CliError } from './fail.js';
import { type Column, COLUMNS } from './ps-table.js';
import { displayWidth, pad } from './text-width.js';
import { formatDuration } from './top/format.js';

/** Fields that are the table's words rather than a row's keys. */
const DERIVED: Record<string, (row: ProcRow, now: number) => string> = {
  status: (r) => describeStatus(r),
  age: (r, now) =>
    r.ended_at === null
      ? formatDuration((now - r.created_at) / 1000)
      : `${formatDuration((now - r.ended_at) / 1000)} ago`,
  time: (r, now) => formatDuration(((r.ended_at ?? now) - r.created_at) / 1000),
};

const fold = (name: string): string => name.replace(/_/g, '').toLowerCase();

const ROW_KEYS: ReadonlyArray<keyof ProcRow> = [
  'pid',
  'ppid',
  'name',
  'role',
  'state',
  'model',
  'priority',
  'turns',
  'syscalls',
  'prompt_tokens',
  'output_tokens',
  'tokens',
  'cost',
  'created_at',
  'started_at',
  'ended_at',
  'age_s',
  'exit_code',
  'exit_reason',
  'wait',
];

function field(name: string): (row: ProcRow, now: number) => string {
  const want = fold(name);
  const derived = DERIVED[want];
  if (derived) return derived;
  const key = ROW_KEYS.find((k) => fold(k) === want);
  if (!key) {
    const known = [...Object.keys(DERIVED), ...ROW_KEYS].map(
      (k) => `.${k.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase())}`,
    );
    throw new CliError(`--format: no field ".${name}" (there are: ${known.join(', ')})`);
  }
  return (row) => {
    const value = row[key];
    return value === null || value === undefined ? '' : String(value);
  };
}

type Part = string | { title: string; value: (row: ProcRow, now: number) => string };

function parseTemplate(template: string): Part[] {
  const parts: Part[] = [];
  const text = template.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  let at = 0;
  for (const match of text.matchAll(/\{\{\s*(json\s+)?\.([A-Za-z_]*)\s*\}\}/g)) {
    parts.push(text.slice(at, match.index));
    at = (match.index ?? 0) + match[0].length;
    if (match[1] !== undefined) {
      const name = match[2] ?? '';
      const get = name === '' ? null : field(name);
      parts.push({
        title: name.toUpperCase() || 'ROW',
        value: (row, now) => JSON.stringify(get ? get(row, now) : row),
      });
    } else if (match[2] === '') throw new CliError('--format: "{{.}}" needs json ({{json .}}) or a field ({{.Name}})');
    else parts.push({ title: (match[2] ?? '').replace(/_/g, '').toUpperCase(), value: field(match[2] ?? '') });
  }
  const rest = text.slice(at);
  if (/\{\{/.test(rest))
    throw new CliError(
      `--format: cannot read "${rest.slice(rest.indexOf('{{'))}" (a field is {{.Name}}, the whole row {{json .}})`,
    );
  parts.push(rest);
  return parts.filter((p) => p !== '');
}

/** The template's lines; `table …` adds a header and aligns the tab-separated cells. */
function renderTemplate(template: string, rows: readonly ProcRow[], now: number): string {
  const isTable = /^table\s/.test(template);
  const parts = parseTemplate(isTable ? template.replace(/^table\s+/, '') : template);
  const line = (cell: (p: Exclude<Part, string>) => string): string =>
    parts.map((p) => (typeof p === 'string' ? p : cell(p))).join('');
  const lines = rows.map((row) => line((p) => p.value(row, now)));
  if (!isTable) return lines.map((l) => `${l}\n`).join('');
  const all = [line((p) => p.title), ...lines].map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const cells of all) cells.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, displayWidth(c))));
  return all
    .map(
      (cells) =>
        `${cells
          .map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i] as number)))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}

/** A column list's columns, by title (case as you like). */
function pickColumns(list: string): Column[] {
  return list.split(',').map((name) => {
    const want = name.trim().toUpperCase();
    const column = COLUMNS.find((c) => c.title === want);
    if (!column)
      throw new CliError(
        `--format: no column "${name.trim()}" (there are: ${COLUMNS.map((c) => c.title.toLowerCase()).join(', ')}; or a template like "{{.Pid}} {{.Name}}")`,
      );
    // Asked for by name: never dropped to fit.
    return { ...column, optional: undefined };
  });
}

/** What `--format` prints, or the columns of the table it asks for. */
export function readFormat(format: string): { columns: Column[] } | { template: string } {
  if (format.includes('{{')) {
    parseTemplate(format.replace(/^table\s+/, '')); // fails now, before the kernel is asked
    return { template: format };
  }
  return { columns: pickColumns(format) };
}

export function renderFormat(template: string, rows: readonly ProcRow[], now = Date.now()): string {
  return renderTemplate(template, rows, now);
}
