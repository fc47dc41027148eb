/**
 * A call as a person reads it before approving it, and as every surface shows it afterwards
 * (aos approvals, approve/deny, audit, top, the web view, the MCP server): one module, so no
 * surface can drop what another shows (issue 46.6: `-o "ci.skip --dry-run"` was shown as
 * `-o ci.skip --dry-run`, a person read a dry run, approved, and the branch was pushed).
 *
 * An exec the gate stopped is shown as what will run: the program's file, its argv as a quoted
 * list (show-text.ts: each argument's boundaries and every control character visible), the
 * working directory and the environment that differs from the sandbox's (`NAME=value`, quoted).
 * Other calls show their paths and URLs quoted the same way and their content by size and a
 * preview; a call this module does not know is shown as JSON with hidden characters escaped.
 */
import { cut, escapeControl, quoteArg, quoteArgv, showJson, shownText } from './show-text.js';

export { cut, escapeControl, quoteArg, quoteArgv, showJson, shownText } from './show-text.js';

/** One part of a call: a label and its text, quoted and escaped; a list's items each as shown (argv, env). */
export interface ShownField {
  label: string;
  text: string;
  items?: string[];
}

export interface ShownCall {
  call: string;
  fields: ShownField[];
}

/** A shown call's longest line anywhere (aos approvals; --json has the rest). */
export const SHOW_MAX = 4096;
/** How much of content, a shell line's source or unknown arguments a listing previews by default. */
export const PREVIEW_CHARS = 120;

type Args = Record<string, unknown>;

const isArgs = (v: unknown): v is Args => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** How the gate found the file that runs (sys/driver-api.ts GatedExec.how), said in words. */
const HOW: Readonly<Record<string, string>> = {
  copy: 'a byte-identical copy of a system program',
  written: 'a file written in the sandbox',
  runner: 'a multi-call binary',
  loader: 'run by the dynamic loader',
};

/** `NAME=value`, quoted as a shell assignment (a name that is not one is quoted whole). */
export function quoteAssignment(name: string, value: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `${name}=${quoteArg(value)}` : quoteArg(`${name}=${value}`);
}

/** Text quoted as one argument, its first `max` characters only, with a mark when more was left out. */
function quotedPreview(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return quoteArg(text);
  return `${quoteArg(chars.slice(0, max).join(''))}…(+${chars.length - max} chars)`;
}

function bytes(text: string): string {
  const n = new TextEncoder().encode(text).length;
  return `${n.toLocaleString('en-US')} byte${n === 1 ? '' : 's'}`;
}

function listField(label: string, items: string[]): ShownField {
  return { label, text: items.length ? items.join(' ') : '(none)', items };
}

/** An environment as {NAME: value} or as `NAME=value` strings (the gate's own form), each shown; null when neither. */
function envShown(env: unknown): string[] | null {
  if (isStrings(env))
    return env.map((e) =>
      e.includes('=') ? quoteAssignment(e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)) : quoteArg(e),
    );
  if (isArgs(env))
    return Object.entries(env).map(([k, v]) =>
      quoteAssignment(k, typeof v === 'string' ? v : (JSON.stringify(v) ?? '')),
    );
  return null;
}

/** An exec the gate stopped: {cmd, program, argv, how?, cwd?, env?, truncated?}. */
function execFields(a: Args, argv: string[], preview: number): ShownField[] {
  const fields: ShownField[] = [];
  const program = str(a.program);
  const how = str(a.how);
  if (program !== undefined)
    fields.push({
      label: 'program',
      text: `${quoteArg(program)}${how && how !== 'file' ? ` (${HOW[how] ?? escapeControl(how)})` : ''}`,
    });
  const shown = listField('argv', argv.map(quoteArg));
  if (a.truncated === true) shown.text += ' …(the gate read only the first 64 KiB of argv)';
  fields.push(shown);
  const cwd = str(a.cwd);
  if (cwd !== undefined) fields.push({ label: 'cwd', text: quoteArg(cwd) });
  const env = envShown(a.env);
  if (env) fields.push(listField('env', env));
  const cmd = str(a.cmd);
  if (cmd !== undefined) fields.push({ label: 'from the line', text: quotedPreview(cmd, preview) });
  return fields;
}

