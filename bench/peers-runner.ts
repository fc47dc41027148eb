/**
 * What every framework's runner process does, the same for each (peers-aos.ts, peers-agents.ts,
 * peers-bare.ts open their framework and call `serveRunner`):
 * 1. memory, first, in the fresh process: the whole workload once, RSS sampled every 50 ms; the
 *    peak over what the process held before it, per agent, is what running that many agents at
 *    once costs a process (its compiled code and grown young generation included: both frameworks
 *    pay those, and at 1,000 agents they weigh little a head). In the middle turn, when every agent
 *    is parked on its reply, a full GC and the live heap over the heap before, per agent. (Measured
 *    after other runs, RSS would not show it: freed pages are reused before the OS sees more.)
 * 2. warm-up: `--warmup` rounds of up to 100 agents at 10 ms a reply, so the code timed is
 *    compiled, as in a process that has served for a while (the memory run was a warm-up too);
 * 3. timed: the whole workload again, from a collected heap: makespan and this process's CPU
 *    (process.cpuUsage: every thread of it; the fake server's process is not counted).
 * The latency is the fake's, set through the bench (`latency` messages) before each phase.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { flag } from './report.js';

export interface FleetDone {
  /** Agents that ended as they should, after all their turns. */
  finished: number;
  /** Tool calls the framework ran (its function tool, or SYS_WRITE_STDOUT). */
  tools: number;
}

export interface Framework {
  /** Start `agents` agents of the configured turns at once; resolves when all have ended. */
  run(agents: number): Promise<FleetDone>;
  close(): Promise<void>;
}

export interface RunnerOptions {
  /** OpenAI base URL of the fake. */
  url: string;
  turns: number;
}

export interface RunnerResult {
  type: 'result';
  framework: string;
  agents: number;
  turns: number;
  latencyMs: number;
  makespanMs: number;
  cpuUsPerTurn: number;
  finished: number;
  tools: number;
  rssPerAgentKb: number;
  heapPerAgentKb: number;
  /** Before the timed run, after the memory run, the warm-up and a GC. */
  baseRssMb: number;
  baseHeapMb: number;
}

const gc = (): void => {
  if (typeof global.gc !== 'function') throw new Error('peers runner: run with --expose-gc');
  global.gc();
};

/** Ask the bench to set the fake's latency (which starts its counters afresh) and wait for it. */
function setLatency(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (message: { type?: string }): void => {
      if (message.type !== 'latency') return;
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
    process.send?.({ type: 'latency', ms });
  });
}

async function memoryRun(
  fw: Framework,
  agents: number,
  turns: number,
  latencyMs: number,
): Promise<{ rssKb: number; heapKb: number }> {
  gc();
  const before = process.memoryUsage();
  let peak = before.rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  const running = fw.run(agents);
  // The middle of the middle turn: every agent is waiting on the model, its history half grown.
  await sleep((Math.ceil(turns / 2) - 0.5) * latencyMs);
  peak = Math.max(peak, process.memoryUsage.rss());
  gc();
  const heap = process.memoryUsage().heapUsed;
  await running;
  clearInterval(sampler);
  return { rssKb: (peak - before.rss) / 1024 / agents, heapKb: (heap - before.heapUsed) / 1024 / agents };
}

export async function serveRunner(name: string, open: (options: RunnerOptions) => Promise<Framework>): Promise<void> {
  // The bench went away (killed, or failed): do not linger.
  process.on('disconnect', () => process.exit(1));
  const url = flag('url', '');
  const agents = Number(flag('agents', '100'));
  const turns = Number(flag('turns', '3'));
  const latencyMs = Number(flag('latency', '500'));
  const warmup = Number(flag('warmup', '3'));
  const fw = await open({ url, turns });
  try {
    await setLatency(latencyMs);
    const memory = await memoryRun(fw, agents, turns, latencyMs);
    await setLatency(10);
    for (let i = 0; i < warmup; i++) await fw.run(Math.min(agents, 100));
    await setLatency(latencyMs);
    gc();
    const base = process.memoryUsage();
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const done = await fw.run(agents);
    const makespanMs = performance.now() - t0;
    const used = process.cpuUsage(cpu);
    const result: RunnerResult = {
      type: 'result',
      framework: name,
      agents,
      turns,
      latencyMs,
      makespanMs,
      cpuUsPerTurn: (used.user + used.system) / (agents * turns),
      finished: done.finished,
      tools: done.tools,
      rssPerAgentKb: memory.rssKb,
      heapPerAgentKb: memory.heapKb,
      baseRssMb: base.rss / 2 ** 20,
      baseHeapMb: base.heapUsed / 2 ** 20,
    };
    await new Promise<void>((resolve, reject) =>
      process.send?.(result, (err: Error | null) => (err ? reject(err) : resolve())),
    );
  } finally {
    await fw.close();
  }
  // A framework may keep a pool's sockets or a timer alive: the result is sent, the process is done.
  process.exit(0);
}
