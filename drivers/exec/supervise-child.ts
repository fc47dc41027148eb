/**
 * A sandbox's child, supervised: spawned with its inputs and extra descriptors, its output kept up
 * to a cap and counted past it (OutputSink: a flood is stopped rather than drained forever), held
 * to its wall clock and its process's kill signal, its status read once it ends.
 *
 * node:child_process, not execa: execa 9 carries the extra fds, but its timeout, cancelSignal,
 * forceKillAfterDelay and cleanup signal the child's pid only (the group kill, killDescendants, is
 * execa 10: Node 22), its promise waits for every pipe to close, unbounded, and its maxBuffer stops
 * reading at the cap (the command then dies of SIGPIPE) where we keep draining up to 4x the cap.
 */
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { AosError } from '../../sys/errno.js';
import { type BindSources, sourceSlots } from './bind-sources.js';

export interface SuperviseOptions {
  file: string;
  args: string[];
  /** Written, then closed, on child fds 3, 4, ... The status fd follows them, then the lifeline. */
  inputs: string[];
  wallTimeoutMs: number;
  maxOutputBytes: number;
  signal?: AbortSignal;
  /** A duplex socket on the fd after the lifeline (the exec gate's), and the wall clock it may stop while a person decides. */
  control?: (socket: Socket, clock: WallClock) => void;
  /** Workspace paths bwrap binds by descriptor, at child fds from FIRST_SOURCE_FD on (bind-sources.ts). */
  sources?: BindSources;
  /** Written, then closed, on the child's stdin (a policy hook's call); stdin is /dev/null when absent. */
  stdin?: string;
}

export interface WallClock {
  pause(): void;
  resume(): void;
}

export interface ChildOutcome {
  stdout: string;
  stderr: string;
  /** What the child wrote on the fd after the inputs (bwrap's JSON status), last bytes only. */
  status: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  killed: boolean;
  timedOut: boolean;
  aborted: boolean;
  truncated: boolean;
}

const STATUS_KEEP_BYTES = 4096;
// After the child exits, its pipes close once the sandbox's last process is gone; do not wait on stragglers.
const DRAIN_GRACE_MS = 1000;
// The child gets nothing from our environment: bwrap's own environ stays readable inside at /proc/1/environ.
const CHILD_ENV = { PATH: '/usr/bin:/bin' };

/** The child fd that reaches end-of-file when we die: held open here, never written, closed when the child exits. */
export function lifelineFd(inputCount: number): number {
  return 4 + inputCount;
}

/** The child fd of the control socket, when there is one. */
export function controlFd(inputCount: number): number {
  return lifelineFd(inputCount) + 1;
}

/** A timer that can stop and go on: it fires after `ms` of running time. Pauses nest. */
function pausableTimer(ms: number, fire: () => void): WallClock & { clear(): void } {
  let left = ms;
  let since = Date.now();
  let timer: NodeJS.Timeout | undefined = setTimeout(fire, left);
  let paused = 0;
  let cleared = false;
  return {
    pause() {
      if (cleared || paused++ > 0) return;
      clearTimeout(timer);
      left -= Date.now() - since;
    },
    resume() {
      if (cleared || paused === 0 || --paused > 0) return;
      since = Date.now();
      timer = setTimeout(fire, Math.max(0, left));
    },
    clear() {
      cleared = true;
      clearTimeout(timer);
    },
  };
}

/**
 * Spawns `file` as its own process group and kills the whole group on timeout, abort or output flood.
 * Nothing here can act once we are SIGKILLed: the child watches its lifeline fd for that.
 */
