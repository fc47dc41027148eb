/**
 * One policy hook run (kernel/safety/hooks.ts): a program the operator named, in EXEC_CMD's sandbox
 * (the same bwrap options, rlimits, cgroup and guard), with the call as JSON on its stdin. It sees
 * no workspace (what it judges is on stdin: FS_WRITE's content, NET_FETCH's URL), no network, no
 * variable of the kernel's (bwrap's --clearenv: secrets never reach it), its own program file
 * read-only at the same path, and a scratch /tmp. Its output is kept up to a cap and a flood past it
 * is killed (supervise-child.ts), as is a run past its wall time.
 */
import { realpath, stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import {
  buildBwrapOptions,
  buildLimitedCommand,
  FD,
  GUARD_OWN_PIDS,
  guardedLaunch,
  renderSandboxEtcFiles,
} from './bwrap-args.js';
import { detectHostLayout, findBwrap } from './find-bwrap.js';
import { createSandboxCgroup } from './sandbox-cgroup.js';
import { lifelineFd, superviseChild } from './supervise-child.js';
import type { ExecLimits } from './types.js';

export interface HookRequest {
  /** The program (an absolute host path) and its arguments. */
  argv: readonly string[];
  /** The call as JSON. */
  stdin: string;
  timeoutMs: number;
  /** Kept of stdout and of stderr each. */
  maxOutputBytes: number;
  /** The calling process's kill: the hook dies with the call. */
  signal?: AbortSignal;
}

export interface HookOutcome {
  stdout: string;
  stderr: string;
  exit_code: number | null;
  signal: string | null;
  timed_out: boolean;
  /** It wrote more than the cap: the rest was dropped, and a flood killed it. */
  truncated: boolean;
  duration_ms: number;
}

const PLUMBING_PIDS = GUARD_OWN_PIDS + 2;
const PLUMBING_MEMORY_BYTES = 64 * 1024 * 1024;

/** Runs the hook to its end (or its kill); throws AosError when it cannot run at all (no bwrap, no program). */
export async function runHook(req: HookRequest): Promise<HookOutcome> {
  const program = req.argv[0];
  if (!program?.startsWith('/')) throw new AosError('EINVAL', `a hook's program must be an absolute path (${program})`);
  const real = await realpath(program).catch(() => null);
  const info = real === null ? null : await stat(real).catch(() => null);
  if (real === null || !info?.isFile() || (info.mode & 0o111) === 0)
    throw new AosError('ENOENT', `the hook program ${program} is not an executable file`);
  const bwrap = await findBwrap();
  if (!bwrap) throw new AosError('ENOSYS', 'hooks run in bubblewrap (bwrap), which is not installed');
  const layout = await detectHostLayout();
  if (!layout.prlimit || !layout.unshare) throw new AosError('ENOSYS', 'hooks need prlimit and unshare (util-linux)');
  const limits: ExecLimits = {
    wallTimeoutMs: req.timeoutMs,
    cpuSeconds: Math.max(1, Math.ceil(req.timeoutMs / 1000)),
    maxFileBytes: param.execMaxFileBytes,
    maxOpenFiles: param.execMaxOpenFiles,
    maxProcesses: param.execMaxProcesses,
    maxMemoryBytes: param.execMaxMemoryBytes,
    maxOutputBytes: req.maxOutputBytes,
  };
  // The program's real file at the path written, so a symlink swapped later changes nothing already bound.
  const options = buildBwrapOptions(null, limits, layout, {
    overlays: real.startsWith('/usr/') ? [] : ['--ro-bind', real, program],
  });
  const etc = renderSandboxEtcFiles(layout.shell);
  const inputs = [options.map((option) => `${option}\0`).join(''), etc.passwd, etc.group, etc.hosts];
  const command = [bwrap, '--args', String(FD.args), '--', ...buildLimitedCommand(req.argv, limits, layout.prlimit)];
  const cgroup = await createSandboxCgroup({
    maxPids: limits.maxProcesses + PLUMBING_PIDS,
    maxMemoryBytes: limits.maxMemoryBytes + 2 * limits.maxFileBytes + PLUMBING_MEMORY_BYTES,
  });
  const started = performance.now();
  try {
    const outcome = await superviseChild({
      ...guardedLaunch(command, {
        unshare: layout.unshare,
        lifelineFd: lifelineFd(inputs.length),
        procsPaths: cgroup?.procsPaths ?? [],
        asRoot: process.getuid?.() === 0,
        keepStdin: true,
      }),
      inputs,
      stdin: req.stdin,
      wallTimeoutMs: req.timeoutMs,
      maxOutputBytes: req.maxOutputBytes,
      ...(req.signal ? { signal: req.signal } : {}),
    });
    if (outcome.aborted) throw new AosError('EINTR', 'the hook was interrupted: its process is being killed');
    const status = [...outcome.status.matchAll(/"exit-code"\s*:\s*(\d+)/g)].at(-1)?.[1];
    if (status === undefined && !outcome.killed) {
      const reason = outcome.stderr.split('\n').find((l) => l.trim() !== '') ?? `exit status ${String(outcome.code)}`;
      throw new AosError('EIO', `bwrap could not set up the hook's sandbox: ${reason}`);
    }
    const code = status === undefined ? null : Number(status);
    return {
      stdout: outcome.stdout,
      stderr: outcome.stderr,
      exit_code: code !== null && code <= 128 ? code : null,
      signal: code !== null && code > 128 ? `signal ${code - 128}` : outcome.killed ? 'SIGKILL' : null,
      timed_out: outcome.timedOut,
      truncated: outcome.truncated,
      duration_ms: Math.round(performance.now() - started),
    };
  } finally {
    await cgroup?.remove();
  }
}
