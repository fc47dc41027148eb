/**
 * Once per test run: the exec gate compiled (scripts/build-gate.mjs), and the CLI built as users run it (scripts/bundle-cli.mjs), for the end-to-end
 * tests' hundreds of CLI calls — each starts in ~0.1 s instead of compiling TypeScript through tsx
 * (~0.6 s of CPU each). The daemon's room (aosd, policy-check, start-check) bundled as from source
 * (scripts/bundle-daemon.mjs: each module's import.meta.url its source file's), so that each of the
 * tests' hundreds of daemon starts loads one file, not its hundreds of modules through tsx (~0.75 s
 * of CPU a start instead of ~2.6 s), and the kernel it loads after its pid lock as users' daemons do
 * (scripts/bundle-kernel.mjs --urls source: one CommonJS bundle run from V8's code cache, one cache
 * for all of the run's daemons). In a directory of this run's own under the checkout
 * (test-artifacts/cli-<pid>/cmd, and daemon/ and kernel/ beside it where the CLI looks for them).
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { ROOT } from './helpers/cli.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The built CLI's entry (its bin) for this run. */
    cliEntry: string;
  }
}

/** A script of scripts/ run by this node, from the checkout. */
const script = (name: string, ...args: string[]): Promise<unknown> =>
  promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts', name), ...args], { cwd: ROOT });

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The exec gate as `npm ci` builds it, rebuilt when its source changed since.
  await script('build-gate.mjs');
  const dir = path.join(ROOT, 'test-artifacts', `cli-${process.pid}`);
  // Laid out as dist/ is: the CLI in cmd/, the daemon's main in daemon/ beside it (cmd/launch.ts looks there).
  await Promise.all([
    script('bundle-cli.mjs', '--outdir', path.join(dir, 'cmd')),
    script('bundle-daemon.mjs', '--outdir', path.join(dir, 'daemon')),
    script('bundle-kernel.mjs', '--outdir', path.join(dir, 'kernel'), '--urls', 'source'),
  ]);
  project.provide('cliEntry', path.join(dir, 'cmd', 'aos.cjs'));
  // The unit package reader and the channel adapters, bundled with the daemon: what daemon/unit-stage.ts and
  // drivers/channels/programs.ts run from source (the tests' workers and daemons inherit these).
  process.env.AOS_TEST_UNIT_READER = path.join(dir, 'daemon', 'unit-stage-main.js');
  process.env.AOS_TEST_ADAPTERS = path.join(dir, 'daemon');
  // The kernel the daemons load after their pid lock, as users' daemons do (daemon/kernel-code.ts): one
  // CommonJS bundle from V8's code cache, one cache for all of this run's daemons beside it.
  process.env.AOS_TEST_KERNEL = path.join(dir, 'kernel', 'aosd-run.cjs');
  return () => rm(dir, { recursive: true, force: true });
}
