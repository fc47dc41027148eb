/**
 * The package reader: a process of its own, started by unit-stage.ts for each package, so that an
 * archive never reaches the kernel's thread or heap. It reads the package its argument names into
 * the staging directory under the limits given (unit-package.ts), prints one line of JSON — the
 * staged package, or the refusal — and exits. It exits too when its stdin closes: the kernel that
 * started it is gone.
 */
import { AosError } from '../sys/errno.js';
import type { PackageLimits } from './unit-package-budget.js';
import { type PackageManifest, stagePackage } from './unit-package.js';

const job = JSON.parse(process.argv[2] ?? '{}') as {
  source: string;
  stage: string;
  limits: PackageLimits;
  kind?: PackageManifest;
};
process.stdin.on('end', () => process.exit(70)).resume();
const answer = await stagePackage(job.source, job.stage, job.limits, job.kind).then(
  (staged) => ({ ok: true, ...staged }),
  (error: unknown) => ({
    ok: false,
    code: error instanceof AosError ? error.code : 'EIO',
    message: error instanceof Error ? error.message : String(error),
  }),
);
process.stdout.write(`${JSON.stringify(answer)}\n`, () => process.exit(0));
