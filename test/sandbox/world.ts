/**
 * A hostile-agent test bench: a real kernel on an inline replay tape, inside a temporary AOS_HOME
 * that also holds things the agents must never reach:
 *
 *   home/                      stands for AOS_HOME (realpath'd)
 *     policy.yaml              a policy file (must stay byte-for-byte unchanged)
 *     aos.db                   the kernel's real SQLite store
 *     secret-<hex>.txt         holds the file canary
 *     outside/                 an empty directory attacks aim at (must stay empty)
 *     workspace/               the sandbox root agents see as `/`
 *     workspace2/secret.txt    a sibling whose name extends the root's (prefix confusion), file canary
 *
 * The test process's environment holds a second canary (AOS_TEST_SECRET). Neither canary may
 * appear in any event, result, transcript, system prompt or store row.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, vi } from 'vitest';
import YAML from 'yaml';
import { buildSystemPrompt } from '../../kernel/context/context.js';
import type { KernelEvent } from '../../protocol/events.js';
import { Kernel, type SpawnOptions } from '../../kernel/kernel.js';
import type { Pcb } from '../../sys/types.js';
import type { TapeEntry } from '../helpers/kernel-harness.js';
import { turnOf } from '../../kernel/loop/turn-state.js';

export { ALL_CAPS, call, EXIT, type TapeEntry } from '../helpers/kernel-harness.js';

export type ResultEvent = Extract<KernelEvent, { type: 'result' }>;

export interface WorldOptions {
  rootCapabilities?: string[];
  netAllowPrivate?: string[];
}

/** Where things are on the host; tapes may name these paths (an attacker can learn them), never the canaries. */
export interface Layout {
  home: string;
  workspace: string;
  ws2: string;
  outside: string;
  secretPath: string;
  secretName: string;
  policyPath: string;
  storePath: string;
}

export type Tape = Record<string, TapeEntry[]>;

export interface World extends Layout {
  kernel: Kernel;
  fileCanary: string;
  envCanary: string;
  events: KernelEvent[];
  /** Start a root process replaying the tape's list for `name`. */
  spawn(name?: string, options?: Partial<SpawnOptions>): Promise<Pcb>;
  run(name?: string, options?: Partial<SpawnOptions>): Promise<Pcb>;
  results(pid: number): ResultEvent[];
  /** Every result of `pid` for syscall `name`, in order. */
  resultsOf(pid: number, name: string): ResultEvent[];
  /** Fails when either canary shows up anywhere an agent or a log could see it. */
  assertNoLeak(extra?: unknown): Promise<void>;
  /** Fails when anything outside the workspace changed. */
  assertOutsideUntouched(): Promise<void>;
  close(): Promise<void>;
}

const POLICY_TEXT = 'version: 1\nroot:\n  capabilities:\n    - fs.read:/**\n    - fs.write:/**\n';

