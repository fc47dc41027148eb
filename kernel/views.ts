/** The shapes the kernel shows to the outside (ps rows, kernel totals): plain JSON. */
import type { Pcb, ProcState } from './types.js';

export interface ProcRow {
  pid: number;
  ppid: number;
  name: string;
  role: string;
  state: ProcState;
  model: string;
  priority: number;
  turns: number;
  syscalls: number;
  prompt_tokens: number;
  output_tokens: number;
  tokens: number;
  cost: number;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  age_s: number;
  exit_code: number | null;
  exit_reason: string | null;
  wait: string | null;
}

export interface KernelStats {
  pid: number;
  uptime_s: number;
  version: string;
  processes: Record<ProcState, number>;
  active_inferences: number;
  max_inferences: number;
  queue_depth: number;
  prompt_tokens: number;
  output_tokens: number;
  cost: number;
  rss_bytes: number;
  heap_used_bytes: number;
  /** Provider rate-limit headroom, when the model pool knows it (issue: models). */
  rate_limits: Array<{ provider: string; rpm_left: number | null; tpm_left: number | null }>;
  /** Base URL of the webhook gateway, or null when it is off. */
  webhook_url: string | null;
}

export function toProcRow(pcb: Pcb, now = Date.now()): ProcRow {
  const c = pcb.counters;
  const wait = pcb.wait;
  return {
    pid: pcb.pid,
    ppid: pcb.ppid,
    name: pcb.name,
    role: pcb.role,
    state: pcb.state,
    model: pcb.model,
    priority: pcb.priority,
    turns: c.turns,
    syscalls: c.syscalls,
    prompt_tokens: c.promptTokens,
    output_tokens: c.outputTokens,
    tokens: c.promptTokens + c.outputTokens,
    cost: c.cost,
    created_at: pcb.createdAt,
    started_at: pcb.startedAt,
    ended_at: pcb.endedAt,
    age_s: Math.max(0, Math.round(((pcb.endedAt ?? now) - pcb.createdAt) / 1000)),
    exit_code: pcb.exitCode,
    exit_reason: pcb.exitReason,
    wait: wait ? (wait.kind === 'child' ? `child ${wait.pid ?? 'any'}` : wait.kind) : null,
  };
}
