/** The shapes the kernel shows to the outside (ps rows, kernel totals): plain JSON. */
import type { Pcb, ProcState, WaitSpec } from './types.js';

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

/** `child 3`, `child any`, `msg`, ...: what a process waits for, in a word. */
export function describeWait(wait: WaitSpec | null): string | null {
  if (!wait) return null;
  return wait.kind === 'child' ? `child ${wait.pid ?? 'any'}` : wait.kind;
}

/** Seconds from creation to the end (or to now), whole. */
export function ageSeconds(createdAt: number, endedAt: number | null, now: number): number {
  return Math.max(0, Math.round(((endedAt ?? now) - createdAt) / 1000));
}

export function toProcRow(pcb: Pcb, now = Date.now()): ProcRow {
  const c = pcb.counters;
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
    age_s: ageSeconds(pcb.createdAt, pcb.endedAt, now),
    exit_code: pcb.exitCode,
    exit_reason: pcb.exitReason,
    wait: describeWait(pcb.wait),
  };
}
