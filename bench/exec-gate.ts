/**
 * What the exec gate costs an EXEC_CMD (issue 27): the same commands through the real sandbox with
 * and without the gate, interleaved, on a policy of two rules (`deny: exec:rm *`, `ask: exec:git
 * push*`) whose programs never run, so every exec is checked and let go:
 * - `true`: the whole run of a bare command (bwrap, the gate's start, its control socket);
 * - a build-like loop that forks and execs `--procs` processes (`/bin/true` each), the gate's
 *   worst case: one stop and one check per exec.
 *
 *   node --import tsx bench/exec-gate.ts [--runs 30] [--build-runs 5] [--procs 1000]
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

if (!(await findBwrap()) || !(await findGate())) {
  console.error('exec-gate bench: needs bwrap and the built exec gate');
  process.exit(1);
}

const workspace = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'aos-bench-gate-')));
const gate: ExecGate = { programs: ['rm', 'git'], decide: () => ({ allow: true }) };
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
  const bareAdded = median(bare.gated) - median(bare.plain);
  const buildRatio = median(build.gated) / median(build.plain);
  report(
    'exec-gate',
    {
      runs,
      build_runs: buildRuns,
      procs,
      bare_ms: { plain: median(bare.plain), gated: median(bare.gated) },
      build_ms: { plain: median(build.plain), gated: median(build.gated) },
    },
    [
      figure('exec-gate.bare_added_ms', bareAdded, 'ms', `time the exec gate adds to a sandboxed \`true\` (median of ${runs} interleaved pairs)`, { max: 5 }),
      figure('exec-gate.build_ratio', buildRatio, '×', `a loop forking and exec'ing ${procs} processes, with the gate over without (median of ${buildRuns} pairs)`, { max: 1.1 }),
    ],
  );
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
