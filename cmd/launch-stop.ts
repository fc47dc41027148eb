/** Stop the daemon of an AOS_HOME: ask it over the socket, or signal it when it does not answer. */
import { pingKernel } from '../client/connect.js';
import { KernelUnreachableError } from '../client/errors.js';
import type { AosPaths } from '../sys/host/paths.js';
import { isAlive, isDaemon, readPidFile } from '../sys/host/pid-file.js';

/** A clean stop closes the store; past this the daemon is killed. */
export const STOP_TIMEOUT_MS = 15_000;

export interface StopResult {
  /** The daemon that was stopped; null when none was running. */
  pid: number | null;
  /** It had to be killed with SIGKILL. */
  forced: boolean;
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** Ask the running kernel to shut down; returns its pid, or null when nobody answers. */
async function requestShutdown(paths: AosPaths): Promise<number | null> {
  try {
    const { client } = await pingKernel(paths);
    try {
      return (await client.request('shutdown', {})).pid;
    } finally {
      client.close();
    }
  } catch (error) {
    if (error instanceof KernelUnreachableError) return null;
    throw error;
  }
}

export async function stopKernel(paths: AosPaths, timeoutMs = STOP_TIMEOUT_MS): Promise<StopResult> {
  let pid = await requestShutdown(paths);
  if (pid === null) {
    // Nothing answers on the socket, but a hung daemon may still hold the pid file.
    const holder = await readPidFile(paths.pidFile);
    if (holder === null || !isDaemon(holder)) return { pid: null, forced: false };
    pid = holder;
    signal(pid, 'SIGTERM');
  }
  if (await waitGone(pid, timeoutMs)) return { pid, forced: false };
  signal(pid, 'SIGKILL');
  await waitGone(pid, 2000);
  return { pid, forced: true };
}
