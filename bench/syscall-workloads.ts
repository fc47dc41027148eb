/**
 * The workloads of bench/syscalls.ts: what each agent's reply holds on every turn. Replies carry
 * the agent's own pid (SEND_MSG to itself), so they come from a synthetic model, not a tape file.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelDriver, ModelRequest } from '../drivers/llm/types.js';

export interface Workload {
  name: string;
  /** The calls of one turn (before the last turn, which is always SYS_EXIT). */
  calls(pid: number, turn: number): string;
  /** Touches the host (files, the store's commit before it runs): reported, no latency target. */
  io: boolean;
}

const call = (name: string, args: Record<string, unknown>): string => `[SYS_CALL::${name}] ${JSON.stringify(args)}`;

export const EXIT_REPLY = call('SYS_EXIT', { code: 0 });

/** The one table: each runs with every agent making these calls every turn. */
export const WORKLOADS: readonly Workload[] = [
  { name: 'SYS_WRITE_STDOUT', io: false, calls: (_pid, turn) => call('SYS_WRITE_STDOUT', { text: `line ${turn}` }) },
  {
    name: 'SEND_MSG+RECV_MSG',
    io: false,
    // The message is waiting by the time RECV_MSG runs: the figure is the kernel's, not a wait.
    calls: (pid, turn) =>
      `${call('SEND_MSG', { to_pid: pid, content: `m${turn}` })}\n${call('RECV_MSG', { timeout_s: 60 })}`,
  },
  { name: 'SLEEP', io: false, calls: () => call('SLEEP', { seconds: 0 }) },
  {
    name: 'SYS_SCHEDULE',
    io: false,
    calls: (_pid, turn) => call('SYS_SCHEDULE', { seconds: 3600, prompt: `tick ${turn}` }),
  },
  {
    name: 'SPAWN_AGENT+WAIT',
    io: false,
    calls: (_pid, turn) =>
      `${call('SPAWN_AGENT', { role: 'worker', name: 'child', task: `t${turn}` })}\n${call('WAIT', { timeout_s: 60 })}`,
  },
  { name: 'FS_LIST', io: true, calls: () => call('FS_LIST', { path: '/data' }) },
  { name: 'FS_READ', io: true, calls: () => call('FS_READ', { path: '/data/file-0.txt' }) },
  {
    name: 'FS_WRITE',
    io: true,
    calls: (pid, turn) => call('FS_WRITE', { path: `/out/${pid}.txt`, content: `turn ${turn}\n` }),
  },
];

/** What the FS workloads find: /data with ten 1 KiB files. */
export async function seedWorkspace(workspace: string): Promise<void> {
  const data = path.join(workspace, 'data');
  await mkdir(data, { recursive: true });
  for (let i = 0; i < 10; i++) await writeFile(path.join(data, `file-${i}.txt`), `${String(i).repeat(1023)}\n`);
}

/** A zero-latency model: `turns` turns of the workload's calls, then SYS_EXIT; children exit at once. */
export function workloadModel(id: string, workload: Workload, turns: number): ModelDriver {
  return {
    id,
    complete: async (request: ModelRequest) => {
      const { pid, name, turn } = request.proc;
      if (name === 'child' || turn >= turns - 1) return { text: EXIT_REPLY };
      // Distinct replies so the loop detector does not (rightly) end the agents early.
      return { text: `step ${turn}\n${workload.calls(pid, turn)}` };
    },
  };
}
