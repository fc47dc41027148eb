/**
 * One run's conversation with the exec gate over its control socket: once it has its configuration
 * (gate-setup.ts), the gate's questions — a program it stopped before its first instruction — are
 * answered with the kernel's verdict. While a question waits (a person may be asked) the run's
 * wall clock stops.
 */
import type { Socket } from 'node:net';
import path from 'node:path';
import type { ExecGate, GatedExec } from '../../../sys/driver-api.js';
import { revalidateProgramFiles } from './program-files.js';
import { fileLines, type GateFile, type GateSetup, merge, ruledFiles } from './gate-setup.js';

export interface WallClock {
  pause(): void;
  resume(): void;
}

export type Refusal = { path: string; argv: string[]; message: string };

interface Query {
  q: number;
  prog: number | null;
  how: 'file' | 'copy' | 'written' | 'runner';
  path: string;
  truncated: boolean;
  argv: string[];
  cwd?: string;
  env?: string[];
  env_truncated?: boolean;
  script?: { at: number; prog: number; how: 'file' | 'copy'; via?: 'env' };
}

// python's options that take no value (3.x: bBdEhiIOPqRsSuvVx?), and those that take the next word.
const PY_FLAGS = '[bBdEhiIOPqRsSuvVx?]*';
const PY_VALUES = new Set(['--check-hash-based-pycs']);
// node's options that take the next word as their value (node --help); -r/--require/--import/--loader preload a module.
const NODE_VALUES = new Set([
  '-r',
  '--require',
  '--import',
  '--loader',
  '--experimental-loader',
  '-C',
  '--conditions',
  '--input-type',
  '--title',
  '--env-file',
  '--env-file-if-exists',
  '-e',
  '--eval',
  '-p',
  '--print',
  '--experimental-default-type',
  '--experimental-policy',
  '--watch-path',
  '--redirect-warnings',
  '--icu-data-dir',
  '--openssl-config',
  '--snapshot-blob',
  '--disable-warning',
  '--stack-size',
  '--max-old-space-size',
]);

/** `python3 [options] -m pip …`: the module and its place in argv, or null (python's own options, -c ends them). */
function pythonModule(argv: readonly string[]): { module: string; at: number } | null {
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--' || !word.startsWith('-') || word === '-') return null;
    if (new RegExp(`^-${PY_FLAGS}c`).test(word)) return null;
    const m = new RegExp(`^-${PY_FLAGS}m(.*)$`).exec(word);
    if (m)
      return m[1]
        ? { module: m[1], at: i }
        : argv[i + 1] === undefined
          ? null
          : { module: argv[i + 1] as string, at: i + 1 };
    if (new RegExp(`^-${PY_FLAGS}[WX]$`).test(word) || PY_VALUES.has(word)) i++;
  }
  return null;
}

/** Where the interpreter's own script is in argv (its first word that is no option or option value), or null. */
function mainScript(interpreter: string, argv: readonly string[]): number | null {
  const name = path.basename(interpreter);
  const python = /^python/.test(name);
  if (!python && !/^node(js)?$/.test(name)) return null;
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--') return i + 1 < argv.length ? i + 1 : null;
    if (!word.startsWith('-') || word === '-') return i;
    if (python ? new RegExp(`^-${PY_FLAGS}[cm]`).test(word) : ['-e', '--eval', '-p', '--print'].includes(word))
      return null;
    if (python ? new RegExp(`^-${PY_FLAGS}[WX]$`).test(word) || PY_VALUES.has(word) : NODE_VALUES.has(word)) i++;
  }
  return null;
}

// Standard modules that run another module named on their command line (`python3 -m runpy pip`, `-m pdb -m pip`).
const MODULE_RUNNERS = new Set(['runpy', 'pdb', 'cProfile', 'profile', 'trace']);

