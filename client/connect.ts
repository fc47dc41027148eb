/**
 * Reach the kernel for a CLI verb: connect and ping (the verb's first request may follow the ping
 * at once: openKernel); when nobody answers and auto-start is on,
 * launch the daemon with the launcher the CLI hands in (cmd/launch.ts) and connect to it. Failures are KernelUnreachableError.
 */
import { existsSync } from 'node:fs';
import { KernelClient } from './client.js';
import { KernelUnreachableError } from './errors.js';
import type { AosPaths } from '../sys/paths.js';
import type { Launcher } from '../protocol/daemon-report.js';
import type { ResultOf } from '../protocol/protocol.js';
import { PROTOCOL_VERSION } from '../protocol/protocol-results.js';

/** How long a start may take before the CLI gives up (a large store takes a while to load). */
export const START_TIMEOUT_MS = 20_000;
/** A connected kernel that does not answer a ping in this time is reported, not waited on. */
const PING_TIMEOUT_MS = 5_000;
const RETRY_MS = 50;
/** A read-only verb whose connection broke under it asks once more after this (cmd/connect.ts withKernel). */
export const LOST_RETRY_MS = 100;

export interface Connected {
  client: KernelClient;
  kernel: ResultOf<'ping'>;
}

function timeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** The ping's answer, or a 'hung' error when a connected kernel does not give it in time. */
function pinged(client: KernelClient, paths: AosPaths): Promise<ResultOf<'ping'>> {
  return timeout(
    client.request('ping', {}),
    PING_TIMEOUT_MS,
    () =>
      new KernelUnreachableError(
        'hung',
        paths.socket,
        `the kernel at ${paths.socket} accepted the connection but did not answer within ${PING_TIMEOUT_MS} ms; see ${paths.kernelLog}`,
      ),
  );
}

/** Connect and check that the kernel answers. */
export async function pingKernel(paths: AosPaths): Promise<Connected> {
  const client = await KernelClient.connect(paths);
  try {
    return { client, kernel: await pinged(client, paths) };
  } catch (error) {
    client.close();
    throw error;
  }
}

async function waitUntilAnswering(paths: AosPaths, deadline: number, holder: number): Promise<Connected> {
  for (;;) {
    try {
      return await pingKernel(paths);
    } catch (error) {
      if (!(error instanceof KernelUnreachableError) || Date.now() > deadline) {
        throw new KernelUnreachableError('start', paths.socket, `kernel pid ${holder} holds ${paths.pidFile} but does not answer on ${paths.socket} (see ${paths.kernelLog})`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

/** Start a daemon for this AOS_HOME (or join one that another CLI is starting) and connect to it. */
export async function startKernel(paths: AosPaths, launch: Launcher, timeoutMs = START_TIMEOUT_MS): Promise<Connected & { started: boolean }> {
  const deadline = Date.now() + timeoutMs;
  const outcome = await launch(paths, timeoutMs);
  const fail = (message: string): KernelUnreachableError => new KernelUnreachableError('start', paths.socket, `${message} (see ${paths.kernelLog})`);
  switch (outcome.type) {
    case 'ready':
      return { ...(await pingKernel(paths)), started: true };
    case 'running':
      return { ...(await waitUntilAnswering(paths, deadline, outcome.pid)), started: false };
    case 'failed':
      throw fail(`the kernel failed to start: ${outcome.message}`);
    case 'exited':
      throw fail(`the kernel exited while starting (code ${outcome.code ?? 'none'}): ${outcome.message ?? 'no reason was logged'}`);
    case 'timeout':
      throw fail(`the kernel did not become ready within ${Math.round(timeoutMs / 1000)} s`);
  }
}

/** A kernel from another aos version may not understand us: say so instead of failing oddly. */
function checkProtocol(kernel: ResultOf<'ping'>, paths: AosPaths): ResultOf<'ping'> {
  if (kernel.protocol === PROTOCOL_VERSION) return kernel;
  throw new KernelUnreachableError(
    'mismatch',
    paths.socket,
    `the kernel at ${paths.socket} (version ${kernel.version}) speaks protocol ${kernel.protocol}, this aos speaks ${PROTOCOL_VERSION}; restart it with "aos kernel stop"`,
  );
}

/** A connection whose ping is on its way: a request made now is written right behind it, one round trip instead of two. */
export interface Opened {
  client: KernelClient;
  /** The ping's answer, its protocol checked (a kernel of another protocol refuses the requests made meanwhile, unread). */
  kernel: Promise<ResultOf<'ping'>>;
}

/** The kernel for a CLI verb, started on demand unless `autostart` is off. */
export async function openKernel(paths: AosPaths, options: { autostart: boolean; launch: Launcher; onStarted?: (pid: number, how: { unclean: boolean }) => void }): Promise<Opened> {
  let client: KernelClient;
  try {
    client = await KernelClient.connect(paths);
  } catch (error) {
    if (!(error instanceof KernelUnreachableError) || error.kind !== 'connect' || !options.autostart) throw error;
    // A clean stop removes the socket: one left behind is a kernel that died (killed, crashed, the machine rebooted).
    const unclean = existsSync(paths.socket);
    const started = await startKernel(paths, options.launch);
    if (started.started) options.onStarted?.(started.kernel.pid, { unclean });
    return { client: started.client, kernel: Promise.resolve(started.kernel).then((k) => checkProtocol(k, paths)) };
  }
  return { client, kernel: pinged(client, paths).then((k) => checkProtocol(k, paths)) };
}

/** The opened connection once the kernel has answered its ping; closed when it did not. */
export async function answered({ client, kernel }: Opened): Promise<Connected> {
  try {
    return { client, kernel: await kernel };
  } catch (error) {
    client.close();
    throw error;
  }
}
