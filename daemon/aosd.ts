#!/usr/bin/env node
/**
 * The kernel daemon, one per AOS_HOME. Started by the CLI (cmd/launch.ts, which waits for the
 * reports sent here) or by hand in the foreground.
 *
 * This entry takes the pid-file lock before it loads the kernel (kernel-code.ts): CLIs
 * that race to start one home each launch a daemon, and the losers answer 'running' for the cost of
 * node's own start instead of loading a kernel they will never run (twenty at once starved every
 * other start on the machine past its deadline).
 */
import { mkdir } from 'node:fs/promises';
import { loadDotEnv } from '../sys/host/dotenv.js';
import { aosPaths } from '../sys/host/paths.js';
import { checkStatePlacement } from '../sys/host/state-placement.js';
import type { DaemonReport } from '../protocol/daemon-report.js';
import { openDaemonLog, rotateLog } from './log.js';
import { loadKernel } from './kernel-code.js';
import { acquirePidLock } from './pid-lock.js';

loadDotEnv();
const paths = aosPaths();

/**
 * Tell the CLI that started us (if any) how far the start has come; a final report ('ready',
 * 'running', 'failed') cuts the channel.
 */
function report(message: DaemonReport): Promise<void> {
  const send = process.send?.bind(process);
  if (!send || !process.connected) return Promise.resolve();
  return new Promise((resolve) => {
    send(message, undefined, undefined, () => {
      if (message.type !== 'starting' && process.connected) process.disconnect();
      resolve();
    });
  });
}

// Before anything is written, the log included: aos's own files never go where an agent can reach
// them (sys/host/state-placement.ts). The refusal goes to the CLI that started us, or to stderr.
try {
  checkStatePlacement(paths);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  if (typeof process.send === 'function') await report({ type: 'failed', message });
  else process.stderr.write(`aosd: ${message}\n`);
  process.exit(1);
}

const log = openDaemonLog(paths.kernelLog, { echo: typeof process.send !== 'function' });
await mkdir(paths.home, { recursive: true, mode: 0o700 });
rotateLog(paths.kernelLog);
const locked = await acquirePidLock(paths.pidFile);
if (!locked.acquired) {
  log('info', `kernel pid ${locked.holder} already holds ${paths.pidFile}; not starting a second one`);
  await report({ type: 'running', pid: locked.holder });
  process.exit(0);
}
const lock = locked.lock;
// Stopped while the kernel loads: the lock goes with us (the body sets its own handlers).
const stopWhileLoading = (): void => void lock.release().finally(() => process.exit(0));
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, stopWhileLoading);
await report({ type: 'starting', pid: process.pid, stage: 'loading the kernel' });
const code = await loadKernel(paths.kernelCode);
if (code.source !== 'modules') log('info', `kernel loaded from its bundle (${code.source.slice('bundle, '.length)})`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.off(signal, stopWhileLoading);
await code.kernel.runDaemon({
  paths,
  log,
  lock,
  // Ready: what the start compiled is kept for the next one (once a build; ~2 MB in the home).
  report: (message) => {
    if (message.type === 'ready') setImmediate(code.keep);
    return report(message);
  },
});