function fsFields(call: string, a: Args, preview: number): ShownField[] {
  const fields: ShownField[] = [{ label: 'path', text: quoteArg(str(a.path) ?? (call === 'FS_LIST' ? '/' : '')) }];
  for (const key of ['offset', 'length'] as const)
    if (typeof a[key] === 'number') fields.push({ label: key, text: String(a[key]) });
  const content = str(a.content);
  if (content !== undefined)
    fields.push({
      label: a.append === true ? 'append' : 'content',
      text: `${bytes(content)}: ${quotedPreview(content, preview)}`,
    });
  return fields;
}

function fetchFields(a: Args): ShownField[] {
  const fields: ShownField[] = [{ label: 'GET', text: quoteArg(str(a.url) ?? '') }];
  if (isArgs(a.headers))
    fields.push(
      listField(
        'headers',
        Object.entries(a.headers).map(([k, v]) =>
          quoteArg(`${k}: ${typeof v === 'string' ? v : (JSON.stringify(v) ?? '')}`),
        ),
      ),
    );
  return fields;
}

/**
 * A call's arguments as a person reads them. `preview`: how much of content, a shell line's
 * source or unknown arguments to show (a cut always says so); what will run is never previewed.
 */
export function showCall(row: { call: string; args: unknown }, options: { preview?: number } = {}): ShownCall {
  const preview = options.preview ?? PREVIEW_CHARS;
  const a = row.args;
  const call = escapeControl(row.call);
  if (isArgs(a)) {
    if (row.call === 'EXEC_CMD' && isStrings(a.argv)) return { call, fields: execFields(a, a.argv, preview) };
    if (row.call === 'EXEC_CMD' && typeof a.cmd === 'string') {
      // A line asked about before it runs: the shell line itself, whole, as the one argument of sh -c.
      const fields: ShownField[] = [{ label: 'shell', text: quoteArg(a.cmd) }];
      if (typeof a.timeout_s === 'number') fields.push({ label: 'timeout', text: `${a.timeout_s}s` });
      return { call, fields };
    }
    if (/^FS_(WRITE|READ|LIST)$/.test(row.call) && (typeof a.path === 'string' || row.call === 'FS_LIST'))
      return { call, fields: fsFields(row.call, a, preview) };
    if (row.call === 'NET_FETCH' && typeof a.url === 'string') return { call, fields: fetchFields(a) };
  }
  return { call, fields: [{ label: 'args', text: showJson(a, preview, '--json shows all') }] };
}

/** A shown call as one line, `label text · label text`, cut with a mark (and `hint`, null: none) past `max` characters. */
export function callLine(shown: ShownCall, max = SHOW_MAX, hint: string | null = '--json shows all'): string {
  return cut(
    shown.fields.map((f) => (f.label === 'args' ? f.text : `${f.label} ${f.text}`)).join(' · '),
    max,
    hint ?? undefined,
  );
}

/** Whether the call's own fields already say all its subject says (an exec: its argv or its shell line; a path). */
function subjectShown(row: { call: string; args?: unknown; subject: string }): boolean {
  if (!isArgs(row.args)) return false;
  if (row.call === 'EXEC_CMD') return isStrings(row.args.argv) || typeof row.args.cmd === 'string';
  return row.subject === row.args.path || row.subject === row.args.url;
}

/**
 * What an approval was asked about (a path, the chat a send was found to go to at the gate), as
 * `on <subject>`: whole and quoted as one argument (its ends and controls visible), never cut with
 * the arguments, which may not say it; '' when it is only the call's name, or when the call's
 * fields show it exactly (an exec's subject is its argv joined by spaces: shown beside the quoted
 * argv it would read as another command).
 */
export function approvalAbout(row: { call: string; args?: unknown; subject?: string }): string {
  if (
    !row.subject ||
    row.subject === row.call ||
    subjectShown({ call: row.call, args: row.args, subject: row.subject })
  )
    return '';
  return `on ${quoteArg(row.subject)}`;
}

/** An approval's whole call as one line: `EXEC_CMD program /usr/bin/git · argv git push -o 'ci.skip --dry-run' …`. */
export function showApproval(
  row: { call: string; args: unknown; subject?: string },
  max = SHOW_MAX,
  preview = PREVIEW_CHARS,
): string {
  const about = approvalAbout(row);
  return `${escapeControl(row.call)} ${about ? `${about} · ` : ''}${callLine(showCall(row, { preview }), max)}`;
}

/** An audit record's subject (a command, a path, a capability): escaped, cut with a mark past `max`. */
export function auditSubject(subject: string, max = Infinity): string {
  return shownText(subject, max, '--no-trunc shows all');
}
