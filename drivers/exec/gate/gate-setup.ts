/**
 * What a run tells the exec gate before the command starts: the files the rules' programs are (and
 * a script's interpreters and modules), the system prefixes, a secret run's allowlist and
 * environment, as the gate's configuration lines. Its own file: gate-session.ts serves the
 * questions that follow, and adds files here when an edited policy names new programs.
 */
import type { ExecGate, SecretRun } from '../../../sys/driver-api.js';
import { filesOfProgram, type ProgramFile, revalidateProgramFiles, runnerFiles, scriptOf } from './program-files.js';

/** A file the gate knows, with every name the rules gave it and every kind it is (R, L, X, I). */
export interface GateFile extends Omit<ProgramFile, 'kind'> {
  kinds: Set<ProgramFile['kind']>;
  names: string[];
}

export interface GateSetup {
  /** The lines the gate reads before it starts the command. */
  config: string;
  files: GateFile[];
  /** A secret run: its allowlist is fixed for the run. */
  secret: boolean;
}

/** Files of the sandbox that no agent can write: a program there is the system's own. */
function systemPrefixes(rootBinds: readonly string[]): string[] {
  return ['/usr/', '/etc/', ...rootBinds.map((dir) => `${dir.replace(/\/+$/, '')}/`)];
}

export function merge(into: GateFile[], files: ProgramFile[]): void {
  for (const file of files) {
    const known = into.find((f) => f.dev === file.dev && f.ino === file.ino);
    // An interpreter is stopped at, but not named: no rule named it (a rule that does, names it as R).
    const names = file.kind === 'I' ? [] : [file.name];
    if (!known) into.push({ ...file, kinds: new Set([file.kind]), names });
    else {
      known.kinds.add(file.kind);
      for (const name of names) if (!known.names.includes(name)) known.names.push(name);
      if (file.modules?.length) known.modules = [...new Set([...(known.modules ?? []), ...file.modules])];
    }
  }
}

/** A rule's program: its files, and for a script its interpreters (stopped at) and its Python module. */
export function ruledFiles(name: string): ProgramFile[] {
  const out: ProgramFile[] = [];
  for (const file of filesOfProgram(name, 'R')) {
    const script = scriptOf(file);
    out.push(script?.modules.length ? { ...file, modules: script.modules } : file);
    if (script) out.push(...script.interpreters, ...script.entries);
  }
  return out;
}

/** The configuration lines of files[from…]: kinds as letters (RL: both a rule's and a secret's). */
export function fileLines(files: readonly GateFile[], from = 0): string[] {
  return files
    .slice(from)
    .map(
      (f, k) =>
        `P ${[...f.kinds].sort().join('')} ${from + k} ${f.dev} ${f.ino} ${f.size} ${safeLine(f.path, 'a program path')}`,
    );
}

function safeLine(text: string, what: string): string {
  if (/[\n\r\0]/.test(text))
    throw new Error(`the exec gate cannot be given ${what} with a line break: ${JSON.stringify(text)}`);
  return text;
}

/** The configuration for a rules run (`gate`) or a secret run (`secret`). */
export function gateSetup(options: { gate?: ExecGate; secret?: SecretRun; rootBinds: readonly string[] }): GateSetup {
  revalidateProgramFiles();
  const files: GateFile[] = [];
  const lines: string[] = [];
  if (options.secret) {
    for (const name of options.secret.programs) merge(files, filesOfProgram(name, 'L'));
    // A listed program a rule names too is still put to the kernel (kinds RL).
    for (const name of options.gate?.programs ?? []) if (name !== '*') merge(files, filesOfProgram(name, 'R'));
    lines.push('A');
    for (const [name, value] of Object.entries(options.secret.env))
      lines.push(`E ${Buffer.from(`${name}=${value}`).toString('hex')}`);
  } else if (options.gate) {
    // `*`: a rule names no program, so the kernel hears of every exec.
    if (options.gate.programs.includes('*')) lines.push('V');
    for (const name of options.gate.programs) if (name !== '*') merge(files, ruledFiles(name));
    merge(files, runnerFiles());
  }
  lines.push(...fileLines(files));
  for (const prefix of systemPrefixes(options.rootBinds)) lines.push(`S ${safeLine(prefix, 'a system directory')}`);
  lines.push('go');
  return { config: `${lines.join('\n')}\n`, files, secret: Boolean(options.secret) };
}
