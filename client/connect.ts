/**
 * Reach the kernel for a CLI verb: connect and ping (the verb's first request may follow the ping
 * at once: openKernel); when nobody answers and auto-start is on,
 * launch the daemon with the launcher the CLI hands in (cmd/launch.ts) and connect to it. Failures are KernelUnreachableError.
 */
import { existsSync } from 'node:fs';
import { isAlive } from '../sys/host/pid-file.js';
import { KernelClient } from './client.js';
import { KernelUnreachableError } from './errors.js';
import type { AosPaths } from '../sys/host/paths.js';
import type { Launcher } from '../protocol/daemon-report.js';
import type { ResultOf } from '../protocol/protocol.js';
import { PROTOCOL_VERSION } from '../protocol/protocol-results.js';

/**
 * How long a starting daemon may go without news before the CLI gives up: each stage it reports
 * (the lock held, the policy loaded, the store opened) gives it as long again.
 */
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

/**
 * Another daemon holds the lock: it may itself be starting (its progress goes to the CLI that
 * launched it, not to us), so it is waited on while it lives, up to HOLDER_WAITS times our timeout.
 * Null when it exited first (it was stopping, or failed its start): the caller launches again.
 */
const HOLDER_WAITS = 3;
/** Launches a CLI makes when each time another daemon held the lock and then exited. */
const START_ATTEMPTS = 3;

async function waitUntilAnswering(paths: AosPaths, timeoutMs: number, holder: number): Promise<Connected | null> {
  const deadline = Date.now() + timeoutMs * HOLDER_WAITS;
  for (;;) {
    try {
      return await pingKernel(paths);
    } catch (error) {
      if (!(error instanceof KernelUnreachableError)) throw error;
      if (!isAlive(holder)) return null;
      if (Date.now() > deadline) {
        throw new KernelUnreachableError(
          'start',
          paths.socket,
          `kernel pid ${holder} holds ${paths.pidFile} but does not answer on ${paths.socket} (see ${paths.kernelLog})`,
        );
      }
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

/** Start a daemon for this AOS_HOME (or join one that another CLI is starting) and connect to it. */
export async function startKernel(
  paths: AosPaths,
  launch: Launcher,
  timeoutMs = START_TIMEOUT_MS,
): Promise<Connected & { started: boolean }> {
  const fail = (message: string): KernelUnreachableError =>
    new KernelUnreachableError('start', paths.socket, `${message} (see ${paths.kernelLog})`);
  let outcome = await launch(paths, timeoutMs);
  for (let attempt = 1; outcome.type === 'running'; attempt++) {
    const joined = await waitUntilAnswering(paths, timeoutMs, outcome.pid);
    if (joined) return { ...joined, started: false };
    if (attempt === START_ATTEMPTS)
      throw fail(`kernel pid ${outcome.pid} held ${paths.pidFile} and exited before it answered on ${paths.socket}`);
    outcome = await launch(paths, timeoutMs);
  }
  switch (outcome.type) {
    case 'ready':
      return { ...(await pingKernel(paths)), started: true };
    case 'failed':
      throw fail(`the kernel failed to start: ${outcome.message}`);
    case 'exited':
      throw fail(
        `the kernel exited while starting (code ${outcome.code ?? 'none'}): ${outcome.message ?? 'no reason was logged'}`,
      );
    case 'timeout': {
      const seconds = Math.round(timeoutMs / 1000);
      if (!outcome.last) throw fail(`the kernel did not report within ${seconds} s of being launched`);
      throw fail(
        `the kernel (pid ${outcome.last.pid}) was still ${outcome.last.stage} after ${seconds} s without news; it may yet come up`,
      );
    }
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
export async function openKernel(
  paths: AosPaths,
  options: { autostart: boolean; launch: Launcher; onStarted?: (pid: number, how: { unclean: boolean }) => void },
): Promise<Opened> {
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
