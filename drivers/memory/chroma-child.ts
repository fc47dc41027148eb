/**
 * The chroma child as its supervisor (chroma-server.ts) handles it: the tail of its output kept
 * for messages (lines of escape codes and drawing left out), its pipes drained before an early exit is
 * read, its exit said in words, and its stop: SIGTERM, then SIGKILL after the grace period, each to
 * its whole process group (chroma-spawn.ts starts bwrap as a group's leader). A signal to bwrap's
 * pid alone, in the first milliseconds after the spawn, left about one bwrap in three behind: the
 * child it had just forked, not yet tied to it by --die-with-parent, asleep in wait(2) for good.
 * Sleeps between restarts are ones stop() can cut short.
 */
import type { ChildProcess } from 'node:child_process';

const OUTPUT_TAIL_BYTES = 4096;

/** A sleep that stop() can cut short (it resolves every pending one). */
export function sleep(ms: number, timers: Map<NodeJS.Timeout, () => void>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      resolve();
    }, ms);
    timers.set(timer, resolve);
  });
}

export function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exited with code ${code}`;
}

/** Resolves when the child's stdout and stderr are drained (bounded: a grandchild could hold them open). */
export function outputClosed(child: ChildProcess, ms = 1000): Promise<void> {
  const pipes = [child.stdout, child.stderr].filter((p) => p !== null && !p.closed);
  const drained = Promise.all(pipes.map((p) => new Promise((resolve) => p?.once('close', resolve))));
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([drained, bound]).then(() => clearTimeout(timer));
}

/** The output kept so far with `chunk` added: its last OUTPUT_TAIL_BYTES. */
export function keepTail(output: string, chunk: Buffer): string {
  return (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
}

/** The last lines of the output, for a message: ` (a | b | c)`, or nothing. */
export function outputTail(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^[\s(#[\]0-9;m\u001b]+$/.test(l));
  const tail = lines.slice(-3).join(' | ');
  return tail ? ` (${tail.slice(-600)})` : '';
}

/** `signal` to the child's process group (it leads one); to the child alone if the group is gone. */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  const { pid } = child;
  try {
    if (pid === undefined) throw new Error('no pid');
    process.kill(-pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** SIGTERM to the group, SIGKILL after `graceMs`; once the child has exited, SIGKILL to whatever of its group is left. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  const pid = child.pid;
  if (child.exitCode === null && child.signalCode === null) {
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    signalGroup(child, 'SIGTERM');
    const force = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
    await gone;
    clearTimeout(force);
  }
  // A member that outlived the leader keeps the group's id taken, so this reaches only the child's own.
  try {
    if (pid !== undefined) process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is gone
  }
}
