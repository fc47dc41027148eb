/** An ended process's PCB rebuilt from its stored summary row (no runtime: it only answers ps and wait). */
import { param } from '../../sys/param.js';
import type { ProcessSummary } from '../store/api.js';
import type { Pcb, ProcState, WaitSpec } from '../../sys/types.js';

export function pcbFromRecord(r: ProcessSummary): Pcb {
  return {
    pid: r.pid,
    ppid: r.ppid,
    name: r.name,
    role: r.role,
    task: r.task,
    model: r.model,
    priority: r.priority,
    capabilities: JSON.parse(r.capabilities) as string[],
    pipeTo: r.pipe_to,
    createdAt: r.created_at,
    state: r.state as ProcState,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    exitCode: r.exit_code,
    exitReason: r.exit_reason,
    output: r.output,
    counters: {
      turns: r.turns,
      syscalls: r.syscalls,
      promptTokens: r.prompt_tokens,
      outputTokens: r.output_tokens,
      cachedTokens: r.cached_tokens,
      cost: r.cost,
      ...(r.model_mix ? { models: JSON.parse(r.model_mix) as Record<string, number> } : {}),
    },
    limits: {
      maxTurns: r.max_turns,
      maxTokens: null,
      maxCost: null,
      maxWallS: null,
      contextTokens: param.contextBudgetTokens,
    },
    wait: r.wait ? (JSON.parse(r.wait) as WaitSpec) : null,
    // Kept in the runtime (proc-runtime.ts): a live process gets it back there; an ended one answers ps and wait only.
    cwd: '/',
    unit: null,
    spawnKey: null,
  };
}