export async function startWorld(
  agents: Tape | ((layout: Layout) => Tape),
  options: WorldOptions = {},
): Promise<World> {
  const home = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'aos-sbx-')));
  const fileCanary = `CANARY-${randomBytes(16).toString('hex')}`;
  const envCanary = `CANARY-ENV-${randomBytes(16).toString('hex')}`;
  vi.stubEnv('AOS_TEST_SECRET', envCanary);
  const secretName = `secret-${randomBytes(4).toString('hex')}.txt`;
  const secretPath = path.join(home, secretName);
  const workspace = path.join(home, 'workspace');
  const ws2 = path.join(home, 'workspace2');
  const outside = path.join(home, 'outside');
  const policyPath = path.join(home, 'policy.yaml');
  const storePath = path.join(home, 'aos.db');
  const tape = path.join(home, 'tape.yaml');
  const layout: Layout = { home, workspace, ws2, outside, secretPath, secretName, policyPath, storePath };
  const tapeAgents = typeof agents === 'function' ? agents(layout) : agents;
  await Promise.all([fsp.mkdir(workspace), fsp.mkdir(ws2), fsp.mkdir(outside)]);
  await Promise.all([
    fsp.writeFile(secretPath, `${fileCanary}\n`),
    fsp.writeFile(path.join(ws2, 'secret.txt'), `${fileCanary}\n`),
    fsp.writeFile(policyPath, POLICY_TEXT, { mode: 0o600 }),
    fsp.writeFile(tape, YAML.stringify({ agents: tapeAgents })),
  ]);
  const kernel = await Kernel.create({
    workspace,
    rootCapabilities: options.rootCapabilities ?? ['fs.read:/**', 'fs.write:/**', 'exec', 'spawn', 'ipc', 'timer'],
    netAllowPrivate: options.netAllowPrivate,
    storeFile: storePath,
    cwd: home,
  });
  const homeListing = await listHome(home);
  const events: KernelEvent[] = [];
  kernel.events.subscribe((e) => events.push(e));
  const spawn = (name = 'root', spawnOptions: Partial<SpawnOptions> = {}): Promise<Pcb> =>
    kernel.spawn({ task: 'sandbox test', model: `replay:${tape}`, name, ...spawnOptions });
  const results = (pid: number): ResultEvent[] =>
    events.filter((e): e is ResultEvent => e.pid === pid && e.type === 'result');
  let closed = false;

  const world: World = {
    ...layout,
    kernel,
    fileCanary,
    envCanary,
    events,
    spawn,
    async run(name, spawnOptions) {
      const pcb = await spawn(name, spawnOptions);
      return kernel.waitExit(pcb.pid);
    },
    results,
    resultsOf: (pid, name) => results(pid).filter((r) => r.name === name),
    async assertNoLeak(extra) {
      const surfaces: Array<[string, string]> = [
        ['events', JSON.stringify(events)],
        ['process table', JSON.stringify(kernel.list())],
        ['extra', JSON.stringify(extra ?? null)],
      ];
      for (const pcb of kernel.list()) {
        surfaces.push([`system prompt of ${pcb.pid}`, buildSystemPrompt(pcb)]);
        surfaces.push([`transcript of ${pcb.pid}`, JSON.stringify(turnOf(kernel.proc(pcb.pid))?.transcript ?? [])]);
        if (!closed) surfaces.push([`stored events of ${pcb.pid}`, JSON.stringify(await kernel.history(pcb.pid))]);
      }
      for (const [where, text] of surfaces) {
        expect(text.includes(fileCanary), `file canary leaked into the ${where}`).toBe(false);
        expect(text.includes(envCanary), `environment canary leaked into the ${where}`).toBe(false);
      }
    },
    async assertOutsideUntouched() {
      expect(await fsp.readFile(secretPath, 'utf8')).toBe(`${fileCanary}\n`);
      expect(await fsp.readFile(path.join(ws2, 'secret.txt'), 'utf8')).toBe(`${fileCanary}\n`);
      expect(await fsp.readdir(ws2)).toEqual(['secret.txt']);
      expect(await fsp.readdir(outside)).toEqual([]);
      expect(await fsp.readFile(policyPath, 'utf8')).toBe(POLICY_TEXT);
      expect(await listHome(home)).toEqual(homeListing);
    },
    async close() {
      if (closed) return;
      closed = true;
      await kernel.shutdown();
      vi.unstubAllEnvs();
      await fsp.rm(home, { recursive: true, force: true });
    },
  };
  return world;
}

/** AOS_HOME's own entries, without the store's journal files (SQLite adds and removes them). */
/** What is in the home besides the kernel's own files (the store, and the audit trail's head beside it). */
async function listHome(home: string): Promise<string[]> {
  return (await fsp.readdir(home))
    .filter((name) => !name.startsWith('aos.db') && !name.startsWith('audit.head'))
    .sort();
}

/** Errno of a result, or 'ok'. */
export function outcome(result: ResultEvent | undefined): string {
  if (!result) return 'missing';
  return result.ok ? 'ok' : (result.errno ?? 'unknown');
}

/** The value of an ok result, typed loosely for field checks. */
export function valueOf(result: ResultEvent | undefined): Record<string, unknown> {
  expect(result?.ok, `expected an ok result, got ${JSON.stringify(result)}`).toBe(true);
  return (result?.value ?? {}) as Record<string, unknown>;
}

/** Measures the longest gap between ticks of a 20 ms interval: event-loop starvation shows as a long gap. */
export function watchEventLoop(): { stop(): number } {
  let last = performance.now();
  let maxGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(maxGap, performance.now() - last);
    },
  };
}

/** Host processes whose command line contains `marker` (a sandbox that outlived its call). */
export async function processesWith(marker: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fsp.readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = (await fsp.readFile(`/proc/${entry}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      if (cmdline.includes(marker)) found.push(`${entry}: ${cmdline.slice(0, 120)}`);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fsp.lstat(file);
    return true;
  } catch {
    return false;
  }
}

/** A short random tag, so concurrent suites cannot confuse each other's processes or files. */
export function tag(): string {
  return randomBytes(4).toString('hex');
}

/** After each case: nothing leaked, nothing outside changed, and the world is torn down either way. */
export async function auditAndClose(world: World | undefined): Promise<void> {
  if (!world) return;
  try {
    await world.assertNoLeak();
    await world.assertOutsideUntouched();
  } finally {
    await world.close();
  }
}
