import { constants } from 'node:os';

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(constants.signals).map(([name, number]) => [number, name]),
);

/** The "exit-code" bwrap reports once the command itself has ended; absent if setup failed. */
export function parseBwrapStatus(statusText: string): number | null {
  const matches = [...statusText.matchAll(/"exit-code"\s*:\s*(\d+)/g)];
  const last = matches.at(-1)?.[1];
  return last === undefined ? null : Number(last);
}

/**
 * bwrap's init reaper reports a command killed by signal N as status 128+N, the shell
 * convention, so that is decoded back to a signal. A command that itself runs `exit 137`
 * is indistinguishable and is reported as SIGKILL.
 */
export function decodeExitStatus(status: number): { exit_code: number | null; signal: string | null } {
  const name = status > 128 ? SIGNAL_NAMES.get(status - 128) : undefined;
  return name ? { exit_code: null, signal: name } : { exit_code: status, signal: null };
}
