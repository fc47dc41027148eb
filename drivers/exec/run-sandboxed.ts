import { performance } from 'node:perf_hooks';
import { AosError } from '../../sys/errno.js';
import { buildBwrapOptions, buildLimitedCommand, FD } from './bwrap-args.js';
import { checkRequest } from './check-request.js';
import { decodeExitStatus, parseBwrapStatus } from './exit-status.js';
import { findBwrap } from './find-bwrap.js';
import { detectHostLayout, type HostLayout } from './host-layout.js';
import { GUARD_OWN_PIDS, guardedLaunch } from './launch-guard.js';
import { createSandboxCgroup } from './sandbox-cgroup.js';
import { renderSandboxEtcFiles } from './sandbox-etc.js';
import { lifelineFd, superviseChild, type ChildOutcome } from './supervise-child.js';
import type { ExecRequest, ExecResult } from './types.js';
import { mountArgs, planMounts, resolveMounts } from './scoped-mounts.js';
import { hiddenCwd, makeDirOutsideRules, ruleMounts, workspaceView } from './rule-mounts.js';
import { ruleNote } from './rule-note.js';
import type { Protection } from './rule-protections.js';
import { BindSources } from './bind-sources.js';
import { workingDirectory } from './working-dir.js';
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
 * dies (launch-guard.ts). Never runs anything unconfined.
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

  const gate: PreparedGate | null = await prepareGate(req, layout);
  // A secret run sees what it may read, read-only: it leaves nothing of the secret behind.
  const grants = req.grants && req.secret ? { read: [...req.grants.read, ...req.grants.write], write: [] } : req.grants;
  const makeDir = makeDirOutsideRules(req.makeDir, req.fsRules);
  const resolved = grants ? await resolveMounts(req.workspace, planMounts(grants), makeDir) : null;
  const chdir = await workingDirectory(req.workspace, req.cwd ?? '/', grants, makeDir);
  // The policy's fs rules, held by what the sandbox mounts over the views above.
  const views = (resolved ?? [{ path: '/', writable: !req.secret }]).map((m) => workspaceView(req.workspace, m));
  const rules = await ruleMounts(req.workspace, views, req.fsRules, req.makeDir);
  const hidden = hiddenCwd(rules.protections, req.cwd ?? '/');
  if (hidden) throw new AosError('EACCES', `EXEC_CMD: your working directory ${req.cwd ?? '/'} is hidden from commands by the policy rule ${hidden.rules.map((r) => r.text).join(', ')}`);
  // Workspace paths are bound by descriptor, opened last (bind-sources.ts); closed here once the run is over.
  const sources = new BindSources(req.workspace);
  try {
    const tools = { bwrap, layout: { ...layout, prlimit: layout.prlimit, unshare: layout.unshare }, gate, chdir, protections: rules.protections };
    return await runIn(req, sources, resolved ? mountArgs(resolved, sources) : undefined, rules.args(sources), tools);
  } finally {
    sources.close();
  }
}

interface Prepared {
  bwrap: string;
  layout: HostLayout & { prlimit: string; unshare: string };
  gate: PreparedGate | null;
  chdir: string | null;
  protections: Protection[];
}

async function runIn(req: ExecRequest, sources: BindSources, mounts: string[] | undefined, overlays: string[], { bwrap, layout, gate, chdir, protections }: Prepared): Promise<ExecResult> {
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
  const command = gate ? gateCommand(req, gate, layout.shell, inputs.length) : buildLimitedCommand([layout.shell, '-c', req.cmd], limits, layout.prlimit);
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
    const note = ruleNote(result, protections, req.cwd ?? '/');
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
    const reason = outcome.stderr.split('\n').find((line) => line.trim() !== '') ?? `exit status ${String(outcome.code)}`;
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
