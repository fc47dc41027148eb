/**
 * One run's conversation with the exec gate over its control socket: the configuration (the files
 * the rules' programs are, the system prefixes, a secret run's allowlist and environment), then
 * the gate's questions — a program it stopped before its first instruction — answered with the
 * kernel's verdict. While a question waits (a person may be asked) the run's wall clock stops.
 */
import type { Socket } from 'node:net';
import path from 'node:path';
import type { ExecGate, GatedExec, SecretRun } from '../../../sys/driver-api.js';
import { filesOfProgram, type ProgramFile, revalidateProgramFiles, runnerFiles } from './program-files.js';

/** A file the gate knows, with every name the rules gave it. */
interface GateFile extends ProgramFile {
  names: string[];
}

export interface WallClock {
  pause(): void;
  resume(): void;
}

export interface GateSetup {
  /** The lines the gate reads before it starts the command. */
  config: string;
  files: GateFile[];
}

export type Refusal = { path: string; argv: string[]; message: string };

/** Files of the sandbox that no agent can write: a program there is the system's own. */
function systemPrefixes(rootBinds: readonly string[]): string[] {
  return ['/usr/', '/etc/', ...rootBinds.map((dir) => `${dir.replace(/\/+$/, '')}/`)];
}

function merge(into: GateFile[], files: ProgramFile[]): void {
  for (const file of files) {
    const known = into.find((f) => f.dev === file.dev && f.ino === file.ino);
    if (!known) into.push({ ...file, names: [file.name] });
    else {
      if (!known.names.includes(file.name)) known.names.push(file.name);
      if (file.kind === 'X') known.kind = 'X';
      else if (known.kind !== file.kind && known.kind !== 'X') known.kind = 'B';
    }
  }
}

function safeLine(text: string, what: string): string {
  if (/[\n\r\0]/.test(text)) throw new Error(`the exec gate cannot be given ${what} with a line break: ${JSON.stringify(text)}`);
  return text;
}

/** The configuration for a rules run (`gate`) or a secret run (`secret`). */
export function gateSetup(options: { gate?: ExecGate; secret?: SecretRun; rootBinds: readonly string[] }): GateSetup {
  revalidateProgramFiles();
  const files: GateFile[] = [];
  const lines: string[] = [];
  if (options.secret) {
    for (const name of options.secret.programs) merge(files, filesOfProgram(name, 'L'));
    // A listed program a rule names too is still put to the kernel (kind B).
    for (const name of options.gate?.programs ?? []) if (name !== '*') merge(files, filesOfProgram(name, 'R'));
    lines.push('A');
    for (const [name, value] of Object.entries(options.secret.env)) lines.push(`E ${Buffer.from(`${name}=${value}`).toString('hex')}`);
  } else if (options.gate) {
    // `*`: a rule names no program, so the kernel hears of every exec.
    if (options.gate.programs.includes('*')) lines.push('V');
    for (const name of options.gate.programs) if (name !== '*') merge(files, filesOfProgram(name, 'R'));
    merge(files, runnerFiles());
  }
  files.forEach((f, i) => lines.push(`P ${f.kind} ${i} ${f.dev} ${f.ino} ${f.size} ${safeLine(f.path, 'a program path')}`));
  for (const prefix of systemPrefixes(options.rootBinds)) lines.push(`S ${safeLine(prefix, 'a system directory')}`);
  lines.push('go');
  return { config: `${lines.join('\n')}\n`, files };
}

interface Query {
  q: number;
  prog: number | null;
  how: 'file' | 'copy' | 'written' | 'runner';
  path: string;
  truncated: boolean;
  argv: string[];
}

/** What the gate's question is, in the kernel's words. */
export function describeExec(query: Query, files: readonly GateFile[]): GatedExec {
  const file = query.prog === null ? undefined : files[query.prog];
  const base = { path: query.path, argv: query.argv, truncated: query.truncated };
  if (file?.kind === 'X') {
    // The loader and binfmt interpreters run a program named only by an argument: nothing names it.
    if (file.name === 'ld.so' || file.name === 'binfmt') return { ...base, programs: [], how: 'loader' };
    // A multi-call binary runs the applet its argv[0] names, or argv[1] when called by its own name.
    const first = path.basename(query.argv[0] ?? '');
    const applet = first === file.name || first === path.basename(file.path) ? (query.argv[1] ?? '') : first;
    return { ...base, argv: first === applet ? query.argv : query.argv.slice(1), programs: applet ? [applet] : [], how: 'runner' };
  }
  return { ...base, programs: file ? [...file.names] : [], how: query.how === 'runner' ? 'written' : query.how };
}

const MAX_LINE = 1024 * 1024;

/** Serve the gate's questions until its socket closes; returns the refusals seen so far at any time. */
export function serveGate(socket: Socket, setup: GateSetup, gate: ExecGate | undefined, clock: WallClock): { refused: Refusal[] } {
  const refused: Refusal[] = [];
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
    const decided = gate ? Promise.resolve().then(() => gate.decide(exec)) : Promise.resolve({ allow: false as const, message: 'no policy to decide' });
    decided.then(
      (verdict) => settle(verdict.allow, verdict.allow ? '' : verdict.message),
      (error: unknown) => settle(false, `the kernel could not decide (${error instanceof Error ? error.message : String(error)})`),
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
      if (typeof message.denied === 'string') refused.push({ path: message.path ?? '', argv: message.argv ?? [], message: message.denied });
      else if (typeof message.q === 'number') ask(message as Query);
    }
  });
  socket.write(setup.config);
  return { refused };
}
