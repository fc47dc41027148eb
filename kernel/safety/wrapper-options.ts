/**
 * Programs that run their arguments as a command, each with its own options: which take a value
 * word (`taskset -c` does not, `nice -n` does), which positional words come before the command
 * (taskset's mask, chrt's priority, timeout's duration, flock's lock file), and which option
 * carries a whole shell line (`flock -c`, `script -c`, `su -c`). One shared table of "options with
 * values" read `command -p rm` as `-p rm`: rm was taken for -p's value and never checked.
 */
import type { ShellWord } from './shell-words.js';

interface WrapperSpec {
  /** Short options that take the next word (or the rest of their own word) as their value. */
  short?: string;
  /** Long options that take a value (`--opt value` or `--opt=value`). */
  long?: readonly string[];
  /** Positional words before the command. */
  positional?: number;
  /** The option whose value is a shell command line. */
  shell?: string;
  /** Assignments (NAME=value) may come before the command. */
  assignments?: boolean;
  /** An option that means no command runs (a pid mode): the rest is not a command. */
  noCommand?: RegExp;
  /** The command's words are joined into a shell line (watch). */
  joinShell?: boolean;
  /** More arguments come from stdin (xargs): the command's arguments are not all known. */
  stdinArgs?: boolean;
}

export const WRAPPERS: Record<string, WrapperSpec> = {
  sudo: {
    short: 'ugCDhprtUT',
    long: [
      '--user',
      '--group',
      '--close-from',
      '--chdir',
      '--host',
      '--prompt',
      '--role',
      '--type',
      '--other-user',
      '--command-timeout',
    ],
  },
  doas: { short: 'uC' },
  env: {
    short: 'uCS',
    long: ['--unset', '--chdir', '--split-string', '--default-signal', '--ignore-signal', '--block-signal'],
    assignments: true,
  },
  command: {},
  builtin: {},
  exec: { short: 'a' },
  nohup: {},
  nice: { short: 'n', long: ['--adjustment'] },
  ionice: {
    short: 'cnp',
    long: ['--class', '--classdata', '--pid', '--pgid', '--uid'],
    noCommand: /^(-[a-zA-Z]*[pPu]|--(pid|pgid|uid))/,
  },
  setsid: {},
  stdbuf: { short: 'ioe', long: ['--input', '--output', '--error'] },
  chrt: {
    short: 'TPD',
    long: ['--sched-runtime', '--sched-period', '--sched-deadline'],
    positional: 1,
    noCommand: /^(-[a-zA-Z]*p|--pid|-m|--max)/,
  },
  taskset: { positional: 1, noCommand: /^(-[a-zA-Z]*p|--pid)/ },
  unbuffer: {},
  time: { short: 'fo', long: ['--format', '--output'] },
  timeout: { short: 'ks', long: ['--kill-after', '--signal'], positional: 1 },
  xargs: {
    short: 'adEILnPs',
    stdinArgs: true,
    long: [
      '--arg-file',
      '--delimiter',
      '--eof',
      '--replace',
      '--max-lines',
      '--max-args',
      '--max-procs',
      '--max-chars',
      '--process-slot-var',
    ],
  },
  busybox: {},
  watch: { short: 'n', long: ['--interval'], joinShell: true },
  flock: {
    short: 'wEc',
    long: ['--timeout', '--wait', '--conflict-exit-code', '--command'],
    positional: 1,
    shell: 'c',
  },
  prlimit: { long: ['--pid'] },
  setpriv: {
    long: [
      '--reuid',
      '--regid',
      '--groups',
      '--securebits',
      '--pdeathsig',
      '--inh-caps',
      '--ambient-caps',
      '--bounding-set',
      '--selinux-label',
      '--apparmor-profile',
      '--reset-env',
    ],
  },
  script: {
    short: 'cEeoIOBT',
    long: [
      '--command',
      '--echo',
      '--logging-format',
      '--log-io',
      '--log-in',
      '--log-out',
      '--log-timing',
      '--output-limit',
    ],
    shell: 'c',
  },
  runuser: { short: 'ugGcs', long: ['--user', '--group', '--supp-group', '--command', '--shell'], shell: 'c' },
  su: { short: 'gGcs', long: ['--group', '--supp-group', '--command', '--shell'], shell: 'c' },
  chroot: { long: ['--userspec', '--groups'], positional: 1 },
  unshare: {
    short: 'S',
    long: [
      '--setuid',
      '--setgid',
      '--root',
      '--wd',
      '--propagation',
      '--setgroups',
      '--map-user',
      '--map-group',
      '--map-users',
      '--map-groups',
      '--kill-child',
      '--monotonic',
      '--boottime',
    ],
  },
  nsenter: { short: 'tSGrwFZ', long: ['--target', '--setuid', '--setgid', '--root', '--wd'] },
  cgexec: { short: 'g' },
  catchsegv: {},
  faketime: { short: 'f', positional: 1 },
  strace: { short: 'aAbeEIoOpPsSuUX', long: ['--output', '--trace', '--signal', '--user', '--env', '--attach'] },
  ltrace: { short: 'aAeEnopsuxX', long: ['--output', '--library'] },
};

