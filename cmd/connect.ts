/** How a verb reaches the kernel: auto-started on demand unless AOS_NO_AUTOSTART is set. */
import {
  answered,
  type Connected,
  LOST_RETRY_MS,
  type Opened,
  openKernel as openConnection,
} from '../client/connect.js';
import { KernelUnreachableError } from '../client/errors.js';
import type { KernelClient } from '../client/client.js';
import { aosPaths } from '../sys/host/paths.js';
import type { Launcher } from '../protocol/daemon-report.js';
import { driftWarning } from './drift.js';
import { err, isTerminal } from './out.js';

export function autostartEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.AOS_NO_AUTOSTART;
  return value === undefined || value === '' || value === '0';
}

/** Loaded only to start a daemon: the launcher brings child_process, which a verb's start-up should not pay for. */
export const launchLazily: Launcher = async (paths, timeoutMs) =>
  (await import('./launch.js')).launchDaemon(paths, timeoutMs);

/** The kernel this CLI started (its pid), if it did: a long verb says so again at its end (remindStarted). */
let startedHere: number | null = null;

/**
 * At the end of an attached spawn (`npm run demo` is one), when this CLI started the kernel: the
 * notice given at the start has scrolled away, and a person would not know a daemon and its memory
 * server outlive the command (issue 51.4). Said once more, at a terminal only, as the notice is.
 */
export function remindStarted(): void {
  if (startedHere === null || !isTerminal(2)) return;
  err(
    `aos: the kernel this started (pid ${startedHere}, for ${aosPaths().home}) keeps running in the background, with its memory server (Chroma) if an agent used memory: "aos kernel stop" stops both\n`,
  );
}

/** Connected, the ping on its way; its answer warns when the kernel runs with other settings than ours. */
function open(autostart: boolean): Promise<Opened> {
  return openConnection(aosPaths(), {
    autostart,
    launch: launchLazily,
    // Scripts read stdout/stderr; only a person at a terminal is told about the start, once: what
    // now runs in the background and how to stop it, or that the last kernel had died.
    onStarted: (pid, { unclean }) => {
      startedHere = pid;
      if (!isTerminal(2)) return;
      const home = aosPaths().home;
      err(
        unclean
          ? `aos: the kernel of ${home} had stopped without shutting down (see ${home}/kernel.log); started a new one (pid ${pid}), and its processes resume\n`
          : `aos: started the kernel (pid ${pid}) for ${home}; it keeps running in the background, with its memory server once an agent uses memory: "aos kernel stop" stops both\n`,
      );
    },
  }).then(({ client, kernel }) => ({
    client,
    kernel: kernel.then((k) => {
      for (const line of driftWarning(k)) err(`${line}\n`);
      return k;
    }),
  }));
}

/** Connected and pinged (`aos top`, `aos mcp`: long sessions that need the kernel's answer first). */
export async function openKernel(): Promise<Connected> {
  return answered(await open(autostartEnabled()));
}

/**
 * Run `work` with a connected client and always hang up after. Its first request goes out right
 * behind the ping, before the ping's answer (a kernel of another protocol refuses it unread): one
 * round trip where there were two. The ping's failure (unreachable, hung, another protocol) is
 * the one reported.
 *
 * `retryIfLost`, for a verb that only reads and prints nothing before its answers are in: when the
 * connection breaks under it (the kernel was killed or crashed mid-request), it is run once more on
 * a new connection after LOST_RETRY_MS — against a restarted kernel, or reported as not running —
 * instead of failing with "lost the connection". A verb that changes something is never retried:
 * the kernel may have done it before it died.
 */
export async function withKernel<T>(
  work: (client: KernelClient, kernel: Promise<Connected['kernel']>) => Promise<T>,
  options: { autostart?: boolean; retryIfLost?: boolean } = {},
): Promise<T> {
  try {
    return await once(work, options.autostart);
  } catch (error) {
    if (!options.retryIfLost || !(error instanceof KernelUnreachableError) || error.kind !== 'lost') throw error;
    await new Promise((resolve) => setTimeout(resolve, LOST_RETRY_MS));
    return once(work, options.autostart);
  }
}

async function once<T>(
  work: (client: KernelClient, kernel: Promise<Connected['kernel']>) => Promise<T>,
  autostart: boolean | undefined,
): Promise<T> {
  const { client, kernel } = await open(autostart ?? autostartEnabled());
  try {
    const done = work(client, kernel);
    // Handled here so that a refusal while the ping's failure is reported is not an unhandled rejection.
    done.catch(() => undefined);
    await kernel;
    return await done;
  } finally {
    client.close();
  }
}
