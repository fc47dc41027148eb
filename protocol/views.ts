/** The shapes the kernel shows to the outside (ps rows, kernel totals): plain JSON. */
import type { ClusterView } from './cluster-view.js';
import type { Pcb, ProcState, WaitSpec } from '../sys/types.js';

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
  /** A laddered process's turns by the model they ran on (ps's MODEL shows the mix); absent on one model. */
  model_mix?: Record<string, number>;
  /** In a cluster, the node whose store holds it (issue 36); absent when the kernel runs alone. */
  node?: string;
}

/** One provider's concurrency and rate headroom, as `aos kernel status` and `aos top` show it. */
export interface ProviderStats {
  provider: string;
  /** Inferences it may have in flight now; null when unbounded (replay). */
  limit: number | null;
  /** Whether the limit is learned (adaptive-limit.ts) rather than pinned by AOS_LIMITS. */
  adaptive: boolean;
  in_flight: number;
  /** Ready processes waiting in its run queues. */
  queued: number;
  /** Retries waiting for a slot after a 429/5xx. */
  retrying: number;
  rpm_left: number | null;
  tpm_left: number | null;
  /** Refusals (429, 503) it has sent. */
  throttled: number;
}

export interface KernelStats {
  pid: number;
  uptime_s: number;
  version: string;
  processes: Record<ProcState, number>;
  active_inferences: number;
  /** The providers' limits added up (an unbounded one counts what it has in flight): there is no global cap. */
  max_inferences: number;
  queue_depth: number;
  prompt_tokens: number;
  output_tokens: number;
  cost: number;
  rss_bytes: number;
  heap_used_bytes: number;
  /** Provider rate-limit headroom, when the model pool knows it (issue: models). */
  rate_limits: Array<{ provider: string; rpm_left: number | null; tpm_left: number | null }>;
  /** Per provider: limit, in flight, queued, rate headroom. */
  providers: ProviderStats[];
  /** Base URL of the webhook gateway (`http://127.0.0.1:<port>`, also the MCP endpoint's), or null when it is off. */
  webhook_url: string | null;
  /** The base of the webhook URLs processes are told instead (AOS_WEBHOOK_URL), or null: they are told the gateway's. */
  webhook_public_url?: string | null;
  /** The cluster this kernel is a node of (AOS_DATABASE_URL), or null when it runs alone. */
  cluster?: ClusterView | null;
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

export function maxInferences(providers: readonly ProviderStats[]): number {
  return providers.reduce((sum, p) => sum + (p.limit ?? p.in_flight), 0);
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
    ...(c.models ? { model_mix: c.models as Record<string, number> } : {}),
  };
}
