/**
 * Starts a stdio MCP server inside EXEC_CMD's sandbox (drivers/exec): the same bwrap options,
 * rlimits, cgroup and guard, so the server dies with the kernel however the kernel dies. Unlike
 * EXEC_CMD it lives on: stdin and stdout stay open for JSON-RPC.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { AosError } from '../../sys/errno.js';
import { buildBwrapOptions, buildLimitedCommand, FD } from '../exec/bwrap-args.js';
import { findBwrap } from '../exec/find-bwrap.js';
import { detectHostLayout } from '../exec/host-layout.js';
import { GUARD_OWN_PIDS, guardedLaunch } from '../exec/launch-guard.js';
import { createSandboxCgroup, type SandboxCgroup } from '../exec/sandbox-cgroup.js';
import { renderSandboxEtcFiles } from '../exec/sandbox-etc.js';
import { lifelineFd } from '../exec/supervise-child.js';
import type { ExecLimits } from '../exec/types.js';
import type { McpLimits, StdioServerConfig } from './types.js';

export interface SandboxedServer {
  child: ChildProcess;
  /** Kill the whole sandbox (the guard's process group) and remove its cgroup. */
  kill(): Promise<void>;
}

// The child gets nothing from our environment: bwrap's own environ stays readable inside at /proc/1/environ.
const CHILD_ENV = { PATH: '/usr/bin:/bin' };

function execLimits(limits: McpLimits): ExecLimits {
  return {
    wallTimeoutMs: 0,
    cpuSeconds: limits.cpuSeconds,
    maxFileBytes: limits.maxFileBytes,
    maxOpenFiles: limits.maxOpenFiles,
    maxProcesses: limits.maxProcesses,
    maxMemoryBytes: limits.maxMemoryBytes,
    maxOutputBytes: 0,
  };
}

/** `overlays`: the policy's fs rules over what it sees of the workspace (sandbox-rules.ts), applied after every other mount. */
export async function launchSandboxedServer(config: StdioServerConfig, workspace: string, limits: McpLimits, overlays: readonly string[] = []): Promise<SandboxedServer> {
  const bwrap = await findBwrap();
  if (!bwrap) throw new AosError('ENOSYS', 'MCP stdio servers run in bubblewrap (bwrap), which is not installed: run `apt-get install -y bubblewrap`');
  const layout = await detectHostLayout();
  if (!layout.prlimit || !layout.unshare) throw new AosError('ENOSYS', 'MCP stdio servers need prlimit and unshare: run `apt-get install -y util-linux`');
  const sandbox = execLimits(limits);
  const options = buildBwrapOptions(config.workspace ? workspace : null, sandbox, layout, {
    readPaths: await withRealPaths(config.read),
    writePaths: await withRealPaths(config.write),
    network: config.network,
    env: config.env,
    ...(overlays.length ? { overlays } : {}),
  });
  const command = [bwrap, '--args', String(FD.args), '--', ...buildLimitedCommand([config.command, ...config.args], sandbox, layout.prlimit)];
  const etc = renderSandboxEtcFiles(layout.shell);
  const inputs = [options.map((option) => `${option}\0`).join(''), etc.passwd, etc.group, etc.hosts];
  const cgroup = await createSandboxCgroup({ maxPids: limits.maxProcesses + GUARD_OWN_PIDS + 2, maxMemoryBytes: limits.maxMemoryBytes + 2 * limits.maxFileBytes });
  const launch = guardedLaunch(command, {
    unshare: layout.unshare,
    lifelineFd: lifelineFd(inputs.length),
    procsPaths: cgroup?.procsPaths ?? [],
    asRoot: process.getuid?.() === 0,
    keepStdin: true,
  });
  // stdin, stdout, stderr, the inputs, bwrap's status fd (drained, unused), the lifeline (never written).
  const child = spawn(launch.file, launch.args, {
    detached: true,
    cwd: '/',
    env: CHILD_ENV,
    stdio: ['pipe', 'pipe', 'pipe', ...inputs.map(() => 'pipe' as const), 'pipe', 'pipe'],
  });
  feedInputs(child, inputs);
  return { child, kill: () => killSandbox(child, cgroup) };
}

/**
 * Each path, and where it really is when a symlink leads elsewhere (a linked node_modules): node
 * resolves its modules by real path, which must be in the sandbox too. Missing paths fail the start.
 */
async function withRealPaths(paths: readonly string[]): Promise<string[]> {
  const all: string[] = [];
  for (const p of paths) {
    const real = await realpath(p).catch((error: NodeJS.ErrnoException) => {
      throw new AosError('EIO', `the MCP server's declared path ${p} cannot be used: ${error.code ?? error.message}`);
    });
    all.push(p);
    if (real !== p) all.push(real);
  }
  return [...new Set(all)];
}

function feedInputs(child: ChildProcess, inputs: string[]): void {
  inputs.forEach((text, index) => {
    const input = child.stdio[3 + index] as Writable;
    input.on('error', () => undefined);
    input.end(text);
  });
  const status = child.stdio[3 + inputs.length] as Readable | null;
  status?.on('error', () => undefined);
  status?.resume();
  const lifeline = child.stdio[lifelineFd(inputs.length)] as Socket | null;
  lifeline?.on('error', () => undefined);
  child.once('exit', () => lifeline?.destroy());
}

async function killSandbox(child: ChildProcess, cgroup: SandboxCgroup | null): Promise<void> {
  const running = child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  const exited = running ? new Promise<void>((resolve) => child.once('exit', () => resolve())) : Promise.resolve();
  if (child.pid !== undefined) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // the group is already gone
    }
  }
  await exited;
  await cgroup?.remove();
}
