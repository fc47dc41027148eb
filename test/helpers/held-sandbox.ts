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
import type { FsRule } from '../../drivers/fs-rules.js';
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

/** Commands run beside a held workspace's tests: a victim that reads in a loop, another command that moves names. */
export function heldCommands(held: HeldWorkspace) {
  const limits = () => ({ ...execLimits(), wallTimeoutMs: 30_000 });
  /** Starts a sandbox (not awaited) under `rules`; resolves `started` once it has touched ctl/<name>. */
  const start = (
    name: string,
    body: string,
    opts: { rules?: readonly FsRule[]; grants?: { read: string[]; write: string[] } } = {},
  ): { started: Promise<void>; done: Promise<ExecResult> } => {
    const done = runSandboxed({
      cmd: `touch /workspace/ctl/${name}; ${body}`,
      workspace: held.dir,
      limits: limits(),
      fsRules: opts.rules ?? RULES,
      ...(opts.grants ? { grants: opts.grants } : {}),
    });
    done.catch(() => undefined);
    return { started: marker(name), done };
  };
  /** Resolves once ctl/<name> is there. */
  const marker = (name: string): Promise<void> =>
    until(async () => (await readFile(path.join(held.dir, 'ctl', name)).catch(() => null)) !== null, 20_000, name);
  /** Ends every run (ctl/stop) and checks no hold is left. */
  const stopAll = async (...runs: Array<Promise<ExecResult>>): Promise<ExecResult[]> => {
    await writeFile(path.join(held.dir, 'ctl/stop'), '');
    const results = await Promise.all(runs);
    expect(holderCount()).toBe(0);
    return results;
  };
  /** Runs a short sandbox to its end (another command with write on the whole workspace). */
  const other = async (cmd: string, rules: readonly FsRule[] = RULES): Promise<ExecResult> => {
    const r = await runSandboxed({ cmd, workspace: held.dir, limits: limits(), fsRules: rules });
    expect(r.exit_code, r.stderr).toBe(0);
    return r;
  };
  /** FS_WRITE's answer: 'written', or the error's code. */
  const tryWrite = (p: string, content: string, append = false): Promise<string> =>
    held.fs.write(p, content, { append }).then(
      () => 'written',
      (e: { code?: string }) => e.code ?? String(e),
    );
  return { limits, start, marker, stopAll, other, tryWrite };
}

/** A victim loop reading `reads` into /tmp/seen until ctl/stop, then printing it. */
export const victimLoop = (reads: string): string =>
  `until [ -e /workspace/ctl/stop ]; do ${reads}; sleep 0.02; done; sort -u /tmp/seen 2>/dev/null; echo END`;