export function superviseChild(options: SuperviseOptions): Promise<ChildOutcome> {
  const { inputs, maxOutputBytes } = options;
  const statusFd = 3 + inputs.length;
  const fixed = [
    options.stdin === undefined ? 'ignore' : 'pipe',
    'pipe',
    'pipe',
    ...inputs.map(() => 'pipe' as const),
    'pipe',
    'pipe',
    ...(options.control ? (['pipe'] as const) : []),
  ] as const;
  const child = spawn(options.file, options.args, {
    detached: true,
    cwd: '/',
    env: CHILD_ENV,
    stdio: [...fixed, ...sourceSlots(fixed.length, options.sources)],
  });
  const lifeline = child.stdio[lifelineFd(inputs.length)] as Socket;
  lifeline.on('error', () => undefined);
  const stdout = createOutputSink(maxOutputBytes);
  const stderr = createOutputSink(maxOutputBytes);
  let status = '';
  let killed = false;
  let timedOut = false;
  let aborted = false;

  const killGroup = (): void => {
    killed = true;
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // the group is already gone
    }
  };
  const watchFlood = (): void => {
    if (!killed && isFlooding(stdout, stderr, maxOutputBytes)) killGroup();
  };
  const outStream = child.stdout as Readable;
  const errStream = child.stderr as Readable;
  const statusStream = child.stdio[statusFd] as Readable;
  outStream.on('data', (chunk: Buffer) => {
    stdout.push(chunk);
    watchFlood();
  });
  errStream.on('data', (chunk: Buffer) => {
    stderr.push(chunk);
    watchFlood();
  });
  // The sandbox can reach this fd through /proc/1/fd, so keep only a bounded tail of it.
  statusStream.on('data', (chunk: Buffer) => {
    status = (status + chunk.toString('utf8')).slice(-STATUS_KEEP_BYTES);
  });
  if (options.stdin !== undefined && child.stdin) {
    // A child that exits without reading all of it closes the pipe: not an error of ours.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin);
  }
  inputs.forEach((text, index) => {
    const input = child.stdio[3 + index] as Writable;
    input.on('error', () => undefined);
    input.end(text);
  });
  const readables = [outStream, errStream, statusStream];
  for (const stream of readables) stream.on('error', () => undefined);

  const timer = pausableTimer(options.wallTimeoutMs, () => {
    timedOut = true;
    killGroup();
  });
  const control = options.control ? (child.stdio[controlFd(inputs.length)] as Socket) : undefined;
  if (control && options.control) options.control(control, timer);
  const onAbort = (): void => {
    aborted = true;
    killGroup();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const stopWatching = (): void => {
    timer.clear();
    options.signal?.removeEventListener('abort', onAbort);
  };

  return new Promise<ChildOutcome>((resolve, reject) => {
    child.once('error', (error) => {
      stopWatching();
      killGroup();
      lifeline.destroy();
      control?.destroy();
      reject(new AosError('EIO', `could not start the sandbox: ${error.message}`, { cause: error }));
    });
    child.once('exit', (code, signal) => {
      stopWatching();
      waitForDrain(readables).then(() => {
        for (const stream of [...readables, lifeline, ...(control ? [control] : [])]) stream.destroy();
        resolve({
          stdout: stdout.text(),
          stderr: stderr.text(),
          status,
          code,
          signal,
          killed,
          timedOut,
          aborted,
          truncated: stdout.overflowed || stderr.overflowed,
        });
      }, reject);
    });
  });
}

async function waitForDrain(streams: Readable[]): Promise<void> {
  const grace = AbortSignal.timeout(DRAIN_GRACE_MS);
  await Promise.all(streams.map((stream) => finished(stream, { signal: grace }).catch(() => undefined)));
}

// ---- output, kept up to a cap ----

/** Keeps the first `cap` bytes of a stream and counts (but drops) the rest. */
export interface OutputSink {
  push(chunk: Buffer): void;
  text(): string;
  readonly seenBytes: number;
  readonly overflowed: boolean;
}

export function createOutputSink(cap: number): OutputSink {
  const chunks: Buffer[] = [];
  let kept = 0;
  let seen = 0;
  return {
    push(chunk) {
      seen += chunk.length;
      if (kept >= cap) return;
      const piece = chunk.length > cap - kept ? chunk.subarray(0, cap - kept) : chunk;
      chunks.push(piece);
      kept += piece.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
    get seenBytes() {
      return seen;
    },
    get overflowed() {
      return seen > cap;
    },
  };
}

/** Past this much combined output the command is flooding: stop it rather than drain forever. */
export function isFlooding(stdout: OutputSink, stderr: OutputSink, cap: number): boolean {
  return (stdout.overflowed && stderr.overflowed) || stdout.seenBytes + stderr.seenBytes > 4 * cap;
}
