import os from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Two groups. Most files run in parallel. A `*.sequential.test.ts` file tests something every aos
 * on the machine shares (the sandbox cgroup tree, swept by any kernel that starts), so it runs
 * alone, after the parallel group has finished: no other test's kernel can get there first.
 */
const SEQUENTIAL = 'test/**/*.sequential.test.ts';

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
        test: { name: 'parallel', include: ['test/**/*.test.ts', 'test/**/*.test.tsx'], exclude: [SEQUENTIAL, '**/node_modules/**'], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'sequential', include: [SEQUENTIAL], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
