/**
 * The CLI's output. Lines go to fd 1 and 2 with a synchronous write, not through process.stdout
 * and process.stderr: creating those streams costs ~0.6–1.6 ms of every verb's start (a pipe is a
 * socket object), against a budget of ~9 ms over bare `node -e 0` (bench/cli.ts). A write that a
 * non-blocking pipe refuses (EAGAIN) hands what is left, and every later write, to the stream, in
 * order. A reader that went away (EPIPE: `aos logs 1 | head`) ends the CLI quietly. `aos top`
 * (Ink) and the streaming verbs that wait on output use the streams themselves.
 */
import fs from 'node:fs';
import { isatty } from 'node:tty';

type Fd = 1 | 2;

/** Set once a write had to go through the stream: later ones follow it there. */
const streamed: Record<Fd, boolean> = { 1: false, 2: false };
const guarded: Record<Fd, boolean> = { 1: false, 2: false };

function quitOnEpipe(error: NodeJS.ErrnoException): void {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
}

/** process.stdout (1) or process.stderr (2), created now if not yet, ending the CLI quietly when its reader goes away. */
export function stream(fd: Fd): NodeJS.WriteStream {
  const s = fd === 1 ? process.stdout : process.stderr;
  if (!guarded[fd]) {
    guarded[fd] = true;
    s.on('error', quitOnEpipe);
  }
  return s;
}

function write(fd: Fd, text: string): void {
  if (streamed[fd]) {
    stream(fd).write(text);
    return;
  }
  const data = Buffer.from(text, 'utf8');
  let done = 0;
  while (done < data.length) {
    try {
      done += fs.writeSync(fd, data, done, data.length - done);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') process.exit(process.exitCode ?? 0);
      if (code !== 'EAGAIN') throw error;
      streamed[fd] = true;
      stream(fd).write(data.subarray(done));
      return;
    }
  }
}

/** Write to standard output. */
export function out(text: string): void {
  write(1, text);
}

/** Write to standard error. */
export function err(text: string): void {
  write(2, text);
}

/**
 * Whether standard output (1) or error (2) is a terminal, asked without creating its stream. A pipe
 * or a file is no character device: that answer needs no node:tty, which brings net and every
 * stream with it (~2 ms of `aos --help | less`).
 */
export function isTerminal(fd: Fd): boolean {
  try {
    if (!fs.fstatSync(fd).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  return isatty(fd);
}

/** The terminal's width for fd 1 or 2, or undefined when it is not a terminal. */
export function terminalColumns(fd: Fd): number | undefined {
  return isTerminal(fd) ? stream(fd).columns || undefined : undefined;
}

/** Ask a yes/no question on the terminal (stderr, so stdout stays the verb's output); yes or y is yes. */
export async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
