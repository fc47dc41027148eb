/**
 * A fleet of agents on the real kernel: what the delay, head-of-line and adaptive benchmarks
 * share. Two kinds of model with latency: the fake provider in a process of its own behind the
 * real OpenAI-compatible driver (HTTP), or a replay tape whose replies wait `delay_ms` (the same
 * pool, limit and scheduler path without an HTTP client). Agents are told apart by the first
 * word of their task (the fake provider's script) or by their name (the tape).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import type { KernelEvent } from '../protocol/events.js';
import { Kernel } from '../kernel/kernel.js';
import type { LaneLimits } from '../kernel/sched/pool-limits.js';
import { type RemoteFake, startRemoteFake } from '../test/fakes/fake-provider/remote.js';
import { EXIT_REPLY, type FakeScript } from '../test/fakes/fake-provider/script.js';

export interface Fleet {
  kernel: Kernel;
  /** The model agents run on. */
  model: string;
  /** Only for the HTTP fleet. */
  fake: RemoteFake | null;
  /** Model errors that reached an agent. */
  errors: KernelEvent[];
  close(): Promise<void>;
}

async function openKernel(
  limits: Record<string, LaneLimits>,
): Promise<{ kernel: Kernel; dir: string; errors: KernelEvent[] }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-bench-fleet-'));
  const kernel = await Kernel.create({
    workspace: path.join(dir, 'ws'),
    rootCapabilities: [],
    storeFile: path.join(dir, 'aos.db'),
    modelLimits: limits,
  });
  const errors: KernelEvent[] = [];
  kernel.events.subscribe((e) => {
    if (e.type === 'error') errors.push(e);
  });
  return { kernel, dir, errors };
}

/**
 * Agents on `openai:bench-model`, served by the fake provider running `script`: a fake of the
 * fleet's own, or `shared` — one warm process the caller keeps across runs (reset to `script`, not
 * closed with the fleet). A fresh fake is a fresh Node process: its first few hundred requests run
 * unoptimised code (~350 µs a request against ~100 warm), and a run then measures the fake's
 * warm-up along with aos.
 */
export async function startFleet(
  script: FakeScript,
  limits: Record<string, LaneLimits> = {},
  shared?: RemoteFake,
): Promise<Fleet> {
  const fake = shared ?? (await startRemoteFake(script));
  if (shared) await shared.reset(script);
  process.env.OPENAI_BASE_URL = `${fake.url}/v1`;
  process.env.OPENAI_API_KEY = 'bench';
  const { kernel, dir, errors } = await openKernel(limits);
  return {
    kernel,
    model: 'openai:bench-model',
    fake,
    errors,
    async close() {
      await kernel.close();
      if (!shared) await fake.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Agents on a replay tape: per name, `turns` replies that each wait `latencyMs`, the last one SYS_EXIT. */
export async function startReplayFleet(
  kinds: Record<string, { turns: number; latencyMs: number }>,
  limits: Record<string, LaneLimits> = {},
): Promise<Fleet> {
  const { kernel, dir, errors } = await openKernel(limits);
  const agents = Object.fromEntries(
    Object.entries(kinds).map(([name, { turns, latencyMs }]) => [
      name,
      Array.from({ length: turns }, (_, i) => ({
        delay_ms: latencyMs,
        reply: i + 1 === turns ? EXIT_REPLY : `step ${i}\n[SYS_CALL::SYS_WRITE_STDOUT] {"text":"${i}"}`,
      })),
    ]),
  );
  const tape = path.join(dir, 'tape.yaml');
  await writeFile(tape, YAML.stringify({ agents }));
  return {
    kernel,
    model: `replay:${tape}`,
    fake: null,
    errors,
    async close() {
      await kernel.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface FleetRun {
  makespanMs: number;
  /** Per agent, ms from the start until it exited. */
  finishedMs: number[];
  failed: number;
}

/** Spawn one agent per entry at once (its task and its name) and wait for all of them. */
export async function runAgents(fleet: Fleet, agents: Array<{ task: string; name: string }>): Promise<FleetRun> {
  const { kernel } = fleet;
  // The model is loaded before the clock starts, as in a kernel that has served it before.
  await kernel.models.get(fleet.model);
  const t0 = performance.now();
  const pcbs = await Promise.all(agents.map(({ task, name }) => kernel.spawn({ task, model: fleet.model, name })));
  const finishedMs = await Promise.all(pcbs.map(async (p) => (await kernel.waitExit(p.pid), performance.now() - t0)));
  const makespanMs = performance.now() - t0;
  const failed = pcbs.filter((p) => kernel.pcb(p.pid)?.exitCode !== 0).length;
  return { makespanMs, finishedMs, failed };
}

/** `n` agents of one kind. */
export function many(n: number, kind: string): Array<{ task: string; name: string }> {
  return Array.from({ length: n }, () => ({ task: kind, name: kind }));
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
