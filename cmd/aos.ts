#!/usr/bin/env node
/** The aos CLI: builds the commands argv needs from the verb table (verbs.ts, cli-program.ts), runs one verb, maps failures to the contract's exit codes. */
import { KERNEL_VERSION } from '../sys/version.js';
import { programCommand, type RunSink, runProgram } from './cli-program.js';
import { loadDotEnv } from '../sys/host/dotenv.js';
import { EXIT, reportError } from './fail.js';
import { asksRootHelp, HELP_INDEX_MADE, HELP_INDEX_READ, helpIndex, indexedVerbs } from './help-index.js';
import type { VerbSpec } from './verb.js';
import { allVerbs, verbLoader } from './verbs.js';

/** Where the CLI's loader (scripts/cli-loader.cjs) reads which verb ran, to keep its code in a code cache of its own. */
const VERB_RAN = Symbol.for('aos.cli.verb');

const AFTER_HELP = `
Exit codes: 0 success, 1 usage error or refused request, 2 kernel unreachable,
attached spawn: the process's own exit code.

Examples:
  aos spawn "task" --model replay:examples/hello-loop.yaml
  aos ps --all
  aos logs -f 1`;

/**
 * The verbs argv needs built: the one it names, else (help, a mistake) every one; none for the
 * version. The root help from the loader's index when it has one (help-index.ts), else from every
 * verb, and the index made for the loader to keep.
 */
async function verbsFor(argv: readonly string[]): Promise<VerbSpec[]> {
  const [first] = argv;
  if (first === '-V' || first === '--version') return [];
  const load = first === undefined ? undefined : verbLoader(first);
  if (load) return [await load()];
  const global = globalThis as Record<symbol, unknown>;
  const rootHelp = asksRootHelp(argv);
  const indexed = rootHelp ? indexedVerbs(global[HELP_INDEX_READ]) : null;
  if (indexed) return indexed;
  const verbs = await allVerbs();
  if (rootHelp) global[HELP_INDEX_MADE] = helpIndex(verbs);
  return verbs;
}

async function main(argv: readonly string[]): Promise<number> {
  const sink: RunSink = { code: EXIT.ok, ran: null };
  const program = programCommand(await verbsFor(argv), allVerbs, sink, { version: KERNEL_VERSION, after: AFTER_HELP });
  const code = await runProgram(program, argv, sink);
  // Only a verb that ran to its end has compiled its whole path (a refusal compiles less).
  if (code === EXIT.ok && sink.ran !== null) (globalThis as Record<symbol, unknown>)[VERB_RAN] = sink.ran;
  return code;
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
