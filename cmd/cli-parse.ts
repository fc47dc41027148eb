/**
 * Reading argv against a verb's declaration (verb.ts): node's util.parseArgs splits it into
 * tokens (short groups, `--name=value`, `--`, `--no-x`), and this checks them the way a user of
 * docker or git expects — an unknown option or verb with a did-you-mean, a missing value or
 * argument, too many arguments — each a UsageError (exit 1) that names the help to read.
 * Not commander: loading it cost ~3 ms of every verb's start, a third of the CLI's budget.
 */
import { parseArgs } from 'node:util';
import { CliError } from './fail.js';
import type { OptionSpec, VerbInput, VerbSpec } from './verb.js';

/** A usage mistake: exit 1, with where to read the usage. */
export class UsageError extends CliError {
  constructor(message: string, command: string) {
    super(`${message}\n(run "${command} --help" for usage)`);
  }
}

/** An option's flags read: `-n, --last <n>` → short n, long last, value <n>, flag key last. */
export interface OptionInfo {
  spec: OptionSpec;
  long: string;
  short?: string;
  /** The value's name (`<n>`) when it takes one. */
  value?: string;
  /** `--no-x`: a switch that turns x (on by default) off. */
  negate: boolean;
  /** The flag's key in VerbInput.flags: the long name in camelCase, without `no-`. */
  key: string;
}

const FLAGS = /^(?:-([a-zA-Z]), )?--([a-z][a-z0-9-]*)(?: (<[^>]+>|\[[^\]]+\]))?$/;

export function optionInfo(spec: OptionSpec): OptionInfo {
  const match = FLAGS.exec(spec.flags);
  if (!match) throw new Error(`cli: option flags "${spec.flags}" are not of the form "-s, --long <value>"`);
  const [, short, name = '', value] = match;
  const negate = name.startsWith('no-') && value === undefined;
  const long = negate ? name.slice(3) : name;
  return { spec, long, short, value, negate, key: long.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()) };
}

/** A positional argument's syntax read: `<pid>`, `[task]`, `<text...>`. */
export interface ArgInfo {
  name: string;
  required: boolean;
  variadic: boolean;
}

export function argInfo(syntax: string): ArgInfo {
  const match = /^([<[])([a-z][a-z0-9-]*)(\.\.\.)?[>\]]$/.exec(syntax);
  if (!match) throw new Error(`cli: argument "${syntax}" is not of the form <name>, [name] or <name...>`);
  return { name: match[2] ?? '', required: match[1] === '<', variadic: match[3] !== undefined };
}

/** Damerau-Levenshtein (optimal string alignment) distance. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    const up = d[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The closest candidates to a mistyped word (at most 3 edits, and under 60 % of the longer changed), as " (did you mean x?)". */
export function suggestion(word: string, candidates: readonly string[]): string {
  let best: string[] = [];
  let bestDistance = Infinity;
  for (const candidate of new Set(candidates)) {
    const d = distance(word, candidate);
    const length = Math.max(word.length, candidate.length);
    if (d > 3 || (length - d) / length <= 0.4) continue;
    if (d < bestDistance) [best, bestDistance] = [[candidate], d];
    else if (d === bestDistance) best.push(candidate);
  }
  return best.length ? ` (did you mean ${best.join(' or ')}?)` : '';
}

/** What argv asks of a verb: its input, or its help. */
export type Parsed = { help: true } | { help: false; input: VerbInput };

/** Read `argv` (what follows the verb's name) against `spec`; `command` is how the user named it (`aos kernel status`); `verbs` goes into the input. */
export function parseVerbArgs(spec: VerbSpec, argv: readonly string[], command: string, verbs: VerbInput['verbs']): Parsed {
  const infos = (spec.options ?? []).map(optionInfo);
  const byLong = new Map(infos.map((o) => [o.long, o]));
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = { help: { type: 'boolean', short: 'h' } };
  for (const o of infos) options[o.long] = { type: o.value === undefined ? 'boolean' : 'string', ...(o.short ? { short: o.short } : {}), ...(o.spec.repeatable ? { multiple: true } : {}) };
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, allowNegative: true, tokens: true });

  const flags: VerbInput['flags'] = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind !== 'option') continue;
    if (token.name === 'help') return { help: true };
    const info = byLong.get(token.name);
    const negated = token.rawName.startsWith('--no-');
    if (info === undefined || negated !== info.negate) {
      // The long flags are listed only for the did-you-mean of a mistake, never on a good run's path.
      const longFlags = ['--help', ...infos.map((o) => (o.negate ? `--no-${o.long}` : `--${o.long}`))];
      throw new UsageError(`unknown option '${token.rawName}'${token.rawName.startsWith('--') ? suggestion(token.rawName, longFlags) : ''}`, command);
    }
    if (info.value !== undefined) {
      if (token.value === undefined) throw new UsageError(`option '${info.spec.flags}' needs a value`, command);
      flags[info.key] = info.spec.repeatable ? [...((flags[info.key] as string[] | undefined) ?? []), token.value] : token.value;
    } else {
      if (token.value !== undefined) throw new UsageError(`option '${token.rawName}' takes no value (got "${token.value}")`, command);
      flags[info.key] = !info.negate;
    }
  }
  for (const o of infos) {
    if (flags[o.key] !== undefined) continue;
    if (o.negate) flags[o.key] = true;
    else if (o.spec.repeatable) flags[o.key] = [];
    else if (o.spec.default !== undefined) flags[o.key] = o.spec.default;
  }
  return { help: false, input: { args: takeArgs(spec, positionals, command), flags, verbs } };
}

function takeArgs(spec: VerbSpec, positionals: string[], command: string): VerbInput['args'] {
  const args: VerbInput['args'] = [];
  const declared = (spec.args ?? []).map(([syntax]) => argInfo(syntax));
  let next = 0;
  for (const arg of declared) {
    if (arg.required && next >= positionals.length) throw new UsageError(`missing argument '${arg.name}'`, command);
    if (arg.variadic) {
      args.push(positionals.slice(next));
      next = positionals.length;
    } else {
      args.push(positionals[next]);
      next += 1;
    }
  }
  if (next < positionals.length) {
    const extra = positionals.slice(next).map((p) => `"${p}"`).join(' ');
    const verb = command.replace(/^aos /, '');
    throw new UsageError(declared.length === 0 ? `'${verb}' takes no arguments (got ${extra})` : `too many arguments for '${verb}': ${extra}`, command);
  }
  return args;
}
