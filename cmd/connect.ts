/** How a verb reaches the kernel: auto-started on demand unless AOS_NO_AUTOSTART is set. */
import { type Connected, connectKernel } from '../kernel/client/connect.js';
import type { KernelClient } from '../kernel/client/client.js';
import { aosPaths } from '../kernel/paths.js';
import type { Launcher } from '../kernel/wire/daemon-report.js';
import { driftWarning } from './drift.js';

export function autostartEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.AOS_NO_AUTOSTART;
  return value === undefined || value === '' || value === '0';
}

/** Loaded only to start a daemon: the launcher brings child_process, which a verb's start-up should not pay for. */
export const launchLazily: Launcher = async (paths, timeoutMs) => (await import('./launch.js')).launchDaemon(paths, timeoutMs);

export async function openKernel(): Promise<Connected> {
  const connected = await connectKernel(aosPaths(), {
    autostart: autostartEnabled(),
    launch: launchLazily,
    // Scripts read stdout/stderr; only a person at a terminal is told about the start.
    onStarted: (pid) => {
      if (process.stderr.isTTY) process.stderr.write(`aos: started the kernel (pid ${pid})\n`);
    },
  });
  for (const line of driftWarning(connected.kernel)) process.stderr.write(`${line}\n`);
  return connected;
}

/** Run `work` with a connected client and always hang up after. */
export async function withKernel<T>(work: (client: KernelClient, kernel: Connected['kernel']) => Promise<T>): Promise<T> {
  const { client, kernel } = await openKernel();
  try {
    return await work(client, kernel);
  } finally {
    client.close();
  }
}
