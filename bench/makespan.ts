/**
 * Under a provider's requests-per-minute limit: N equal agents × T turns through the real kernel
 * and the real OpenAI-compatible driver, against the fake provider's own rpm limiter. Reports the
 * makespan against the ideal (total requests / rpm), the 429s the provider sent, the ones that
 * reached an agent, and Jain's fairness over the agents' completion times.
 *
 *   node --import tsx bench/makespan.ts [--agents 20] [--turns 5] [--rpm 600] [--latency 50]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startFakeProvider } from '../test/fakes/fake-provider.js';
import type { KernelEvent } from '../protocol/events.js';
import { Kernel } from '../kernel/kernel.js';
import { figure, flag, report } from './report.js';

const agents = Number(flag('agents', '20'));
const turns = Number(flag('turns', '5'));
const rpm = Number(flag('rpm', '600'));
const latency = Number(flag('latency', '50'));

const fake = await startFakeProvider({
  latencyMs: latency,
  limits: { rpm },
  reply: (ctx) => {
    const done = ctx.messages.filter((m) => m.role !== 'user').length;
    return done + 1 >= turns
      ? '[SYS_CALL::SYS_EXIT] {"code":0}'
      : `step ${done}\n[SYS_CALL::SYS_WRITE_STDOUT] {"text":"${done}"}`;
  },
  usage: { prompt: 200, output: 20 },
});
process.env.OPENAI_BASE_URL = `${fake.url}/v1`;
process.env.OPENAI_API_KEY = 'bench';

const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-bench-makespan-'));
const kernel = await Kernel.create({
  workspace: path.join(dir, 'ws'),
  rootCapabilities: [],
  storeFile: path.join(dir, 'aos.db'),
  // The pool is told the provider's limit, as a user would set AOS_LIMITS.
  modelLimits: { openai: { rpm, concurrency: 64 } },
});
const errors: KernelEvent[] = [];
kernel.events.subscribe((e) => {
  if (e.type === 'error') errors.push(e);
});

const t0 = performance.now();
const pcbs = await Promise.all(
  Array.from({ length: agents }, (_, i) => kernel.spawn({ task: 'bench', model: 'openai:bench-model', name: `a${i}` })),
);
const finishedAt = await Promise.all(pcbs.map(async (p) => (await kernel.waitExit(p.pid), performance.now() - t0)));
const makespanMs = performance.now() - t0;
const exitCodes = pcbs.map((p) => kernel.pcb(p.pid)?.exitCode);
const stats = fake.stats();
await kernel.close();
await fake.close();
await rm(dir, { recursive: true, force: true });

const requests = agents * turns;
// The capacity bound: the provider serves `rpm` requests a minute, and each agent's turns are sequential.
const idealMs = Math.max((requests / rpm) * 60_000, latency * turns);
const throughputs = finishedAt.map((ms) => turns / ms);
const sum = throughputs.reduce((a, b) => a + b, 0);
const jain = (sum * sum) / (throughputs.length * throughputs.reduce((a, b) => a + b * b, 0));

const ratio = makespanMs / idealMs;
report(
  'makespan',
  {
    agents,
    turns_per_agent: turns,
    rpm,
    latency_ms: latency,
    requests,
    failed_agents: exitCodes.filter((c) => c !== 0).length,
    makespan_ms: Math.round(makespanMs),
    ideal_ms: Math.round(idealMs),
    makespan_over_ideal: Number(ratio.toFixed(3)),
    provider_429s: stats.rateLimited,
    errors_reaching_agents: errors.length,
    jain_fairness: Number(jain.toFixed(4)),
  },
  [
    figure('makespan.over_ideal', ratio, '×', `${agents} agents × ${turns} turns under a ${rpm} rpm provider limit`, {
      max: 1.1,
    }),
    figure(
      'makespan.errors_reaching_agents',
      errors.length,
      'errors',
      'model errors that reached an agent under the rpm limit',
      { max: 0 },
    ),
    figure('makespan.jain_fairness', jain, '', "Jain's fairness over the agents' throughput", { min: 0.95 }),
  ],
);
