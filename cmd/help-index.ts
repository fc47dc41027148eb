/**
 * `aos --help` without loading every verb: the root help lists each verb by its name, arguments,
 * whether it has options and its summary — nothing else of its module. The first `aos --help` of a
 * build (the build's own, scripts/bundle-cli.mjs) loads them all and hands this index to the CLI's
 * loader (scripts/cli-loader.cjs), which keeps it beside the bundle, marked with the bundle's build
 * id as the code caches are; later ones build the same help from the index. An index that is
 * missing, stale or unreadable is only slower: every verb is loaded, as before.
 */
import type { VerbSpec } from './verb.js';

/** What the root help shows of a verb. */
export interface IndexedVerb {
  name: string;
  summary: string;
  args: Array<[string, string]>;
  /** Whether it has options (the root help says `[options]`, not which). */
  options: boolean;
}

/** The loader puts a good index here before the bundle runs; the bundle puts a fresh one here for the loader to keep. */
export const HELP_INDEX_READ = Symbol.for('aos.cli.helpIndex');
export const HELP_INDEX_MADE = Symbol.for('aos.cli.helpIndexMade');

/** argv that asks for the root help and nothing else. */
export function asksRootHelp(argv: readonly string[]): boolean {
  return argv.length === 0 || (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h'));
}

export function helpIndex(specs: readonly VerbSpec[]): IndexedVerb[] {
  return specs.map((s) => ({
    name: s.name,
    summary: s.summary,
    args: (s.args ?? []).map(([syntax, help]) => [syntax, help]),
    options: (s.options?.length ?? 0) > 0,
  }));
}

/** A verb as the root help needs it: no work, no subcommands, one option standing for its options. */
function stub(verb: IndexedVerb): VerbSpec {
  return {
    name: verb.name,
    summary: verb.summary,
    args: verb.args,
    options: verb.options ? [{ flags: '--any', help: '' }] : [],
  };
}

/** The index the loader read, as verbs for the root help; null when there is none or it is not one. */
export function indexedVerbs(index: unknown): VerbSpec[] | null {
  if (!Array.isArray(index) || index.length === 0) return null;
  const verbs: VerbSpec[] = [];
  for (const v of index as unknown[]) {
    const e = v as Partial<IndexedVerb> | null;
    const argsOk =
      Array.isArray(e?.args) &&
      e.args.every((a) => Array.isArray(a) && a.length === 2 && a.every((x) => typeof x === 'string'));
    if (typeof e?.name !== 'string' || typeof e.summary !== 'string' || typeof e.options !== 'boolean' || !argsOk)
      return null;
    verbs.push(stub(e as IndexedVerb));
  }
  return verbs;
}
