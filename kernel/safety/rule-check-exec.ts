/**
 * An exec rule means what its reader thinks, or it is refused (issue 46; rule-check.ts reads the
 * other kinds): a program that is a variable assignment, a shell builtin no exec ever starts, a
 * path that is relative, a glob, in the workspace, no file or not in the sandbox; a subcommand the
 * program refuses; an option's value the rule reads as a positional word. A program whose options
 * aos does not know, or named by a glob, gets a note on how its words are read.
 */
import { realpathSync, statSync } from 'node:fs';
import { filesOfProgram } from '../../drivers/exec/gate/program-files.js';
import { knowsGrammar, mayBeCommand, takesValue } from './exec-grammar.js';
import { type ExecPattern, parseExecPattern, patternWords } from './exec-pattern.js';

/** The part of a rule's reading (rule-check.ts's RuleReading) that the exec check fills. */
export interface ExecReading {
  exec?: ExecPattern;
  refuse: string[];
  notes: string[];
}

/**
 * bash runs these itself, without starting a program: no exec happens, so the exec gate never
 * sees them, and a rule on one could only ever hold on the command line's first reading.
 */
const BUILTINS = new Set(
  `. : [ alias bg bind break builtin caller cd command compgen complete compopt continue declare dirs disown echo enable eval exec exit export
false fc fg getopts hash help history jobs kill let local logout mapfile popd printf pushd pwd read readarray readonly return set shift shopt
source suspend test times trap true type typeset ulimit umask unalias unset wait [[ ]] if then else elif fi case esac for select while until do
done function time coproc { } !`.split(/\s+/),
);

/** Where the sandbox sees the host's programs (bound read-only at the same paths). */
const SANDBOX_SYSTEM = ['/usr/', '/bin/', '/sbin/', '/lib/', '/lib32/', '/lib64/', '/libx32/'];

/** Read an exec rule's pattern into `out`. */
export function checkExec(pattern: string, out: ExecReading): void {
  let read: ExecPattern;
  try {
    read = parseExecPattern(pattern);
  } catch (error) {
    out.refuse.push(`${(error as Error).message}`);
    return;
  }
  out.exec = read;
  const program = read.program;
  if (program === null) return;
  if (program.includes('='))
    out.refuse.push(
      `"${program}" is a variable assignment, not a program: name the program (exec:${pattern.replace(/^\S+\s*/, '') || '<program>'})`,
    );
  else if (program.includes('/')) checkProgramPath(program, out);
  else if (BUILTINS.has(program)) {
    out.refuse.push(
      `${program} is a bash builtin: bash runs it without starting a program, so the exec gate never sees it and no rule on it can hold`,
    );
  } else if (!/[*?]/.test(program) && filesOfProgram(program, 'R').length === 0) {
    out.notes.push(
      `no program called ${program} is installed in the directories the sandbox runs programs from (/usr/local/bin, /usr/bin, /bin, …): the rule matches nothing until it is`,
    );
  }
  valueSplit(program, pattern, out);
  const named = read.positionals.filter((p) => p !== '*');
  if (named.length > 0) {
    const name = program.slice(program.lastIndexOf('/') + 1);
    const first = named[0] as string;
    if (read.positionals[0] === first && !mayBeCommand(name, first)) {
      out.refuse.push(
        `${first} is not one of ${name}'s commands (${name} refuses to run it), so the rule could never match: name the command as ${name} spells it (${name} help)`,
      );
    } else if (/[*?]/.test(name)) {
      out.notes.push(
        `${program} names programs by a glob: their options are not known, so an option followed by a word is read both ways (its value, or an argument) and the rule may apply more often than "${named.join(' ')}" suggests`,
      );
    } else if (!knowsGrammar(name)) {
      out.notes.push(
        `aos does not know ${name}'s options: it reads "${named.join(' ')}" after them, taking an unknown option's next word both as its value and as an argument (the rule may also apply where that word was a value), and ${name}'s own aliases or abbreviations of "${named[0] ?? ''}" are not known (name each in a rule of its own, or the whole program)`,
      );
    } else if (name === 'kubectl' && named.length >= 2) {
      out.notes.push(
        `kubectl reads the resources of -f/-k (files) and --all/-l (selectors) at run time: "kubectl ${named.slice(0, 2).join(' ')}" matches commands that name the type; to hold every ${named[0] ?? ''}, write exec:kubectl ${named[0] ?? ''}`,
      );
    }
  }
}

