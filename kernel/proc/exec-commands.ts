/**
 * The commands an EXEC_CMD line really runs, as rules see them: `rm -rf x`, not
 * `FOO=1 sudo /bin/rm -rf x`. Wrappers (env, nice, timeout, xargs, find -exec, ...) are peeled,
 * `sh -c`/`bash -c` and `eval` are parsed again, and anything whose command cannot be known
 * before it runs makes the whole line unparseable (its strictest rule applies).
 */
import { param } from '../param.js';
import { parseShellWords, type ShellWord } from './shell-words.js';

export interface ExecCommand {
  /** Words joined by one space: what `exec:<glob>` patterns match. */
  text: string;
  /** The command's name (first word). */
  name: string;
  /** Some argument is only known at run time: a rule on this name applies whatever its arguments. */
  uncertain: boolean;
}

export type ExecParse = { ok: true; commands: ExecCommand[] } | { ok: false; reason: string };

class Unknowable extends Error {}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'busybox sh']);
const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', '!', '{', '}', '[[', 'time', 'coproc']);
/** Commands that run their arguments as a command, with how many option words to skip. */
const WRAPPERS: Record<string, RegExp | null> = {
  sudo: /^-/,
  doas: /^-/,
  env: /^(-|[A-Za-z_][A-Za-z0-9_]*=)/,
  command: /^-/,
  builtin: null,
  exec: /^-/,
  nohup: null,
  nice: /^-/,
  ionice: /^-/,
  setsid: /^-/,
  stdbuf: /^-/,
  chrt: /^-/,
  taskset: /^-/,
  unbuffer: null,
  time: /^-/,
  timeout: /^-/,
  watch: /^-/,
  xargs: /^-/,
  busybox: null,
};
/** Options of a wrapper that take a separate value word. */
const WITH_VALUE = /^-(n|u|g|c|p|k|s|t|o|e|i|d|L|P|I|E|-signal|-user|-group|-kill-after)$/;

function basename(word: string): string {
  const slash = word.lastIndexOf('/');
  return slash === -1 ? word : word.slice(slash + 1);
}

function isAssignment(word: ShellWord): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/.test(word.text);
}

/** Drop a wrapper's options (and timeout's duration, nice's -n N) and return what it runs. */
function peelWrapper(name: string, rest: ShellWord[]): ShellWord[] {
  const option = WRAPPERS[name];
  let i = 0;
  while (option && i < rest.length && option.test(rest[i]?.text ?? '')) {
    if (rest[i]?.text === '--') return rest.slice(i + 1);
    i += WITH_VALUE.test(rest[i]?.text ?? '') ? 2 : 1;
  }
  if (name === 'timeout' && i < rest.length) i++;
  if (name === 'chrt' && i < rest.length) i++;
  if (name === 'taskset' && i < rest.length) i++;
  return rest.slice(i);
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
      while (words.length && (isAssignment(words[0] as ShellWord) || KEYWORDS.has((words[0] as ShellWord).text))) words = words.slice(1);
      const first = words[0];
      if (!first) return;
      if (first.dynamic) throw new Unknowable(`the command name ${first.text} is only known when it runs`);
      if (first.text === 'case' || first.text === 'select') throw new Unknowable(`${first.text} statements are not followed`);
      if (first.text === 'for' || first.text === 'function' || first.text === 'in') return;
      const name = basename(first.text);
      if (!Object.hasOwn(WRAPPERS, name)) return this.leaf(name, words.slice(1), depth);
      this.record(name, words.slice(1));
      words = peelWrapper(name, words.slice(1));
    }
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

  private shell(name: string, args: ShellWord[], depth: number): void {
    const flag = args.findIndex((w) => /^-[a-zA-Z]*c[a-zA-Z]*$/.test(w.text));
    const script = flag === -1 ? undefined : args[flag + 1];
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
    const text = [name, ...args.map((w) => w.text)].join(' ');
    this.out.push({ text, name, uncertain: args.some((w) => w.dynamic) });
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
