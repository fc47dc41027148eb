import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Two groups. Most files run in parallel. A `*.sequential.test.ts` file tests something every aos
 * on the machine shares (the sandbox cgroup tree, swept by any kernel that starts), so it runs
 * alone, after the parallel group has finished: no other test's kernel can get there first.
 */
const SEQUENTIAL = 'test/**/*.sequential.test.ts';
/**
 * A `*.alone.test.ts` file runs several daemons at once (a cluster of them, a PostgreSQL, a fake
 * provider): run beside the parallel group it took the CPU that other files' timed waits count on,
 * so it runs after that group too, one file at a time.
 */
const ALONE = 'test/**/*.alone.test.ts';

/**
 * Most parallel files share their worker's modules (`isolate: false`): each file no longer loads the
 * kernel's module graph afresh (~0.7 s of a worker's time a file, ~300 s a run in all). A file that
 * changes what the process holds for everyone — its environment, working directory or umask, fake
 * timers, listener caps — keeps a fresh module graph of its own: found by reading the files, so a
 * new one is placed without a list to keep.
 */
const PROCESS_STATE =
  /process\.env(\.[A-Z_]+|\[[^\]]+\]) *=[^=]|delete process\.env|vi\.stubEnv|process\.chdir|process\.env *= |useFakeTimers|process\.umask|setMaxListeners|vi\.mock|vi\.doMock/;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const file = path.join(dir, e.name);
    if (e.isDirectory()) return testFiles(file);
    return /\.test\.tsx?$/.test(e.name) ? [file] : [];
  });
}

const ISOLATED = testFiles('test').filter((file) => PROCESS_STATE.test(readFileSync(file, 'utf8')));

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most files spend their time waiting on daemons, sandboxes and servers they started, not on
    // the CPU (one worker at a time used ~55% of one core): vitest's default (cores - 1) ran one
    // file at a time on 2 cores.
    maxWorkers: Math.max(2, Math.ceil(os.availableParallelism() * 1.5)),
    globalSetup: ['test/global-setup.ts'],
    // Every daemon a test starts takes a free webhook port: on the default one (7077) they raced one
    // another, and the test of the default port's fallback failed when another test's daemon had the
    // port at its check and let it go before its daemon bound it. That test asks for the default.
    env: { AOS_WEBHOOK_PORT: '0' },
    projects: [
      {
        extends: true,
        test: {
          name: 'parallel',
          include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
          exclude: [SEQUENTIAL, ALONE, ...ISOLATED, '**/node_modules/**'],
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'isolated',
          include: ISOLATED,
          exclude: [SEQUENTIAL, ALONE, '**/node_modules/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'sequential', include: [SEQUENTIAL], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
      {
        extends: true,
        test: { name: 'alone', include: [ALONE], fileParallelism: false, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
