/**
 * Once per test run: the exec gate compiled (scripts/build-gate.mjs), and the CLI built as users run it (scripts/bundle-cli.mjs), for the end-to-end
 * tests' hundreds of CLI calls — each starts in ~0.1 s instead of compiling TypeScript through tsx
 * (~0.6 s of CPU each). The daemon it starts runs from source (its stub registers tsx). In a
 * directory of this run's own under the checkout (test-artifacts/cli-<pid>/cmd, where the bundle looks for it).
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
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

/** A program of the daemon's room from source (aosd, policy-check, start-check): tsx's loader registered here, since this process starts without it. */
const daemonStub = (name: string): string => `import { register } from 'tsx/esm/api';
register();
await import(${JSON.stringify(path.join(ROOT, 'daemon', `${name}.ts`))});
`;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The exec gate as `npm ci` builds it, rebuilt when its source changed since.
  await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts', 'build-gate.mjs')], { cwd: ROOT });
  const dir = path.join(ROOT, 'test-artifacts', `cli-${process.pid}`);
  // Laid out as dist/ is: the CLI in cmd/, the daemon's main in daemon/ beside it (cmd/launch.ts looks there).
  await promisify(execFile)(
    process.execPath,
    [path.join(ROOT, 'scripts', 'bundle-cli.mjs'), '--outdir', path.join(dir, 'cmd')],
    { cwd: ROOT },
  );
  await mkdir(path.join(dir, 'daemon'), { recursive: true });
  for (const name of ['aosd', 'policy-check', 'start-check'])
    await writeFile(path.join(dir, 'daemon', `${name}.js`), daemonStub(name));
  project.provide('cliEntry', path.join(dir, 'cmd', 'aos.cjs'));
  return () => rm(dir, { recursive: true, force: true });
}