/**
 * `exec:kubectl -n prod delete`: the program reads `prod` as -n's value, the rule as a positional
 * word (the subcommand), so it could never match `kubectl -n prod delete …`. The spelling that
 * works joins them: `-n=prod` (a short option with its value), `--namespace=prod`.
 */
function valueSplit(program: string, pattern: string, out: ExecReading): void {
  const name = program.slice(program.lastIndexOf('/') + 1);
  if (/[*?]/.test(name)) return;
  const words = patternWords(pattern);
  let positionals = 0;
  for (let i = 1; i < words.length; i++) {
    const word = words[i] as string;
    const next = words[i + 1];
    if (!(word.length > 1 && word.startsWith('-'))) {
      positionals++;
      continue;
    }
    if (
      next === undefined ||
      (next.length > 1 && next.startsWith('-')) ||
      /[*?]/.test(word) ||
      !takesValue(name, word, positionals)
    )
      continue;
    // A group (`-qo`): its last letter takes the value (`-q -o=VALUE`).
    const valued = /^-[^-]{2,}$/.test(word)
      ? [`-${word.slice(1, -1)}`, `-${word.slice(-1)}=${next}`]
      : [`${word}=${next}`];
    const joined = [...words.slice(0, i), ...valued, ...words.slice(i + 2)].map((w) =>
      /[\s"']/.test(w) ? `"${w.replace(/["\\]/g, '\\$&')}"` : w,
    );
    out.refuse.push(
      `${word} takes a value in ${name} (${word} ${next}), but the rule reads "${next}" as a positional word (a subcommand or argument), so it could never match a command giving ${word} that value: join them (exec:${joined.join(' ')})`,
    );
    return;
  }
}

function checkProgramPath(program: string, out: ExecReading): void {
  if (!program.startsWith('/')) {
    out.refuse.push(
      `the program path ${program} is relative: a rule names a program by its name (exec:${program.slice(program.lastIndexOf('/') + 1)}) or by an absolute path`,
    );
    return;
  }
  if (/[*?]/.test(program)) {
    out.refuse.push(
      `the program path ${program} holds a wildcard: name programs by a glob on their names (exec:${program.slice(program.lastIndexOf('/') + 1)}) or by one absolute path`,
    );
    return;
  }
  if (program === '/workspace' || program.startsWith('/workspace/')) {
    out.refuse.push(
      `${program} is a file in the workspace, which agents write: no rule can name it by its file (the exec gate treats a program written in the sandbox by exec.written: the strictest exec rule, by default)`,
    );
    return;
  }
  let real: string;
  try {
    real = realpathSync.native(program);
  } catch {
    out.refuse.push(
      `${program} is no file on this host: the rule could never match (name the program, exec:${program.slice(program.lastIndexOf('/') + 1)}, to match it wherever it is installed)`,
    );
    return;
  }
  const info = statSync(real);
  if (!info.isFile() || (info.mode & 0o111) === 0) {
    out.refuse.push(
      `${program} is not an executable file${real !== program ? ` (it is ${real})` : ''}: the rule could never match`,
    );
    return;
  }
  if (!SANDBOX_SYSTEM.some((dir) => real.startsWith(dir))) {
    out.refuse.push(
      `${program} (${real}) is not visible in the sandbox, which runs programs from /usr, /bin, /sbin and /lib only: the rule could never match`,
    );
  }
}
