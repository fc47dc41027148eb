#!/usr/bin/env node
/** The aos CLI: reads argv against the verb table (verbs.ts), runs one verb, maps failures to the contract's exit codes. */
import { KERNEL_VERSION } from '../sys/version.js';
import { programHelp, verbHelp } from './cli-help.js';
import { parseVerbArgs, suggestion, UsageError } from './cli-parse.js';
import { loadDotEnv } from '../sys/dotenv.js';
import { EXIT, reportError } from './fail.js';
import { err, out, terminalColumns } from './out.js';
import type { VerbSpec } from './verb.js';
import { allVerbs, verbLoader, VERBS } from './verbs.js';

/** Where the CLI's loader (scripts/cli-loader.cjs) reads which verb ran, to keep its code in a code cache of its own. */
const VERB_RAN = Symbol.for('aos.cli.verb');

const AFTER_HELP = `
Exit codes: 0 success, 1 usage error or refused request, 2 kernel unreachable,
attached spawn: the process's own exit code.

Examples:
  aos spawn "task" --model replay:examples/hello-loop.yaml
  aos ps --all
  aos logs -f 1`;

const helpWidth = (): number => terminalColumns(1) ?? 80;

/** The verb path argv names (`kernel status` → [kernel, status]) and what follows it. */
async function resolveVerb(argv: readonly string[]): Promise<{ path: VerbSpec[]; rest: string[] }> {
  const [name = '', ...rest] = argv;
  const load = verbLoader(name);
  if (!load) throw new UsageError(`unknown command '${name}'${suggestion(name, Object.keys(VERBS))}`, 'aos');
  const path = [await load()];
  for (;;) {
    const subcommands = path[path.length - 1]?.subcommands ?? [];
    const sub = subcommands.find((s) => s.name === rest[0]);
    if (!sub) return { path, rest };
    path.push(sub);
    rest.shift();
  }
}

/** `aos help [verb [sub]]`: that verb's help, or the program's. */
async function printHelpFor(names: readonly string[]): Promise<number> {
  if (names.length === 0) {
    out(programHelp(await allVerbs(), helpWidth(), AFTER_HELP));
    return EXIT.ok;
  }
  const { path } = await resolveVerb(names);
  out(verbHelp(path, helpWidth()));
  return EXIT.ok;
}

async function runVerb(argv: readonly string[]): Promise<number> {
  const { path, rest } = await resolveVerb(argv);
  const spec = path[path.length - 1] as VerbSpec;
  const command = ['aos', ...path.map((s) => s.name)].join(' ');
  if (spec.subcommands?.length && rest[0] === 'help') return printHelpFor([...path.map((s) => s.name), ...rest.slice(1)]);
  if (!spec.run) {
    const first = rest.find((a) => !a.startsWith('-'));
    if (first !== undefined) throw new UsageError(`unknown command '${first}'${suggestion(first, (spec.subcommands ?? []).map((s) => s.name))}`, command);
    if (rest.includes('-h') || rest.includes('--help')) return printHelpFor(path.map((s) => s.name));
    // `aos kernel` alone: what it can do, as an error (git does the same).
    err(verbHelp(path, helpWidth()));
    return EXIT.usage;
  }
  const parsed = parseVerbArgs(spec, rest, command, allVerbs);
  if (parsed.help) {
    out(verbHelp(path, helpWidth()));
    return EXIT.ok;
  }
  const code = await spec.run(parsed.input);
  // Only a verb that ran to its end has compiled its whole path (a refusal compiles less).
  if (code === EXIT.ok) (globalThis as Record<symbol, unknown>)[VERB_RAN] = path.map((s) => s.name).join(' ');
  return code;
}

async function main(argv: readonly string[]): Promise<number> {
  const [first] = argv;
  if (first === undefined) {
    err(programHelp(await allVerbs(), helpWidth(), AFTER_HELP));
    return EXIT.usage;
  }
  if (first === '-h' || first === '--help') return printHelpFor([]);
  if (first === '-V' || first === '--version') {
    out(`${KERNEL_VERSION}\n`);
    return EXIT.ok;
  }
  if (first === 'help') return printHelpFor(argv.slice(1));
  if (first.startsWith('-')) throw new UsageError(`unknown option '${first}'${suggestion(first, ['--help', '--version'])}`, 'aos');
  return runVerb(argv);
}

loadDotEnv();
// Not a top-level await: the built CLI is a CommonJS bundle (scripts/bundle-cli.mjs).
void main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = reportError(error);
  },
);
