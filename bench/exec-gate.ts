/**
 * What the exec gate costs an EXEC_CMD (issue 27): the same commands through the real sandbox with
 * and without the gate, interleaved, on a policy of two rules (`deny: exec:rm *`, `ask: exec:git
 * push*`) whose programs never run, so every exec is checked and let go:
 * - `true`: the whole run of a bare command (bwrap, the gate's start, its control socket);
 * - a build-like loop that forks and execs `--procs` processes (`/bin/true` each), the gate's
 *   worst case: one stop and one check per exec;
 * - `true` under the gate every run carries with a policy from a file and no exec rule (it is
 *   there so an edit that adds one reaches the running command: issue 46.10);
 * - a script program's rule (`deny: exec:npm *`): node becomes a stop, so `node -e 0` is put to
 *   the kernel each time; the added time per interpreter run.
 *
 *   node --import tsx bench/exec-gate.ts [--runs 30] [--build-runs 5] [--procs 1000] [--node-runs 20] [--interp-runs 5]
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execLimits } from '../drivers/exec/driver.js';
import { runSandboxed } from '../drivers/exec/run-sandboxed.js';
import { findBwrap } from '../drivers/exec/find-bwrap.js';
import { findGate } from '../drivers/exec/gate/gate-binary.js';
import type { ExecGate } from '../sys/driver-api.js';
import { figure, flag, report } from './report.js';

const runs = Number(flag('runs', '30'));
const buildRuns = Number(flag('build-runs', '5'));
const procs = Number(flag('procs', '1000'));
/** The interpreter case (no target): pairs of loops of `--node-runs` \`node -e 0\`. */
const nodeRuns = Number(flag('node-runs', '20'));
const interpRuns = Number(flag('interp-runs', String(buildRuns)));

if (!(await findBwrap()) || !(await findGate())) {
  console.error('exec-gate bench: needs bwrap and the built exec gate');
  process.exit(1);
}

const workspace = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'aos-bench-gate-')));
const ruled: ExecGate = { programs: ['rm', 'git'], decide: () => ({ allow: true }) };
const idle: ExecGate = { programs: [], optional: true, decide: () => ({ allow: true }) };
const script: ExecGate = { programs: ['npm'], decide: () => ({ allow: true }) };
let gate = ruled;
const limits = { ...execLimits(), wallTimeoutMs: 600_000 };

async function time(cmd: string, gated: boolean): Promise<number> {
  const t0 = performance.now();
  const result = await runSandboxed({ cmd, workspace, limits, ...(gated ? { gate } : {}) });
  if (result.exit_code !== 0) throw new Error(`${cmd} failed: ${result.stderr}`);
  return performance.now() - t0;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** `n` interleaved pairs (without, with), after one warm-up pair. */
async function pairs(cmd: string, n: number): Promise<{ plain: number[]; gated: number[] }> {
  await time(cmd, false);
  await time(cmd, true);
  const plain: number[] = [];
  const gated: number[] = [];
  for (let i = 0; i < n; i++) {
    plain.push(await time(cmd, false));
    gated.push(await time(cmd, true));
  }
  return { plain, gated };
}

try {
  const bare = await pairs('true', runs);
  const build = await pairs(`for i in $(seq ${procs}); do /bin/true; done`, buildRuns);
  gate = idle;
  const idleBare = await pairs('true', runs);
  gate = script;
  const interp = await pairs(`for i in $(seq ${nodeRuns}); do node -e 0; done`, interpRuns);
  const bareAdded = median(bare.gated) - median(bare.plain);
  const buildRatio = median(build.gated) / median(build.plain);
  const idleAdded = median(idleBare.gated) - median(idleBare.plain);
  const interpAdded = (median(interp.gated) - median(interp.plain)) / nodeRuns;
  report(
    'exec-gate',
    {
      runs,
      build_runs: buildRuns,
      procs,
      bare_ms: { plain: median(bare.plain), gated: median(bare.gated) },
      build_ms: { plain: median(build.plain), gated: median(build.gated) },
      idle_bare_ms: { plain: median(idleBare.plain), gated: median(idleBare.gated) },
      node_loop_ms: { plain: median(interp.plain), gated: median(interp.gated), runs: nodeRuns },
    },
    [
      figure(
        'exec-gate.bare_added_ms',
        bareAdded,
        'ms',
        `time the exec gate adds to a sandboxed \`true\` (median of ${runs} interleaved pairs)`,
        { max: 5 },
      ),
      figure(
        'exec-gate.build_ratio',
        buildRatio,
        '×',
        `a loop forking and exec'ing ${procs} processes, with the gate over without (median of ${buildRuns} pairs)`,
        { max: 1.1 },
      ),
      figure(
        'exec-gate.idle_added_ms',
        idleAdded,
        'ms',
        `time the gate of a run with no exec rule (there for a policy edit) adds to a sandboxed \`true\` (median of ${runs} pairs)`,
        { max: 5 },
      ),
      figure(
        'exec-gate.interpreter_added_ms',
        interpAdded,
        'ms',
        `time a script program's rule (exec:npm) adds to each \`node -e 0\`, which the gate puts to the kernel (median of ${interpRuns} pairs of ${nodeRuns})`,
      ),
    ],
  );
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
