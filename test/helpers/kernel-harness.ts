/** Drives a real kernel with an inline replay tape in a temporary workspace. */
import type { Clock } from '../../sys/clock.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import type { MemoryOptions } from '../../drivers/memory/open-memory.js';
import type { McpServerConfig } from '../../drivers/mcp/types.js';
import type { KernelEvent } from '../../protocol/events.js';
import { Kernel, type SpawnOptions } from '../../kernel/kernel.js';
import { gatewayAt } from './gateway.js';
import type { LaneLimits } from '../../kernel/sched/pool-limits.js';
import type { Pcb } from '../../sys/types.js';
import type { SafetyPolicy } from '../../kernel/safety/policy-rules.js';
import type { CostPolicy } from '../../kernel/cost/cost-policy.js';
import type { SecretBox } from '../../kernel/safety/secrets.js';

export const ALL_CAPS = ['fs.read:/**', 'fs.write:/**', 'exec', 'spawn', 'ipc', 'timer', 'mem'];

export type TapeEntry =
  string | { reply: string; expect?: string | string[]; usage?: { prompt: number; output: number }; delay_ms?: number };

export interface Harness {
  kernel: Kernel;
  dir: string;
  workspace: string;
  events: KernelEvent[];
  tape: string;
  spawn(options?: Partial<SpawnOptions>): Promise<Pcb>;
  run(options?: Partial<SpawnOptions>): Promise<Pcb>;
  eventsOf(pid: number, type?: KernelEvent['type']): KernelEvent[];
  results(pid: number): Array<Extract<KernelEvent, { type: 'result' }>>;
  close(): Promise<void>;
}

export async function startHarness(
  agents: Record<string, TapeEntry[]>,
  options: {
    rootCapabilities?: string[];
    /** Per-provider limits, as AOS_LIMITS gives them (e.g. `{ replay: { concurrency: 2 } }`). */
    modelLimits?: Record<string, LaneLimits>;
    webhookPort?: number;
    netAllowPrivate?: string[];
    /** MEM_*: true for a Chroma on `<dir>/chroma` (started on the first MEM_* call), or explicit options. */
    memory?: boolean | MemoryOptions;
    /** The kernel's model for a root spawned without one (AOS_MODEL / the policy's default_model). */
    defaultModel?: string;
    /** MCP servers, as the policy's `mcp.servers` gives them to the kernel. */
    mcp?: Record<string, McpServerConfig>;
    /** Policy rules, approvals, secrets (issue 12). */
    safety?: SafetyPolicy;
    /** A store file (in memory when absent). */
    storeFile?: string;
    /** The units' clock (a FakeClock moves schedules without waiting). */
    clock?: Clock;
    /** The policy's model ladder, budgets and privacy rules. */
    cost?: CostPolicy;
    /** The policy's secrets with their values. */
    secrets?: SecretBox;
  } = {},
): Promise<Harness> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-test-'));
  const workspace = path.join(dir, 'workspace');
  const tape = path.join(dir, 'tape.yaml');
  await writeFile(tape, YAML.stringify({ agents }));
  const kernel = await Kernel.create({
    workspace,
    rootCapabilities: options.rootCapabilities ?? ALL_CAPS,
    modelLimits: options.modelLimits,
    gateway: options.webhookPort === undefined ? undefined : gatewayAt(options.webhookPort),
    netAllowPrivate: options.netAllowPrivate,
    cwd: dir,
    defaultModel: options.defaultModel,
    safety: options.safety,
    storeFile: options.storeFile,
    memory: options.memory === true ? { dataDir: path.join(dir, 'chroma') } : options.memory || undefined,
    mcp: options.mcp,
    clock: options.clock,
    cost: options.cost,
    secrets: options.secrets,
  });
  const events: KernelEvent[] = [];
  kernel.events.subscribe((e) => events.push(e));
  const spawn = (spawnOptions: Partial<SpawnOptions> = {}): Promise<Pcb> =>
    kernel.spawn({ task: 'test task', model: `replay:${tape}`, ...spawnOptions });
  return {
    kernel,
    dir,
    workspace,
    events,
    tape,
    spawn,
    async run(spawnOptions) {
      const pcb = await spawn(spawnOptions);
      return kernel.waitExit(pcb.pid);
    },
    eventsOf: (pid, type) => events.filter((e) => e.pid === pid && (!type || e.type === type)),
    results: (pid) =>
      events.filter((e): e is Extract<KernelEvent, { type: 'result' }> => e.pid === pid && e.type === 'result'),
    async close() {
      await kernel.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A reply that makes one call. */
export function call(name: string, args: Record<string, unknown> = {}): string {
  return `[SYS_CALL::${name}] ${JSON.stringify(args)}`;
}

export const EXIT = call('SYS_EXIT', { code: 0 });
