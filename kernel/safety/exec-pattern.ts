/**
 * What an `exec:` rule says, and what it matches (docs/policy.md, "What an exec rule matches"):
 *
 *   exec:PROGRAM [WORD…]
 *
 * - PROGRAM names a program by its files (the gate compares the file the kernel executed): a name
 *   (`rm`: every file called rm in the system directories), a glob on names (`python3*`), an
 *   absolute path (`/bin/rm`: that file, whatever it is called or linked as), or `*` for any.
 * - A WORD that starts with `-` is an option: the command must carry it somewhere (`--force`
 *   also as `--force=…` or a unique abbreviation, `-rf` as `-r -f` in any grouping).
 * - Any other WORD is positional: the command's positional arguments (its subcommand first,
 *   options and their values left out, as the program itself reads them: exec-grammar.ts) must
 *   begin with these, each a glob on one argument (`push*`); `*` alone stands for any run of them.
 * - Arguments past what the rule names are allowed: `exec:rm` is rm with any arguments, and
 *   `exec:git push` is every push. Quotes group words: `exec:git commit -m "wip"`.
 */
import { readArgv, spellings } from './exec-grammar.js';

export interface ExecPattern {
  /** A name, a glob on names, or an absolute path; null: any program (`*`). */
  program: string | null;
  /** Positional words in order: globs on one argument, `*` for any run of arguments. */
  positionals: string[];
  /** Option words the command must carry, anywhere. */
  options: string[];
}

/** The words of a pattern: split on blanks, `'…'` and `"…"` (with `\"`, `\\`) grouping. */
export function patternWords(text: string): string[] {
  const out: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t') {
      if (word !== null) out.push(word);
      word = null;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) throw new Error('an unterminated quote');
      word = (word ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let inner = '';
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && (text[j + 1] === '"' || text[j + 1] === '\\')) j++;
        inner += text[j] as string;
      }
      if (j >= text.length) throw new Error('an unterminated quote');
      word = (word ?? '') + inner;
      i = j;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== null) out.push(word);
  return out;
}

/** The pattern after `exec:`; throws with the reason when it cannot be read. */
export function parseExecPattern(text: string): ExecPattern {
  if (/[\0\n\r]/.test(text)) throw new Error('a pattern may not hold a NUL or a line break');
  const words = patternWords(text);
  const [program, ...rest] = words;
  if (program === undefined || program === '') throw new Error('no program');
  const positionals: string[] = [];
  const options: string[] = [];
  for (const word of rest) {
    if (word === '') throw new Error('an empty argument ("") matches nothing a rule can mean');
    if (word.length > 1 && word.startsWith('-')) options.push(word);
    else positionals.push(word);
  }
  return { program: /^\*+$/.test(program) ? null : program, positionals, options };
}

/** A glob on one word: `*` any run of characters, `?` one; everything else is itself. */
export function wordGlob(glob: string): RegExp {
  const source = glob
    .replace(/[.+^${}()|[\]\\/]/g, '\\$&')
    .replace(/\*/g, '[\\s\\S]*')
    .replace(/\?/g, '[\\s\\S]');
  return new RegExp(`^${source}$`);
}

const globCache = new Map<string, RegExp>();
function globOf(glob: string): RegExp {
  let re = globCache.get(glob);
  if (!re) {
    if (globCache.size > 4096) globCache.clear();
    re = wordGlob(glob);
    globCache.set(glob, re);
  }
  return re;
}

const hasWildcard = (word: string): boolean => /[*?]/.test(word);

/** Whether the positional words begin with the pattern's (`*`: any run, zero included). */
function beginsWith(pattern: readonly string[], words: readonly string[], p = 0, w = 0): boolean {
  if (p === pattern.length) return true;
  const glob = pattern[p] as string;
  if (glob === '*') {
    for (let k = w; k <= words.length; k++) if (beginsWith(pattern, words, p + 1, k)) return true;
    return false;
  }
  if (w >= words.length) return false;
  return globOf(glob).test(words[w] as string) && beginsWith(pattern, words, p + 1, w + 1);
}

