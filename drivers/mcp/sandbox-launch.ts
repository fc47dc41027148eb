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
import {
  buildBwrapOptions,
  buildLimitedCommand,
  FD,
  GUARD_OWN_PIDS,
  guardedLaunch,
  renderSandboxEtcFiles,
} from '../exec/bwrap-args.js';
import { detectHostLayout, findBwrap, type HostLayout } from '../exec/find-bwrap.js';
import { BindSources, sourceSlots } from '../exec/bind-sources.js';
import { isInsideRoot } from '../fs/host-confine.js';
import { createSandboxCgroup, type SandboxCgroup } from '../exec/sandbox-cgroup.js';
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

/** The policy's fs rules' bwrap options over what a server sees of the workspace (sandbox-rules.ts), workspace paths bound through `sources`. */
export type Overlays = (sources: BindSources) => string[];

/** `overlays`: the policy's fs rules over what it sees of the workspace (sandbox-rules.ts), applied after every other mount. */
export async function launchSandboxedServer(
  config: StdioServerConfig,
  workspace: string,
  limits: McpLimits,
  overlays: Overlays = () => [],
): Promise<SandboxedServer> {
  const bwrap = await findBwrap();
  if (!bwrap)
    throw new AosError(
      'ENOSYS',
      'MCP stdio servers run in bubblewrap (bwrap), which is not installed: run `apt-get install -y bubblewrap`',
    );
  const layout = await detectHostLayout();
  if (!layout.prlimit || !layout.unshare)
    throw new AosError('ENOSYS', 'MCP stdio servers need prlimit and unshare: run `apt-get install -y util-linux`');
  const sandbox = execLimits(limits);
  // Workspace paths are bound by descriptor (bind-sources.ts); this process's copies are closed once the child has its own.
  const sources = new BindSources(workspace);
  try {
    // The declared paths first, then the fs rules' overlays over them.
    const binds = [...(await declaredBinds(config, workspace, sources)), ...overlays(sources)];
    const options = buildBwrapOptions(config.workspace ? workspace : null, sandbox, layout, {
      network: config.network,
      env: config.env,
      ...(binds.length ? { overlays: binds } : {}),
    });
    return await spawnServer(config, limits, {
      bwrap,
      layout: { ...layout, prlimit: layout.prlimit, unshare: layout.unshare },
      options,
      sources,
    });
  } finally {
    sources.close();
  }
}

async function spawnServer(
  config: StdioServerConfig,
  limits: McpLimits,
  {
    bwrap,
    layout,
    options,
    sources,
  }: {
    bwrap: string;
    layout: HostLayout & { prlimit: string; unshare: string };
    options: string[];
    sources: BindSources;
  },
): Promise<SandboxedServer> {
  const sandbox = execLimits(limits);
  const command = [
    bwrap,
    '--args',
    String(FD.args),
    '--',
    ...buildLimitedCommand([config.command, ...config.args], sandbox, layout.prlimit),
  ];
  const etc = renderSandboxEtcFiles(layout.shell);
  const inputs = [options.map((option) => `${option}\0`).join(''), etc.passwd, etc.group, etc.hosts];
  const cgroup = await createSandboxCgroup({
    maxPids: limits.maxProcesses + GUARD_OWN_PIDS + 2,
    maxMemoryBytes: limits.maxMemoryBytes + 2 * limits.maxFileBytes,
  });
  const launch = guardedLaunch(command, {
    unshare: layout.unshare,
    lifelineFd: lifelineFd(inputs.length),
    procsPaths: cgroup?.procsPaths ?? [],
    asRoot: process.getuid?.() === 0,
    keepStdin: true,
  });
  // stdin, stdout, stderr, the inputs, bwrap's status fd (drained, unused), the lifeline (never written).
  const fixed = ['pipe', 'pipe', 'pipe', ...inputs.map(() => 'pipe' as const), 'pipe', 'pipe'] as const;
  const child = spawn(launch.file, launch.args, {
    detached: true,
    cwd: '/',
    env: CHILD_ENV,
    stdio: [...fixed, ...sourceSlots(fixed.length, sources)],
  });
  feedInputs(child, inputs);
  return { child, kill: () => killSandbox(child, cgroup) };
}

/**
 * The declared host paths' binds: each at its own path and, when a symlink leads elsewhere (a
 * linked node_modules), at its real path too (node resolves its modules by real path), always from
 * the real path resolved here. One in the workspace, or led into it, is bound by descriptor
 * (bind-sources.ts): a command may swap it for a symlink out of the workspace. One in the workspace
 * that a symlink leads through is refused: a command could have made it. Missing paths fail the start.
 */
async function declaredBinds(config: StdioServerConfig, workspace: string, sources: BindSources): Promise<string[]> {
  const args: string[] = [];
  for (const [paths, writable] of [
    [config.read, false],
    [config.write, true],
  ] as const) {
    for (const p of paths) {
      const real = await realpath(p).catch((error: NodeJS.ErrnoException) => {
        throw new AosError('EIO', `the MCP server's declared path ${p} cannot be used: ${error.code ?? error.message}`);
      });
      if (real !== p && isInsideRoot(workspace, p)) {
        throw new AosError(
          'EACCES',
          `the MCP server's declared path ${p} lies in the workspace and leads through a symbolic link (to ${real}): the server does not start until it is a plain directory again`,
        );
      }
      for (const at of new Set([p, real])) args.push(...sources.bind(real, at, writable));
    }
  }
  return args;
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
