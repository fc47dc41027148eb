/**
 * `--help` for the program and for each verb, from the verb table (verb.ts): usage, summary,
 * arguments, options and the verb's own text, laid out as git and docker users know it, with the
 * second column wrapped to the terminal's width.
 */
import { argInfo } from './cli-parse.js';
import type { OptionSpec, VerbSpec } from './verb.js';

export const HELP_OPTION: OptionSpec = { flags: '-h, --help', help: 'display help for command' };

/** Two columns: each term padded to the widest, each description wrapped beside it. */
function columns(rows: ReadonlyArray<readonly [string, string]>, width: number): string {
  const termWidth = Math.max(...rows.map(([term]) => term.length));
  const room = Math.max(20, width - termWidth - 4);
  return rows
    .map(([term, text]) => {
      const lines = wrap(text, room);
      const first = `  ${term.padEnd(termWidth)}  ${lines[0] ?? ''}`.trimEnd();
      return [first, ...lines.slice(1).map((line) => `${' '.repeat(termWidth + 4)}${line}`)].join('\n');
    })
    .join('\n');
}

/** Words re-flowed into lines of at most `width` characters (a longer word stands alone). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines;
}

function usageArgs(spec: VerbSpec): string {
  return (spec.args ?? []).map(([syntax]) => syntax).join(' ');
}

/** The help of the verb at the end of `path` (e.g. [kernel, status]). */
export function verbHelp(path: readonly VerbSpec[], width: number): string {
  const spec = path[path.length - 1];
  if (spec === undefined) throw new Error('cli: no verb to describe');
  const name = ['aos', ...path.map((s) => s.name)].join(' ');
  const subcommands = spec.subcommands ?? [];
  const usage = [name, '[options]', subcommands.length ? '[command]' : '', usageArgs(spec)].filter(Boolean).join(' ');
  const parts = [`Usage: ${usage}`, wrap(spec.summary, width).join('\n')];
  if (spec.args?.length) {
    parts.push(`Arguments:\n${columns(spec.args.map(([syntax, help]) => [argInfo(syntax).name, help] as const), width)}`);
  }
  const options = [...(spec.options ?? []), HELP_OPTION].map((o) => {
    return [o.flags, o.default !== undefined ? `${o.help} (default: ${JSON.stringify(o.default)})` : o.help] as const;
  });
  parts.push(`Options:\n${columns(options, width)}`);
  if (subcommands.length) {
    const rows = subcommands.map((s) => [[s.name, s.options?.length ? '[options]' : '', usageArgs(s)].filter(Boolean).join(' '), s.summary] as const);
    parts.push(`Commands:\n${columns([...rows, ['help [command]', 'display help for command']], width)}`);
  }
  return `${parts.join('\n\n')}\n${spec.help ?? ''}\n`.replace(/\n+$/, '\n');
}

/** `aos --help`: every verb, one line each. */
export function programHelp(verbs: readonly VerbSpec[], width: number, after: string): string {
  const options = columns(
    [
      ['-V, --version', 'output the version number'],
      [HELP_OPTION.flags, HELP_OPTION.help],
    ],
    width,
  );
  const rows = verbs.map((s) => [[s.name, s.options?.length ? '[options]' : '', s.subcommands?.length ? '[command]' : '', usageArgs(s)].filter(Boolean).join(' '), s.summary] as const);
  const commands = columns([...rows, ['help [command]', 'display help for command']], width);
  return `Usage: aos [options] [command]\n\naos — an operating system for LLM agents\n\nOptions:\n${options}\n\nCommands:\n${commands}\n${after}\n`;
}
