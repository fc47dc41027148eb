/**
 * The commands an EXEC_CMD line really runs, as the first check sees them: `rm -rf x`, not
 * `FOO=1 sudo /bin/rm -rf x`. Wrappers (env, nice, timeout, xargs, find -exec, ...) are peeled by
 * their own option tables (wrapper-options.ts), `sh -c`/`bash -c` and `eval` are parsed again, and
 * a command name only known when it runs makes the line unknowable. This is a first check only,
 * for an early answer: what it does not see (a trap, an interpreter's script, a renamed program)
 * the exec gate sees at the exec, and an unknowable line simply runs under the gate.
 */
import { param } from '../../sys/param.js';
import { parseShellWords, type ShellWord } from './shell-words.js';
import { peelWrapper, WRAPPERS } from './wrapper-options.js';

export interface ExecCommand {
  /** Words joined by one space: what `exec:<glob>` patterns match. */
  text: string;
  /** The command's name (first word). */
  name: string;
  /** Its arguments as written. */
  args: string[];
  /** Some argument is only known at run time: a rule on this name applies whatever its arguments. */
  uncertain: boolean;
}

export type ExecParse = { ok: true; commands: ExecCommand[] } | { ok: false; reason: string };

class Unknowable extends Error {}

const SHELLS = new Set([
  'sh',
  'bash',
  'dash',
  'zsh',
  'ksh',
  'ash',
  'mksh',
  'rbash',
  'posh',
  'yash',
  'fish',
  'tcsh',
  'csh',
]);
const KEYWORDS = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'do',
  'done',
  'while',
  'until',
  '!',
  '{',
  '}',
  '[[',
  ']]',
  'coproc',
]);
function basename(word: string): string {
  const slash = word.lastIndexOf('/');
  return slash === -1 ? word : word.slice(slash + 1);
}

function isAssignment(word: ShellWord): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/.test(word.text);
}

class Collector {
  readonly out: ExecCommand[] = [];

  line(src: string, depth: number): void {
    if (depth > param.execRuleMaxDepth) throw new Unknowable('commands nested too deep');
    const parsed = parseShellWords(src);
    if (!parsed.ok) throw new Unknowable(parsed.reason);
    for (const words of parsed.commands) this.command(words, depth);
  }

  private command(all: ShellWord[], depth: number): void {
    let words = all;
    for (;;) {
      while (words.length && (isAssignment(words[0] as ShellWord) || KEYWORDS.has((words[0] as ShellWord).text))) {
        if (/\[.*[$`]/.test((words[0] as ShellWord).text)) throw new Unknowable('an array subscript may run commands');
        words = words.slice(1);
      }
      const first = words[0];
      if (!first) return;
      if (first.dynamic) throw new Unknowable(`the command name ${first.text} is only known when it runs`);
      if (first.text === 'case' || first.text === 'select')
        throw new Unknowable(`${first.text} statements are not followed`);
      if (first.text === 'for' || first.text === 'in') return;
      const name = basename(first.text);
      if (!Object.hasOwn(WRAPPERS, name)) return this.leaf(name, words.slice(1), depth);
      this.record(name, words.slice(1));
      const peeled = peelWrapper(name, words.slice(1));
      if (peeled.shellString !== undefined) return this.shellString(name, peeled.shellString, depth);
      if (peeled.unknowable) throw new Unknowable(peeled.unknowable);
      words = peeled.rest;
    }
  }

  private shellString(name: string, script: ShellWord, depth: number): void {
    if (script.dynamic) throw new Unknowable(`${name} runs a command only known when it runs`);
    this.line(script.text, depth + 1);
  }

  private leaf(name: string, args: ShellWord[], depth: number): void {
    this.record(name, args);
    if (SHELLS.has(name)) return this.shell(name, args, depth);
    if (name === 'eval') {
      if (args.some((w) => w.dynamic)) throw new Unknowable('eval of text only known when it runs');
      return this.line(args.map((w) => w.text).join(' '), depth + 1);
    }
    if (name === 'source' || name === '.') throw new Unknowable(`${name} runs a script the kernel cannot read`);
    if (name === 'find') this.findExec(args, depth);
  }

  /** `bash [options] -c [--] script`: the script is a line of its own; a shell reading a file or stdin is not followed. */
  private shell(name: string, args: ShellWord[], depth: number): void {
    let i = 0;
    let command = false;
    while (i < args.length) {
      const text = (args[i] as ShellWord).text;
      if (text === '--' || text === '-') {
        i++;
        break;
      }
      if (!/^[-+]/.test(text)) break;
      if (/^[-+]-?[a-zA-Z]*$/.test(text) && !text.startsWith('--') && text.slice(1).includes('c')) command = true;
      else if (/^[-+][oO]$/.test(text)) i++;
      else if (
        text.startsWith('--') &&
        !/^--(login|noprofile|norc|posix|restricted|noediting|verbose|debugger|dump-strings|dump-po-strings|help|version)$/.test(
          text,
        )
      ) {
        throw new Unknowable(`${name} ${text} is not followed`);
      }
      i++;
    }
    const script = command ? args[i] : undefined;
    if (!script) throw new Unknowable(`${name} without -c runs commands the kernel cannot read`);
    if (script.dynamic) throw new Unknowable(`${name} -c with a script only known when it runs`);
    this.line(script.text, depth + 1);
  }

  /** `find ... -exec cmd args ;` and `-execdir`/`-ok`: the command between the action and `;` or `+`. */
  private findExec(args: ShellWord[], depth: number): void {
    for (let i = 0; i < args.length; i++) {
      if (!/^-(exec|execdir|ok|okdir)$/.test(args[i]?.text ?? '')) continue;
      const end = args.findIndex((w, j) => j > i && (w.text === ';' || w.text === '+'));
      this.command(args.slice(i + 1, end === -1 ? undefined : end), depth + 1);
    }
  }

  private record(name: string, args: ShellWord[]): void {
    const words = args.map((w) => w.text);
    this.out.push({ text: [name, ...words].join(' '), name, args: words, uncertain: args.some((w) => w.dynamic) });
  }
}

/** Every command the line runs (wrappers included, as themselves), or why that cannot be known. */
export function execCommands(cmd: string): ExecParse {
  const collector = new Collector();
  try {
    collector.line(cmd, 0);
  } catch (error) {
    if (error instanceof Unknowable) return { ok: false, reason: error.message };
    throw error;
  }
  return { ok: true, commands: collector.out };
}
