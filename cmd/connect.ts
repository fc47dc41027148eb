/** How a verb reaches the kernel: auto-started on demand unless AOS_NO_AUTOSTART is set. */
import { type Connected, connectKernel } from '../kernel/client/connect.js';
import type { KernelClient } from '../kernel/client/client.js';
import { aosPaths } from '../kernel/paths.js';
import type { Launcher } from '../kernel/wire/daemon-report.js';

export function autostartEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.AOS_NO_AUTOSTART;
  return value === undefined || value === '' || value === '0';
}

/** Loaded only to start a daemon: the launcher brings child_process, which a verb's start-up should not pay for. */
export const launchLazily: Launcher = async (paths, timeoutMs) => (await import('./launch.js')).launchDaemon(paths, timeoutMs);

export function openKernel(): Promise<Connected> {
  return connectKernel(aosPaths(), {
    autostart: autostartEnabled(),
    launch: launchLazily,
    // Scripts read stdout/stderr; only a person at a terminal is told about the start.
    onStarted: (pid) => {
      if (process.stderr.isTTY) process.stderr.write(`aos: started the kernel (pid ${pid})\n`);
    },
  });
}

/** Run `work` with a connected client and always hang up after. */
export async function withKernel<T>(work: (client: KernelClient) => Promise<T>): Promise<T> {
  const { client } = await openKernel();
  try {
    return await work(client);
  } finally {
    client.close();
  }
}
