/**
 * How a program reads its own command line, for exec rules that name a subcommand (`exec:git
 * push`, `exec:apt-get install`, `exec:kubectl delete pods`): which words are options, which
 * options take the next word as their value, and which words are the program's positional
 * arguments — its subcommand first. `apt-get -o Debug::NoLocking=1 install x` is `install x` to a
 * rule, `kubectl -n prod delete po web` is `delete pods web`, `npm publ` is `npm publish` (npm's
 * own abbreviations), `docker container remove x` is `docker rm x`.
 *
 * Safe by construction: an option aos does not know is read both ways — taking the next word as
 * its value, and not — and a rule matches if any reading matches. A word can only be hidden from
 * a rule by an option aos wrongly lists as taking a value, so the tables below list only options
 * known to take one (from each program's own documentation); forgetting one only makes a rule ask
 * or refuse more often. A subcommand a program resolves by a user's configuration (a git, gh or
 * cargo alias, an external `cargo-foo`) cannot be told: the reading is uncertain, and every rule
 * on the program applies.
 */
import { GRAMMARS, type Grammar } from './exec-grammars.js';

export interface Reading {
  /** The positional words in order: the subcommand first (options and their values left out). */
  positionals: string[];
}

export interface Readings {
  /** Every way of reading the words (at most param's cap; deduplicated). */
  readings: Reading[];
  /** What the program will do cannot be told from its words (an alias, too many readings): every rule on it applies. */
  uncertain: string | null;
}

/** The grammar of a program by its name (`pip3.11` is pip's), or undefined when aos does not know its options. */
function grammarOf(program: string): Grammar | undefined {
  const name = program.slice(program.lastIndexOf('/') + 1);
  return GRAMMARS[name] ?? GRAMMARS[name.replace(/[\d.]+$/, '')];
}

/** Whether `word` can be `program`'s subcommand: false only for a program that runs no command it does not know (npm, pip). */
export function mayBeCommand(program: string, word: string): boolean {
  const g = grammarOf(program);
  return /[*?]/.test(word) || !g?.isCommand || g.isCommand(word);
}

/** Whether aos knows how `program` reads its options and subcommands. */
export function knowsGrammar(program: string): boolean {
  return grammarOf(program) !== undefined;
}

type Takes = 'no' | 'yes' | 'both';

function resolveLong(g: Grammar | undefined, name: string): Takes {
  if (!g) return 'both';
  if (g.values.includes(name)) return 'yes';
  if (g.flags?.includes(name)) return 'no';
  if (g.abbreviates && name.length >= 3) {
    const known = [...g.values, ...(g.flags ?? [])].filter((o) => o.startsWith('--') && o.startsWith(name));
    if (known.length > 0 && known.every((o) => g.values.includes(o))) return 'yes';
    if (known.length > 0 && known.every((o) => !g.values.includes(o))) return 'no';
  }
  return 'both';
}

/** Whether an option word takes the next word as its value. */
function takes(g: Grammar | undefined, word: string): Takes {
  if (word.startsWith('--')) return word.includes('=') ? 'no' : resolveLong(g, word);
  if (word.startsWith('+')) return 'no';
  // A short cluster: `-qy` (flags), `-oValue` (a value attached), `-qo` (the last one takes the next word).
  if (!g) return 'both';
  if (g.values.includes(word) || g.flags?.includes(word)) return g.values.includes(word) ? 'yes' : 'no';
  const chars = word.slice(1);
  let unknownBefore = false;
  for (let k = 0; k < chars.length; k++) {
    const option = `-${chars[k] as string}`;
    const last = k === chars.length - 1;
    if (g.values.includes(option)) return last ? (unknownBefore ? 'both' : 'yes') : 'no';
    if (!g.flags?.includes(option)) {
      if (last) return 'both';
      unknownBefore = true;
    }
  }
  return 'no';
}

function isOption(g: Grammar | undefined, word: string): boolean {
  return (
    (word.length > 1 && word.startsWith('-')) || (Boolean(g?.plusOptions) && word.length > 1 && word.startsWith('+'))
  );
}

/** Whether `program` reads `word` as an option taking the next word as its value, after `positionalsBefore` positional words. */
export function takesValue(program: string, word: string, positionalsBefore: number): boolean {
  const g = grammarOf(program);
  const grammar = g?.globalsFirst && positionalsBefore > 0 ? undefined : g;
  return word !== '--' && isOption(g, word) && takes(grammar, word) === 'yes';
}

/**
 * Every reading of `argv` (argv[0] included) by `program`'s grammar: its positional words in order.
 * `cap` bounds the readings kept; past it the reading is uncertain.
 */
export function readArgv(program: string, argv: readonly string[], cap: number): Readings {
  const g = grammarOf(program);
  let words = argv.slice(1);
  // git's dashed form (`git-push`, the same binary) reads as `git push`.
  const self = (argv[0] ?? '').slice((argv[0] ?? '').lastIndexOf('/') + 1);
  if (g === GRAMMARS.git && self.startsWith('git-') && self !== 'git-shell') words = [self.slice(4), ...words];
  type State = { i: number; positionals: string[]; done: boolean };
  let states: State[] = [{ i: 0, positionals: [], done: false }];
  const finished = new Map<string, Reading>();
  let steps = 0;
  while (states.length > 0) {
    const next = new Map<string, State>();
    for (const s of states) {
      if (s.i >= words.length) {
        finished.set(s.positionals.join('\0'), { positionals: s.positionals });
        continue;
      }
      const word = words[s.i] as string;
      const add = (state: State): void => {
        next.set(`${state.i}\0${state.done ? 1 : 0}\0${state.positionals.join('\0')}`, state);
      };
      if (s.done || !isOption(g, word)) {
        add({ i: s.i + 1, positionals: [...s.positionals, word], done: s.done });
        continue;
      }
      if (word === '--') {
        add({ i: s.i + 1, positionals: s.positionals, done: true });
        continue;
      }
      // After a globals-first program's subcommand, its options are the subcommand's: read both ways.
      const grammar = g?.globalsFirst && s.positionals.length > 0 ? undefined : g;
      let t = takes(grammar, word);
      // An option that takes no value may still take a boolean word after it (npm's `--force true`).
      if (t === 'no' && !word.includes('=') && g?.boolValues?.test(words[s.i + 1] ?? '')) t = 'both';
      if (t !== 'yes') add({ i: s.i + 1, positionals: s.positionals, done: false });
      if (t !== 'no') add({ i: s.i + 2, positionals: s.positionals, done: false });
    }
    states = [...next.values()];
    steps++;
    if (states.length + finished.size > cap || steps > words.length + 2) {
      return {
        readings: [],
        uncertain: `${program}'s options could be read in more than ${cap} ways: every rule on it applies`,
      };
    }
  }
  const readings = [...finished.values()];
  let uncertain: string | null = null;
  if (g?.uncertain) {
    for (const r of readings) uncertain ??= g.uncertain(r.positionals);
  }
  return { readings, uncertain };
}

/** A reading's positional words in every spelling the program accepts for them (its own first). */
export function spellings(program: string, positionals: readonly string[]): string[][] {
  const g = grammarOf(program);
  const out = [[...positionals]];
  for (const spelled of g?.canon?.(positionals) ?? [])
    if (!out.some((o) => o.join('\0') === spelled.join('\0'))) out.push(spelled);
  return out;
}
