/**
 * A workspace under fs rules and a real bwrap sandbox running in it while the fs driver writes, for
 * the held-path tests (drivers/fs-held.ts): test/security/sandbox-held-*.test.ts.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { execLimits } from '../../drivers/exec/driver.js';
import { runSandboxed } from '../../drivers/exec/run-sandboxed.js';
import { holderCount } from '../../drivers/fs-held.js';
import { WorkspaceFs } from '../../drivers/fs/workspace-fs.js';
import { parsePolicy } from '../../kernel/safety/policy.js';
import type { ExecResult } from '../../sys/driver-api.js';
import { until } from './until.js';

export const rulesOf = (yaml: string) =>
  parsePolicy(`version: 1\nroot: {capabilities: [exec]}\nrules:\n${yaml}\n`, 'held').safety.rules;
export const RULES = rulesOf(
  `  - deny: "fs.read:/keys/*.key"\n  - deny: "fs.write:/conf/c.yaml"\n  - deny: "fs.read:/vault/**"`,
);

export interface HeldWorkspace {
  /** The workspace's host directory: keys/a.key (hidden), conf/c.yaml (read-only), vault/v.txt (hidden), free.txt, ctl/. */
  readonly dir: string;
  readonly fs: WorkspaceFs;
  /**
   * A sandbox under RULES that runs `loop` until /workspace/ctl/stop appears, then prints `tail`;
   * `during` runs once it has started (its marker file is there); resolves once it has ended.
   */
  whileRunning(
    loop: string,
    tail: string,
    during: () => Promise<void>,
    options?: { first?: string; grants?: { read: string[]; write: string[] } },
  ): Promise<ExecResult>;
}

/** A fresh workspace for each test of the file that calls this (beforeEach), removed after it. */
export function useHeldWorkspace(): HeldWorkspace {
  let dir = '';
  let fs: WorkspaceFs | null = null;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-held-'));
    for (const [name, content] of Object.entries({
      'keys/a.key': 'OLD-KEY',
      'conf/c.yaml': 'orig-conf',
      'vault/v.txt': 'vault',
      'free.txt': 'free',
      'ctl/.keep': '',
    })) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), content);
    }
    fs = await WorkspaceFs.open({
      root: dir,
      maxReadBytes: 1 << 20,
      maxWriteBytes: 1 << 20,
      maxListEntries: 1000,
      maxPathLength: 4096,
    });
  });
  afterEach(async () => {
    fs?.close();
    await rm(dir, { recursive: true, force: true });
  });
  const whileRunning: HeldWorkspace['whileRunning'] = async (loop, tail, during, options = {}) => {
    const cmd = `${options.first ?? 'true'}; touch /workspace/ctl/started; until [ -e /workspace/ctl/stop ]; do ${loop}; sleep 0.02; done; ${tail}`;
    const limits = { ...execLimits(), wallTimeoutMs: 30_000 };
    const grants = options.grants ? { grants: options.grants } : {};
    const run = runSandboxed({ cmd, workspace: dir, limits, fsRules: RULES, ...grants });
    try {
      await until(
        async () => (await readFile(path.join(dir, 'ctl/started')).catch(() => null)) !== null,
        20_000,
        'the sandbox to start',
      );
      expect(holderCount()).toBe(1);
      await during();
    } finally {
      // Ended whatever happened, so that no sandbox outlives its test.
      await writeFile(path.join(dir, 'ctl/stop'), '');
      await run.catch(() => undefined);
    }
    const result = await run;
    expect(holderCount()).toBe(0);
    return result;
  };
  return {
    get dir() {
      return dir;
    },
    get fs() {
      if (fs === null) throw new Error('useHeldWorkspace: used outside a test');
      return fs;
    },
    whileRunning,
  };
}
