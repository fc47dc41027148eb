/**
 * The CLI's commands as commander builds them from the verb table (verb.ts, verbs.ts): each verb a
 * command, its subcommands (`kernel status`, `audit verify`, the groups to come) commands under it,
 * help, suggestions, option and argument checks commander's. Only the verb argv names is loaded on
 * a run (a verb's start-up is most of its time); help, completion and a mistyped verb load them all.
 *
 * A mistake is a UsageError (exit 1) in the contract's words: `unknown option '--modle' (did you
 * mean --model?)` and the help to read; help goes to stdout with exit 0 (stderr and exit 1 when a
 * verb with subcommands is named alone, as git does).
 */
import { Command, CommanderError, Option } from 'commander';
import { CliError } from './fail.js';
import { err, out, terminalColumns } from './out.js';
import type { VerbInput, VerbSpec } from './verb.js';

/** A usage mistake: exit 1, with where to read the usage. */
export class UsageError extends CliError {
  constructor(message: string, command: string) {
    super(`${message}\n(run "${command} --help" for usage)`);
  }
}

/** What commander's own exits mean here: help and the version are answers, not mistakes. */
const ANSWERS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/** commander's message in the contract's words: no `error:` prefix, the suggestion on the same line. */
function usageMessage(error: CommanderError): string {
  return error.message
    .replace(/^error: /, '')
    .replace(/\n\(Did you mean (.+)\?\)$/, ' (did you mean $1?)')
    .replace(/^too many arguments for '([^']+)'\. Expected 0 arguments but got \d+\.$/, "'$1' takes no arguments")
    .replace(/^option '(.+)' argument missing$/, "option '$1' needs a value")
    .replace(/^missing required argument '(.+)'$/, "missing argument '$1'");
}

/** An error raised inside a command's parse: answers pass as they are, mistakes become UsageErrors naming that command. */
function exitOf(command: string): (error: CommanderError) => never {
  return (error) => {
    if (ANSWERS.has(error.code)) throw error;
    throw new UsageError(usageMessage(error), command);
  };
}

/** The shared settings: output through out/err, errors thrown (never process.exit), help wrapped to the terminal. */
function configure(command: Command, name: string): Command {
  return command
    .exitOverride(exitOf(name))
    .configureOutput({
      writeOut: out,
      writeErr: err,
      outputError: () => undefined,
      getOutHelpWidth: () => terminalColumns(1) ?? 80,
      getErrHelpWidth: () => terminalColumns(2) ?? 80,
      // Plain help, and no process.stdout made to ask (out.ts writes to the fds).
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .showSuggestionAfterError(true)
    .helpOption('-h, --help', 'display help for command')
    .helpCommand('help [command]', 'display help for command');
}

/** Where a finished verb's exit code goes. */
export interface RunSink {
  code: number;
  /** The verb path that ran (`kernel status`). */
  ran: string | null;
}

/** One verb (and its subcommands) as a commander command; `parent` is how the user names what is above it. */
export function verbCommand(spec: VerbSpec, verbs: VerbInput['verbs'], sink: RunSink, parent = 'aos'): Command {
  const name = `${parent} ${spec.name}`;
  const command = configure(new Command(spec.name), name).description(spec.summary);
  for (const [syntax, help] of spec.args ?? []) command.argument(syntax, help);
  const repeatable: string[] = [];
  for (const o of spec.options ?? []) {
    const option = new Option(o.flags, o.help);
    if (o.repeatable) {
      option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
      repeatable.push(option.attributeName());
    } else if (o.default !== undefined) option.default(o.default);
    if (o.conflicts) option.conflicts([...o.conflicts]);
    command.addOption(option);
  }
  if (spec.help) command.addHelpText('after', spec.help.replace(/\n+$/, ''));
  // A verb's own options come before its subcommand: `audit verify --json` is verify's --json, not audit's.
  if (spec.subcommands?.length) command.enablePositionalOptions();
  for (const sub of spec.subcommands ?? []) command.addCommand(verbCommand(sub, verbs, sink, name));
  const run = spec.run;
  if (run) {
    command.action(async (...all: unknown[]) => {
      const self = all[all.length - 1] as Command;
      const flags = self.opts<VerbInput['flags']>();
      for (const key of repeatable) flags[key] ??= [];
      sink.code = await run({ args: all.slice(0, (spec.args ?? []).length) as VerbInput['args'], flags, verbs });
      sink.ran = name.replace(/^aos /, '');
    });
  }
  return command;
}

/** `aos`: the given verbs under one program, with its version and the text after its help. */
export function programCommand(
  specs: readonly VerbSpec[],
  verbs: VerbInput['verbs'],
  sink: RunSink,
  options: { version: string; after: string },
): Command {
  const program = configure(new Command('aos'), 'aos')
    .description('aos — an operating system for LLM agents')
    .version(options.version, '-V, --version', 'output the version number')
    .addHelpText('after', options.after)
    .enablePositionalOptions();
  for (const spec of specs) program.addCommand(verbCommand(spec, verbs, sink));
  return program;
}

/** Run argv against the program; the verb's exit code, 0 for help and the version, 1 for help asked by a mistake. */
export async function runProgram(program: Command, argv: readonly string[], sink: RunSink): Promise<number> {
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return sink.code;
  } catch (error) {
    if (error instanceof CommanderError && ANSWERS.has(error.code)) return error.exitCode;
    throw error;
  }
}
