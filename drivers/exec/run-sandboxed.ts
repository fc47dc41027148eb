/**
 * One EXEC_CMD run, from the request to its result: the request checked (nothing that would weaken
 * the sandbox), the sandbox planned (scoped mounts, the working directory, and — only when the
 * policy has them — its fs rules' mounts and the exec gate), bwrap started under the guard in a
 * cgroup of its own, supervised, and its status decoded (bwrap's report, a signal as 128+N).
 */
import { realpath, stat } from 'node:fs/promises';
import { constants } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { AosError, errnoFromNode } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import {
  buildBwrapOptions,
  buildLimitedCommand,
  FD,
  GUARD_OWN_PIDS,
  guardedLaunch,
  renderSandboxEtcFiles,
} from './bwrap-args.js';
import { detectHostLayout, findBwrap, type HostLayout } from './find-bwrap.js';
import { createSandboxCgroup } from './sandbox-cgroup.js';
import { lifelineFd, superviseChild, type ChildOutcome } from './supervise-child.js';
import type { ExecLimits, ExecRequest, ExecResult } from './types.js';
import { commandGrants, mountArgs, planMounts, resolveMounts, workingDirectory } from './scoped-mounts.js';
import { hiddenCwd, makeDirOutsideRules, ruleMounts, workspaceView } from './rule-mounts.js';
import { beginHold } from '../fs-held.js';
import { ruleNote } from './rule-note.js';
import type { Protection } from './rule-protections.js';
import { BindSources } from './bind-sources.js';
import { gateCommand, prepareGate, type PreparedGate } from './gate/gate-run.js';

// The guard, its watcher, the outer bwrap and bwrap's pid-1 reaper share the cgroup with the command.
const PLUMBING_PIDS = GUARD_OWN_PIDS + 2;
// Memory for bwrap, the shell and small tools, so one process hitting its own data limit gets a
// readable allocation error rather than the cgroup's OOM kill.
const PLUMBING_MEMORY_BYTES = 64 * 1024 * 1024;
let warnedNoCgroup = false;

/**
 * Runs `req.cmd` with bash inside a bubblewrap sandbox: no network, no host files except a
 * read-only /usr and a few /etc entries, the workspace read-write at /workspace, rlimits set,
 * and the whole process tree killed on timeout, on abort, or when this process dies however it
 * dies (bwrap-args.ts guardedLaunch). Never runs anything unconfined.
 */
export async function runSandboxed(req: ExecRequest): Promise<ExecResult> {
  await checkRequest(req);
  const bwrap = await findBwrap();
  if (!bwrap) {
    throw new AosError(
      'ENOSYS',
      'EXEC_CMD needs bubblewrap (bwrap), which is not installed: run `apt-get install -y bubblewrap`',
    );
  }
  const layout = await detectHostLayout();
  if (!layout.prlimit || !layout.unshare) {
    const missing = layout.prlimit ? 'unshare to tie the sandbox to the kernel' : 'prlimit to enforce limits';
    throw new AosError('ENOSYS', `EXEC_CMD needs ${missing}: run \`apt-get install -y util-linux\``);
  }
  if (req.signal?.aborted) throw interrupted();

  // The gate and the fs rules' mounts only when the policy has exec rules, secrets or fs rules: a run without them runs none of their code.
  const gate: PreparedGate | null = req.gate || req.secret ? await prepareGate(req, layout) : null;
  const ruled = (req.fsRules?.length ?? 0) > 0;
  // What a command may see: what its process may read, wildcard grants where they match (scoped-mounts.ts
  // commandGrants). A secret run sees it read-only: it leaves nothing of the secret behind.
  const seen = req.grants && (await commandGrants(req.workspace, req.grants, param.execRuleWalkEntries));
  const grants = seen && req.secret ? { read: [...seen.read, ...seen.write], write: [] } : seen;
  const makeDir = ruled ? makeDirOutsideRules(req.makeDir, req.fsRules) : req.makeDir;
  const resolved = grants ? await resolveMounts(req.workspace, planMounts(grants), makeDir) : null;
  const chdir = await workingDirectory(req.workspace, req.cwd ?? '/', grants, makeDir);
  // The policy's fs rules, held by what the sandbox mounts over the views above.
  const views = ruled
    ? (resolved ?? [{ path: '/', writable: !req.secret }]).map((m) => workspaceView(req.workspace, m))
    : [];
  // What its mounts will sit on is not taken from under them by the fs driver while it runs
  // (../fs-held.ts): held from before they are planned (once the renames begun before have landed), their paths once they are.
  const hold = ruled
    ? await beginHold({
        what: 'an EXEC_CMD',
        rules: req.fsRules ?? [],
        root: req.workspace,
        views: views.map((view) => view.path),
      })
    : null;
  try {
    const rules = ruled ? await ruleMounts(req.workspace, views, req.fsRules, req.makeDir) : null;
    hold?.planned(rules?.held ?? []);
    const hidden = rules ? hiddenCwd(rules.protections, req.cwd ?? '/') : undefined;
    if (hidden)
      throw new AosError(
        'EACCES',
        `EXEC_CMD: your working directory ${req.cwd ?? '/'} is hidden from commands by the policy rule ${hidden.rules.map((r) => r.text).join(', ')}`,
      );
    // Workspace paths are bound by descriptor, opened last (bind-sources.ts); closed here once the run is over.
    // What the hold took by identity is what gets bound (a view swapped meanwhile is refused).
    const held =
      hold && new Map([...hold.ids()].map(([p, id]) => [p === '/' ? req.workspace : path.join(req.workspace, p), id]));
    const sources = new BindSources(req.workspace, held || undefined);
    try {
      const tools = {
        bwrap,
        layout: { ...layout, prlimit: layout.prlimit, unshare: layout.unshare },
        gate,
        chdir,
        protections: rules?.protections ?? [],
      };
      return await runIn(
        req,
        sources,
        resolved ? mountArgs(resolved, sources) : undefined,
        rules?.args(sources) ?? [],
        tools,
      );
    } finally {
      sources.close();
    }
  } finally {
    hold?.release();
  }
}