/** The pattern's positional words in the program's spellings too (`npm i` is `npm install`; `docker rm*` is `docker container rm*`). */
function patternSpellings(program: string, positionals: readonly string[]): string[][] {
  const out = spellings(program, positionals);
  const first = positionals[0];
  // `push*`: people add the star for "and its arguments"; spell the word before it as the program would.
  if (first !== undefined && /^[^*?]+\*$/.test(first)) {
    for (const spelled of spellings(program, [first.slice(0, -1), ...positionals.slice(1)])) {
      const moved = spelled.map((w, i) => (i === spelled.length - positionals.length ? `${w}*` : w));
      if (spelled.length >= positionals.length && !out.some((o) => o.join('\0') === moved.join('\0'))) out.push(moved);
    }
  }
  return out;
}

/** Whether one option word of a rule is among the command's words. */
function carries(option: string, words: readonly string[]): boolean {
  if (hasWildcard(option)) return words.some((w) => globOf(option).test(w));
  if (option.startsWith('--')) {
    const eq = option.indexOf('=');
    const name = eq === -1 ? option : option.slice(0, eq);
    const value = eq === -1 ? null : option.slice(eq + 1);
    return words.some((w, i) => {
      if (!w.startsWith('--')) return false;
      const weq = w.indexOf('=');
      const wname = weq === -1 ? w : w.slice(0, weq);
      // A unique prefix is the option to programs that abbreviate (git, optparse, getopt_long).
      if (!(wname === name || (wname.length >= 3 && name.startsWith(wname)))) return false;
      if (value === null) return true;
      return weq === -1 ? words[i + 1] === value : w.slice(weq + 1) === value;
    });
  }
  // A short option with its value (`-n=prod`): `-n prod`, `-nprod`, `-n=prod`, or last in a group (`-An prod`).
  const valued = /^-([^-=])=([\s\S]*)$/.exec(option);
  if (valued) {
    const [, letter, value] = valued as unknown as [string, string, string];
    return words.some((w, i) => {
      if (!/^-[^-]/.test(w)) return false;
      for (let k = w.indexOf(letter, 1); k !== -1; k = w.indexOf(letter, k + 1)) {
        const rest = w.slice(k + 1);
        if (rest === value || rest === `=${value}` || (rest === '' && words[i + 1] === value)) return true;
      }
      return false;
    });
  }
  // Short options in any grouping: `-rf` is `-r` and `-f`, in `-fr`, `-r -f`, `-vfr`.
  const letters = [...option.slice(1)];
  return letters.every((l) => words.some((w) => /^-[^-]/.test(w) && w.slice(1).includes(l)));
}

export interface ArgvMatch {
  matched: boolean;
  /** Set when the command's words cannot be read for this program (an alias, too many readings): the rule applied whatever its words. */
  uncertain?: string;
}

/**
 * Whether a command (the program's name for its grammar, the argv it receives) meets the pattern's
 * words. The program itself is compared by the caller (by file at the gate, by name on the line).
 */
export function matchArgv(pattern: ExecPattern, program: string, argv: readonly string[], cap: number): ArgvMatch {
  const words = argv.slice(1);
  if (!pattern.options.every((o) => carries(o, words))) return { matched: false };
  if (pattern.positionals.length === 0 || pattern.positionals.every((p) => p === '*')) return { matched: true };
  const { readings, uncertain } = readArgv(program, argv, cap);
  if (uncertain !== null) return { matched: true, uncertain };
  const wanted = patternSpellings(program, pattern.positionals);
  for (const reading of readings) {
    for (const spelled of spellings(program, reading.positionals)) {
      if (wanted.some((w) => beginsWith(w, spelled))) return { matched: true };
    }
  }
  return { matched: false };
}

/** The program part as a glob on names (a path is compared whole). */
export function programGlob(program: string): RegExp {
  return globOf(program);
}
