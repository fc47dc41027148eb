/**
 * Start the daemon like pm2 does: a detached child of the CLI that reports over an IPC channel
 * whether it is ready (socket listening), already running elsewhere, or failed (bad policy, ...),
 * then is cut loose. The CLI never waits on a child it started beyond this handshake.
 * node:child_process, not execa: this is in the CLI's bundle, where execa (150 modules, 300 KB)
 * would cost every verb's start-up, to save the few lines of execArgv filter and handshake here.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { checkStatePlacement, MisplacedState } from '../sys/host/state-placement.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastLoggedError, logSize } from '../client/daemon-log.js';
import type { AosPaths } from '../sys/host/paths.js';
import type { DaemonReport, StartOutcome } from '../protocol/daemon-report.js';

/**
 * daemon/aosd.ts under tsx, dist/daemon/aosd.js when built: the daemon's main, in the daemon's room
 * beside this one (cmd/, or dist/cmd/ where the CLI's bundle that holds this code sits).
 */
export function daemonEntry(name = 'aosd'): string {
  const here = fileURLToPath(import.meta.url);
  return path.join(path.dirname(here), '..', 'daemon', path.extname(here) === '.ts' ? `${name}.ts` : `${name}.js`);
}

/** Run a program of the daemon's room (`policy-check`) with the CLI's node flags; its stdout. */
export function runDaemonProgram(
  name: string,
  args: readonly string[],
): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [...daemonExecArgv(), daemonEntry(name), ...args], {
    encoding: 'utf8',
    env: process.env,
  });
  return { status: run.status, stdout: run.stdout ?? '', stderr: run.stderr ?? run.error?.message ?? '' };
}

/** The CLI's node flags minus a debugger's: a second inspector would fight over its port. */
function daemonExecArgv(): string[] {
  return process.execArgv.filter((arg) => !/^--(inspect|debug)/.test(arg));
}

/**
 * The daemon's reports until its last: each 'starting' is progress and gives it `timeoutMs` more (a
 * loaded machine or a large store is slow, not stuck); that long without news is a timeout.
 */
export function handshake(
  child: ChildProcess,
  timeoutMs: number,
  log: { file: string; from: number },
): Promise<StartOutcome> {
  return new Promise((resolve) => {
    let last: { pid: number; stage: string } | null = null;
    let timer = setTimeout(() => finish({ type: 'timeout', last }), timeoutMs);
    const finish = (outcome: StartOutcome): void => {
      clearTimeout(timer);
      child.removeAllListeners('message');
      child.removeAllListeners('exit');
      child.removeAllListeners('error');
      resolve(outcome);
    };
    child.on('message', (message: DaemonReport) => {
      if (message.type !== 'starting') return finish(message);
      last = { pid: message.pid, stage: message.stage };
      clearTimeout(timer);
      timer = setTimeout(() => finish({ type: 'timeout', last }), timeoutMs);
    });
    child.on('error', (error) =>
      finish({ type: 'failed', message: `cannot run ${process.execPath}: ${error.message}` }),
    );
    child.on('exit', (code) => finish({ type: 'exited', code, message: lastLoggedError(log.file, log.from) }));
  });
}

/** Spawn a daemon for `paths.home` and wait for its report (or its exit, or the timeout). */
export async function launchDaemon(paths: AosPaths, timeoutMs: number): Promise<StartOutcome> {
  // Nothing of aos is created where an agent could reach it: not the home, not the log (the daemon checks again).
  try {
    checkStatePlacement(paths);
  } catch (error) {
    if (error instanceof MisplacedState) return { type: 'failed', message: error.message };
    throw error;
  }
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  const from = logSize(paths.kernelLog);
  const logFd = openSync(paths.kernelLog, 'a', 0o600);
  let child: ChildProcess;
  try {
    // execArgv carries `--import tsx` when the CLI runs from source, so the daemon can too.
    child = spawn(process.execPath, [...daemonExecArgv(), daemonEntry()], {
      detached: true,
      stdio: ['ignore', logFd, logFd, 'ipc'],
      env: process.env,
    });
  } finally {
    closeSync(logFd);
  }
  const outcome = await handshake(child, timeoutMs, { file: paths.kernelLog, from });
  if (child.connected) child.disconnect();
  child.unref();
  return outcome;
}