interface Prepared {
  bwrap: string;
  layout: HostLayout & { prlimit: string; unshare: string };
  gate: PreparedGate | null;
  chdir: string | null;
  protections: Protection[];
}

async function runIn(
  req: ExecRequest,
  sources: BindSources,
  mounts: string[] | undefined,
  overlays: string[],
  { bwrap, layout, gate, chdir, protections }: Prepared,
): Promise<ExecResult> {
  const { limits } = req;
  const etc = renderSandboxEtcFiles(layout.shell);
  const options = buildBwrapOptions(req.workspace, limits, layout, {
    ...(chdir === null ? {} : { chdir }),
    ...(mounts ? { workspaceMounts: mounts } : {}),
    ...(overlays.length ? { overlays } : {}),
    ...(gate ? { gate: gate.binary, ...(req.secret ? { readOnlyWorkspace: true, home: '/tmp' } : {}) } : {}),
  });
  const inputs = [options.map((option) => `${option}\0`).join(''), etc.passwd, etc.group, etc.hosts];
  // Under the gate the rlimits are the gate's to set (one exec less); otherwise prlimit sets them.
  const command = gate
    ? gateCommand(req, gate, layout.shell, inputs.length)
    : buildLimitedCommand([layout.shell, '-c', req.cmd], limits, layout.prlimit);
  const bwrapCommand = [bwrap, '--args', String(FD.args), '--', ...command];
  const cgroup = await createSandboxCgroup({
    maxPids: limits.maxProcesses + PLUMBING_PIDS,
    // The data limit is per process; this caps them all together, with the two scratch tmpfs they may fill.
    maxMemoryBytes: limits.maxMemoryBytes + 2 * limits.maxFileBytes + PLUMBING_MEMORY_BYTES,
  });
  if (!cgroup?.memoryCapped) warnNoCgroup(cgroup === null);

  const started = performance.now();
  try {
    const outcome = await superviseChild({
      ...guardedLaunch(bwrapCommand, {
        unshare: layout.unshare,
        lifelineFd: lifelineFd(inputs.length),
        procsPaths: cgroup?.procsPaths ?? [],
        asRoot: process.getuid?.() === 0,
      }),
      inputs,
      wallTimeoutMs: limits.wallTimeoutMs,
      maxOutputBytes: limits.maxOutputBytes,
      ...(req.signal ? { signal: req.signal } : {}),
      ...(gate ? { control: gate.serve } : {}),
      sources,
    });
    const result = toResult(outcome, Math.round(performance.now() - started));
    const refused = gate?.refused() ?? [];
    const note = protections.length > 0 ? ruleNote(result, protections, req.cwd ?? '/') : null;
    return { ...result, ...(refused.length ? { refused } : {}), ...(note ? { note } : {}) };
  } finally {
    await cgroup?.remove();
  }
}