export interface Peeled {
  /** What the wrapper runs. */
  rest: ShellWord[];
  /** The shell line an option carries (flock -c 'rm x'), parsed as a line of its own. */
  shellString?: ShellWord;
  /** Why the command cannot be read. */
  unknowable?: string;
}

/** Drop a wrapper's options and positional words; return what it runs. */
export function peelWrapper(name: string, rest: readonly ShellWord[]): Peeled {
  const spec = WRAPPERS[name] ?? {};
  let i = 0;
  while (i < rest.length) {
    const word = rest[i] as ShellWord;
    const text = word.text;
    if (spec.noCommand?.test(text)) return { rest: [] };
    if (text === '--') {
      i++;
      break;
    }
    if (spec.assignments && /^[A-Za-z_][A-Za-z0-9_]*=/.test(text)) {
      i++;
      continue;
    }
    if (!text.startsWith('-') || text === '-') break;
    if (word.dynamic && /[$`]/.test(text))
      return { rest: [], unknowable: `${name}'s option ${text} is only known when it runs` };
    if (text.startsWith('--')) {
      const [opt, attached] = text.split(/=(.*)/s);
      if (name === 'env' && opt === '--split-string')
        return { rest: [], unknowable: 'env --split-string builds its command at run time' };
      if (spec.shell && (opt === '--command' || opt === `--${spec.shell}`)) return shellString(rest, i, attached);
      i += attached === undefined && spec.long?.includes(opt ?? '') ? 2 : 1;
      continue;
    }
    // A cluster of short options: the first one that takes a value takes the rest of the word, or the next word.
    let skip = 1;
    for (let j = 1; j < text.length; j++) {
      const letter = text[j] as string;
      if (!spec.short?.includes(letter)) continue;
      if (name === 'env' && letter === 'S') return { rest: [], unknowable: 'env -S builds its command at run time' };
      const attached = text.slice(j + 1);
      if (spec.shell === letter) return shellString(rest, i, attached === '' ? undefined : attached);
      if (attached === '') skip = 2;
      break;
    }
    i += skip;
  }
  const command = rest.slice(i + (spec.positional ?? 0));
  // flock FILE -c 'line': its options may follow the lock file.
  const after = command[0]?.text;
  if (spec.shell && after !== undefined && (after === `-${spec.shell}` || after === '--command'))
    return shellString(command, 0, undefined);
  if (spec.shell && after?.startsWith(`-${spec.shell}`) && after.length > 2)
    return shellString(command, 0, after.slice(2));
  if (spec.joinShell && command.length)
    return {
      rest: [],
      shellString: { text: command.map((w) => w.text).join(' '), dynamic: command.some((w) => w.dynamic) },
    };
  if (spec.stdinArgs && command.length) return { rest: [...command, { text: '(stdin)', dynamic: true }] };
  return { rest: command };
}

function shellString(rest: readonly ShellWord[], at: number, attached: string | undefined): Peeled {
  const script = attached !== undefined ? { text: attached, dynamic: (rest[at] as ShellWord).dynamic } : rest[at + 1];
  return script ? { rest: [], shellString: script } : { rest: [], unknowable: 'an option with no command line' };
}
