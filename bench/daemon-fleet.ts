/**
 * A fleet spawned over the daemon's socket, as a user's script does it: every spawn sent at once,
 * each agent's end awaited with the `wait` method (answered when it exits: nothing polls the
 * daemon while the agents run), then one `ps` for the kernel's own timestamps. Shared by
 * daemon-turns.ts and daemon-makespan.ts.
 */
import type { KernelClient } from '../client/client.js';
import type { BenchHome } from './daemon-home.js';

/** `turns` replies that each wait `latency` ms, the last one SYS_EXIT (distinct, so the loop detector lets them all run). */
export function tapeReplies(turns: number, latency: number): unknown[] {
  return Array.from({ length: turns }, (_, i) => ({
    delay_ms: latency,
    reply:
      i + 1 === turns ? '[SYS_CALL::SYS_EXIT] {"code":0}' : `step ${i}\n[SYS_CALL::SYS_WRITE_STDOUT] {"text":"${i}"}`,
  }));
}

export interface Agent {
  pid: number;
  /** The kernel's timestamps (ms since the epoch). */
  created: number;
  started: number;
  ended: number;
  code: number | null;
  /** The client's clock (performance.now()): the spawn's answer, the wait's answer. */
  spawnedAt: number;
  exitSeenAt: number;
}

export interface FleetRound {
  /** The client's clock when the first spawn was sent. */
  sentAt: number;
  agents: Agent[];
}

/** The longest a bench agent may take before `wait` gives up on it (s). */
const WAIT_S = 600;

/** Spawn `n` agents named `name` on `model` at once over `client`, and wait for every one to end. */
export async function spawnAndWait(client: KernelClient, n: number, model: string, name: string): Promise<FleetRound> {
  const sentAt = performance.now();
  const lives = await Promise.all(
    Array.from({ length: n }, async () => {
      const { pid } = await client.request('spawn', { task: 'go', model, name });
      const spawnedAt = performance.now();
      const end = await client.request('wait', { pid, timeout_s: WAIT_S });
      if (end.timed_out) throw new Error(`process ${pid} did not end within ${WAIT_S} s`);
      return { pid, spawnedAt, exitSeenAt: performance.now() };
    }),
  );
  const rows = new Map((await client.request('ps', { last: n })).map((row) => [row.pid, row]));
  const agents = lives.map((life) => {
    const row = rows.get(life.pid);
    if (!row) throw new Error(`process ${life.pid} is not among the last ${n} of ps`);
    return {
      ...life,
      created: row.created_at,
      started: row.started_at ?? row.created_at,
      ended: row.ended_at ?? row.created_at,
      code: row.exit_code,
    };
  });
  const failed = agents.filter((a) => a.code !== 0).length;
  if (failed) throw new Error(`${failed} of ${n} agents did not exit 0`);
  return { sentAt, agents };
}

/** A daemon's replay model: `turns` replies of `latency` ms for agents named `name`. */
export function fleetTape(bench: BenchHome, name: string, turns: number, latency: number): Promise<string> {
  return bench.tape({ [name]: tapeReplies(turns, latency) });
}
