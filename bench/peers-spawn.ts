/**
 * One framework's run in the peers bench: its runner (peers-<framework>.ts) forked with the
 * workload, the fake's latency set whenever the runner asks (which starts the fake's counters
 * afresh: the counters read after the result are the timed run's), and the result with them.
 */
import type { ChildProcess } from 'node:child_process';
import type { PeersFake } from './peers-fake.js';
import type { PeersFakeStats } from './peers-fake-server.js';
import { forkBench, nextMessage } from './peers-fork.js';
import type { RunnerResult } from './peers-runner.js';

export type FrameworkName = 'bare' | 'aos' | 'agents';

export interface Workload {
  agents: number;
  turns: number;
  latencyMs: number;
}

export interface FrameworkRun extends RunnerResult {
  /** The fake's counters over the timed run. */
  fake: PeersFakeStats;
}

/** Wait for the child to exit; past `ms`, kill it (it is ours: the pid we forked). */
async function reap(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}

export async function runFramework(
  fake: PeersFake,
  framework: FrameworkName,
  w: Workload,
  warmup: number,
): Promise<FrameworkRun> {
  const args = ['--url', fake.url, '--agents', String(w.agents), '--turns', String(w.turns)];
  args.push('--latency', String(w.latencyMs), '--warmup', String(warmup));
  const child = forkBench(`peers-${framework}`, args, ['--expose-gc']);
  child.on('message', (message: { type?: string; ms?: number }) => {
    if (message.type !== 'latency') return;
    void fake.set({ latencyMs: message.ms ?? 0, turns: w.turns }).then(() => child.send({ type: 'latency' }));
  });
  try {
    const result = await nextMessage<RunnerResult>(child, 'result');
    return { ...result, fake: await fake.stats() };
  } finally {
    await reap(child, 10_000);
  }
}
