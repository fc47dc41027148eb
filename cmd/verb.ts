/**
 * What a verb module exports: its declaration (what `aos <verb> --help` shows, what argv may hold)
 * and its work. cmd/verbs.ts lists them; cmd/cli-program.ts makes each a commander command, which
 * reads argv against it and writes its help.
 */

/**
 * An option as `aos <verb> --help` shows it: `-n, --last <n>` takes a value, `-a, --all` is a
 * switch, `--no-trunc` turns `trunc` (on by default) off. Its flag is the long name in camelCase
 * (`--max-turns` → maxTurns).
 */
export interface OptionSpec {
  flags: string;
  help: string;
  /** The value when the option is absent (an option that takes a value). */
  default?: string;
  /** May be given more than once: its values collect into an array (absent: []). */
  repeatable?: boolean;
  /** Options (their flag keys, e.g. `follow`) it cannot be given with: a usage error names both. */
  conflicts?: readonly string[];
}

/** What the parse hands a verb's work: its arguments in declared order, and its flags. */
export interface VerbInput {
  /** A string (undefined when optional and absent), or string[] for a variadic `<name...>`. */
  args: Array<string | string[] | undefined>;
  flags: Record<string, string | boolean | string[] | undefined>;
  /** Every verb's declaration, for a verb that describes the others (completion). */
  verbs: () => Promise<VerbSpec[]>;
}

export interface VerbSpec {
  name: string;
  summary: string;
  /** Positional arguments, `[syntax, help]`: `<pid>` required, `[pid]` optional, `<text...>` one or more. */
  args?: ReadonlyArray<readonly [string, string]>;
  options?: readonly OptionSpec[];
  /** Text after the options in the verb's help: what it prints, exit codes, examples. */
  help?: string;
  /** The work, to an exit code. A verb with subcommands and no work of its own prints its help. */
  run?: (input: VerbInput) => Promise<number>;
  subcommands?: readonly VerbSpec[];
}