function toResult(outcome: ChildOutcome, durationMs: number): ExecResult {
  if (outcome.aborted) throw interrupted();
  const status = parseBwrapStatus(outcome.status);
  let exit: { exit_code: number | null; signal: string | null };
  if (status !== null) {
    exit = decodeExitStatus(status);
  } else if (outcome.killed) {
    exit = { exit_code: null, signal: outcome.signal ?? 'SIGKILL' };
  } else {
    // bwrap exits before reporting the command's status only when it could not build the sandbox.
    const reason =
      outcome.stderr.split('\n').find((line) => line.trim() !== '') ?? `exit status ${String(outcome.code)}`;
    throw new AosError('EIO', `bwrap could not set up the sandbox: ${reason}`);
  }
  return {
    stdout: outcome.stdout,
    stderr: outcome.stderr,
    ...exit,
    truncated: outcome.truncated,
    timed_out: outcome.timedOut,
    duration_ms: durationMs,
  };
}

function interrupted(): AosError {
  return new AosError('EINTR', 'EXEC_CMD was interrupted before the command finished');
}

function warnNoCgroup(noPids: boolean): void {
  if (warnedNoCgroup || process.getuid?.() !== 0) return;
  warnedNoCgroup = true;
  process.emitWarning(
    noPids
      ? 'aos runs as root and no pids cgroup is writable: EXEC_CMD cannot cap the number of processes or their total memory'
      : 'aos runs as root and no memory cgroup is writable: EXEC_CMD caps memory per process only, not in total',
    { code: noPids ? 'AOS_EXEC_NO_PIDS_LIMIT' : 'AOS_EXEC_NO_MEMORY_LIMIT' },
  );
}

// ---- the request, checked before anything is planned ----

const LIMIT_NAMES: (keyof ExecLimits)[] = [
  'wallTimeoutMs',
  'cpuSeconds',
  'maxFileBytes',
  'maxOpenFiles',
  'maxProcesses',
  'maxMemoryBytes',
  'maxOutputBytes',
];

/** Rejects requests that would weaken the sandbox (bad limits, a workspace that is not a plain directory). */
async function checkRequest(req: ExecRequest): Promise<void> {
  if (typeof req.cmd !== 'string' || req.cmd.includes('\0')) {
    throw new AosError('EINVAL', 'EXEC_CMD needs a command string without NUL bytes');
  }
  for (const name of LIMIT_NAMES) {
    const value = req.limits[name];
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new AosError('EINVAL', `exec limit ${name} must be a positive integer, got ${String(value)}`);
    }
  }
  await checkWorkspace(req.workspace);
}

async function checkWorkspace(workspace: string): Promise<void> {
  if (!path.isAbsolute(workspace) || path.resolve(workspace) === '/') {
    throw new AosError('EINVAL', `exec workspace must be an absolute path below /, got ${workspace}`);
  }
  try {
    // A symlinked workspace could be re-pointed between the check and bwrap's bind.
    if ((await realpath(workspace)) !== path.resolve(workspace)) {
      throw new AosError('EINVAL', `exec workspace must be a resolved path (no symlinks): ${workspace}`);
    }
    if (!(await stat(workspace)).isDirectory()) {
      throw new AosError('ENOTDIR', `exec workspace is not a directory: ${workspace}`);
    }
  } catch (error) {
    if (error instanceof AosError) throw error;
    throw new AosError(errnoFromNode(error), `exec workspace is not usable: ${workspace}`, { cause: error });
  }
}

// ---- the status bwrap reports ----

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, number]) => [number, name]));

/** The "exit-code" bwrap reports once the command itself has ended; absent if setup failed. */
export function parseBwrapStatus(statusText: string): number | null {
  const matches = [...statusText.matchAll(/"exit-code"\s*:\s*(\d+)/g)];
  const last = matches.at(-1)?.[1];
  return last === undefined ? null : Number(last);
}

/**
 * bwrap's init reaper reports a command killed by signal N as status 128+N, the shell
 * convention, so that is decoded back to a signal. A command that itself runs `exit 137`
 * is indistinguishable and is reported as SIGKILL.
 */
export function decodeExitStatus(status: number): { exit_code: number | null; signal: string | null } {
  const name = status > 128 ? SIGNAL_NAMES.get(status - 128) : undefined;
  return name ? { exit_code: null, signal: name } : { exit_code: status, signal: null };
}
