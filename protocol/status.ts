/**
 * A process's state in words, the same in ps, top and inspect: `exited 0`, `exited 1 (model
 * error)`, `killed 137`, `blocked (message)`. Success and failure must not look alike.
 */
import type { ProcState } from '../sys/types.js';

export interface StatusFields {
  state: ProcState;
  exit_code: number | null;
  exit_reason: string | null;
  /** `msg`, `stdin`, `child 3`, `approval <id>`, ... (views.ts describeWait). */
  wait: string | null;
}

/** Why the kernel ended a process, in two words; null when the reason adds nothing to the code. */
const END_KINDS: ReadonlyArray<[RegExp, string]> = [
  [/^model error/, 'model error'],
  [/^kernel error/, 'kernel error'],
  [/^max turns/, 'max turns'],
  [/^token budget/, 'token budget'],
  [/^cost budget/, 'cost budget'],
  [/^wall time budget/, 'time budget'],
  [/^loop detected/, 'loop'],
  [/^no syscall/, 'no syscalls'],
  [/^killed with its ancestor/, 'with parent'],
  [/^stopped/, 'stopped'],
  [/disk/, 'disk full'],
];

export function endKind(reason: string | null): string | null {
  if (!reason) return null;
  for (const [pattern, kind] of END_KINDS) if (pattern.test(reason)) return kind;
  return null;
}

/** What a blocked process waits for, in a word or two. */
export function waitKind(wait: string | null): string | null {
  if (!wait) return null;
  if (wait === 'msg') return 'message';
  // A state event's reason (`waiting for a message`) says the same in more words.
  return wait.replace(/^waiting for (an? )?/, '');
}

export function describeStatus(row: StatusFields): string {
  if (row.state === 'exited' || row.state === 'killed') {
    const code = row.exit_code ?? (row.state === 'killed' ? 137 : null);
    const kind = row.state === 'exited' && code === 0 ? null : endKind(row.exit_reason);
    return `${row.state}${code === null ? '' : ` ${code}`}${kind ? ` (${kind})` : ''}`;
  }
  if (row.state === 'blocked' || row.state === 'sleeping') {
    const why = row.state === 'blocked' ? waitKind(row.wait) : null;
    return why ? `${row.state} (${why})` : row.state;
  }
  return row.state;
}

/** The end line of a process, its reason said once: `exited 0`, `exited 1: model error: HTTP 500 …`. */
export function describeEnd(
  state: ProcState,
  code: number | null | undefined,
  reason: string | null | undefined,
): string {
  const head = `${state}${code === null || code === undefined ? '' : ` ${code}`}`;
  // `exited` with code 0 and `killed` say nothing the head does not.
  const plain = !reason || reason === state || reason === 'exited' || reason === `exited with code ${code}`;
  return plain ? head : `${head}: ${reason}`;
}