/** What the gate's question is, in the kernel's words. */
export function describeExec(query: Query, files: readonly GateFile[]): GatedExec {
  const file = query.prog === null ? undefined : files[query.prog];
  const base = {
    path: query.path,
    argv: query.argv,
    truncated: query.truncated,
    cwd: query.cwd ?? '',
    env: query.env ?? [],
    ...(query.env_truncated ? { envTruncated: true } : {}),
  };
  if (file?.kinds.has('X')) {
    // The loader and binfmt interpreters run a program named only by an argument: nothing names it.
    if (file.name === 'ld.so' || file.name === 'binfmt') return { ...base, programs: [], how: 'loader' };
    // A multi-call binary runs the applet its argv[0] names, or argv[1] when called by its own name.
    const first = path.basename(query.argv[0] ?? '');
    const applet = first === file.name || first === path.basename(file.path) ? (query.argv[1] ?? '') : first;
    return {
      ...base,
      argv: first === applet ? query.argv : query.argv.slice(1),
      programs: applet ? [applet] : [],
      how: 'runner',
    };
  }
  // A copy of an interpreter no rule names (bundled python3 beside python3.12) is that interpreter: its script decides.
  const interpreterOnly = file !== undefined && file.kinds.size === 1 && file.kinds.has('I');
  const exec: GatedExec = {
    ...base,
    programs: file ? [...file.names] : [],
    how: query.how === 'runner' ? 'written' : interpreterOnly && query.how === 'copy' ? 'file' : query.how,
  };
  // An interpreter: the ruled script one of its arguments is, or (Python) the module it runs.
  const script = query.script ? files[query.script.prog] : undefined;
  if (query.script && script) {
    // The script as the interpreter's own program reads the words after it; loaded any other way
    // (a preload option, NODE_OPTIONS, PYTHONSTARTUP) what it reads of argv is not known.
    const own = query.script.via !== 'env' && mainScript(query.path, query.argv) === query.script.at;
    const uncertain = own
      ? {}
      : {
          uncertain: `${script.names.join(', ')} is loaded by ${query.script.via === 'env' ? 'its environment' : 'an option'} of ${path.basename(query.path)}, not run as its script: every rule on it applies`,
        };
    return {
      ...exec,
      script: { programs: [...script.names], at: query.script.at, how: query.script.how, ...uncertain },
    };
  }
  if (file?.kinds.has('I')) {
    const modulesOf = (m: string | undefined): string[] =>
      m ? files.filter((f) => f.modules?.includes(m.split('.')[0] as string)).flatMap((f) => f.names) : [];
    const run = pythonModule(query.argv);
    const named = modulesOf(run?.module);
    if (run && named.length) return { ...exec, script: { programs: [...new Set(named)], at: run.at, how: 'module' } };
    // A module that runs another: any later word naming a ruled module (`-m runpy pip`, `-m cProfile -m pip`).
    if (run && MODULE_RUNNERS.has(run.module)) {
      for (let i = run.at + 1; i < query.argv.length; i++) {
        const word = (query.argv[i] as string).replace(/^-m/, '');
        const via = modulesOf(word);
        if (via.length)
          return {
            ...exec,
            script: {
              programs: [...new Set(via)],
              at: i,
              how: 'module',
              uncertain: `${via.join(', ')} is run by python's ${run.module}: every rule on it applies`,
            },
          };
      }
    }
  }
  return exec;
}

const MAX_LINE = 1024 * 1024;

/** Serve the gate's questions until its socket closes; returns the refusals seen so far at any time. */
export function serveGate(
  socket: Socket,
  setup: GateSetup,
  gate: ExecGate | undefined,
  clock: WallClock,
): { refused: Refusal[] } {
  const refused: Refusal[] = [];
  // An edited policy reaches the running command: the gate learns the files of programs it names now.
  const unwatch = gate?.watch?.((programs) => {
    if (socket.destroyed || setup.secret) return;
    revalidateProgramFiles();
    const before = setup.files.map((f) => `${[...f.kinds].sort().join('')}:${f.names.join(',')}`);
    const count = setup.files.length;
    for (const name of programs) if (name !== '*') merge(setup.files, ruledFiles(name));
    const lines = programs.includes('*') ? ['V'] : [];
    // New files, and known ones that are now of another kind (an interpreter now ruled itself).
    setup.files.forEach((f, i) => {
      if (i >= count || before[i] !== `${[...f.kinds].sort().join('')}:${f.names.join(',')}`)
        lines.push(...fileLines(setup.files, i).slice(0, 1));
    });
    if (lines.length) socket.write(`${lines.join('\n')}\n`);
  });
  socket.on('close', () => unwatch?.());
  let buffer = '';
  let waiting = 0;
  socket.setEncoding('utf8');
  socket.on('error', () => undefined);
  const answer = (q: number, text: string): void => {
    if (!socket.destroyed) socket.write(`${q} ${text.replace(/[\r\n]+/g, ' ')}\n`);
  };
  const ask = (query: Query): void => {
    const exec = describeExec(query, setup.files);
    waiting++;
    if (waiting === 1) clock.pause();
    const settle = (allow: boolean, message: string): void => {
      waiting--;
      if (waiting === 0) clock.resume();
      if (!allow) refused.push({ path: exec.path, argv: exec.argv, message });
      answer(query.q, allow ? 'allow' : `deny ${message}`);
    };
    const decided = gate
      ? Promise.resolve().then(() => gate.decide(exec))
      : Promise.resolve({ allow: false as const, message: 'no policy to decide' });
    decided.then(
      (verdict) => settle(verdict.allow, verdict.allow ? '' : verdict.message),
      (error: unknown) =>
        settle(false, `the kernel could not decide (${error instanceof Error ? error.message : String(error)})`),
    );
  };
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    if (buffer.length > MAX_LINE && !buffer.includes('\n')) {
      socket.destroy();
      return;
    }
    let nl: number;
    while ((nl = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let message: Partial<Query> & { denied?: string; path?: string; argv?: string[] };
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        continue;
      }
      if (typeof message.denied === 'string')
        refused.push({ path: message.path ?? '', argv: message.argv ?? [], message: message.denied });
      else if (typeof message.q === 'number') ask(message as Query);
    }
  });
  socket.write(setup.config);
  return { refused };
}
