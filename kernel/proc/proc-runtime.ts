/**
 * What is stored of a live process besides its PCB: its runtime (queues, streaks, the pending
 * turn's cursor, a kill asked), as the JSON of its row's `runtime` column. Reads only: a process
 * is written by its owner (proc.ts), which restores this on the way back (Proc.fromRecord).
 */
import type { ProcessRecord } from '../store/api.js';
import type { KillRequest } from '../../sys/types.js';
import type { Notice } from '../context/context.js';
import type { ForkOrigin, KillRequest as Kill, Pcb } from '../../sys/types.js';
import type { ContextStart, CrashCount, PendingTurn, StoredPendingTurn } from './proc-types.js';
import type { Routing, StoredRouting } from './routing.js';

/** What a record is made of (a Proc has it all; naming it here keeps this file below proc.ts). */
export interface RuntimeSource {
  readonly pcb: Pcb;
  readonly tree: number;
  readonly recordBroken: boolean;
  readonly notices: readonly Notice[];
  readonly stdout: string;
  readonly noSyscallStreak: number;
  readonly identicalStreak: number;
  readonly lastSignature: string;
  readonly timerSeq: number;
  readonly pending: PendingTurn | null;
  readonly storedPending: StoredPendingTurn | PendingTurn | null;
  readonly promptTurn: number;
  readonly crash: CrashCount | null;
  readonly killRequested: Kill | null;
  readonly context: ContextStart | null;
  readonly contextWarned: boolean;
  readonly routing: Routing | null;
}

export interface Runtime {
  notices: readonly Notice[];
  /** Older stores: the children this process reaped (now a flag on each child's row). */
  reaped?: number[];
  stdout: string;
  noSyscallStreak: number;
  identicalStreak: number;
  lastSignature: string;
  timerSeq: number;
  /** Older stores kept the whole PendingTurn here. */
  pending: StoredPendingTurn | PendingTurn | null;
  /** The last turn whose `prompt` event was emitted: events stay exactly-once across restarts. */
  promptTurn?: number;
  crash?: CrashCount | null;
  kill?: KillRequest | null; // asked, not yet carried out: a restart ends the process with it
  budget?: { maxTokens: number | null; maxCost: number | null; maxWallS: number | null; contextTokens?: number; maxChildren?: number | null; maxLiveDescendants?: number | null };
  context?: ContextStart | null;
  contextWarned?: boolean;
  /** Its working directory when not `/` (the PCB's cwd). */
  cwd?: string;
  /** A laddered process's routing (routing.ts). */
  routing?: StoredRouting;
  /** The unit whose run it is (the PCB's unit). */
  unit?: string;
  /** Its spawn signature (the PCB's spawnKey). */
  spawnKey?: string;
  /** The context threads attached at its spawn (the PCB's threads). */
  threads?: readonly string[];
  /** A fork's origin (the PCB's fork). */
  fork?: ForkOrigin;
}

export function parseRuntime(json: string): Runtime {
  return JSON.parse(json) as Runtime;
}

export function runtimeOf(proc: RuntimeSource): Runtime {
  const p = proc.pcb;
  const budget = { maxTokens: p.limits.maxTokens, maxCost: p.limits.maxCost, maxWallS: p.limits.maxWallS, contextTokens: p.limits.contextTokens, maxChildren: p.limits.maxChildren ?? null, maxLiveDescendants: p.limits.maxLiveDescendants ?? null };
  if (proc.recordBroken) {
    const empty = { notices: [], stdout: '', noSyscallStreak: 0, identicalStreak: 0, lastSignature: '', timerSeq: proc.timerSeq };
    return { ...empty, pending: null, budget, kill: proc.killRequested, ...(p.cwd === '/' ? {} : { cwd: p.cwd }), ...(p.unit === null ? {} : { unit: p.unit }) };
  }
  const pending = proc.pending
    ? { turn: proc.pending.turn, next: proc.pending.next, started: proc.pending.started, replySeq: proc.pending.replySeq }
    : proc.storedPending;
  return {
    notices: proc.notices,
    stdout: proc.stdout,
    noSyscallStreak: proc.noSyscallStreak,
    identicalStreak: proc.identicalStreak,
    lastSignature: proc.lastSignature,
    timerSeq: proc.timerSeq,
    pending,
    promptTurn: proc.promptTurn,
    crash: proc.crash,
    kill: proc.killRequested,
    budget,
    context: proc.context,
    contextWarned: proc.contextWarned,
    ...(p.cwd === '/' ? {} : { cwd: p.cwd }),
    ...(proc.routing ? { routing: proc.routing.stored() } : {}),
    ...(p.unit === null ? {} : { unit: p.unit }),
    ...(p.spawnKey === null ? {} : { spawnKey: p.spawnKey }),
    ...(p.threads?.length ? { threads: p.threads } : {}),
    ...(p.fork ? { fork: p.fork } : {}),
  };
}

export function recordOf(proc: RuntimeSource): ProcessRecord {
  const p = proc.pcb;
  const c = p.counters;
  const runtime = runtimeOf(proc);
  return {
    pid: p.pid,
    ppid: p.ppid,
    tree: proc.tree,
    name: p.name,
    role: p.role,
    task: p.task,
    model: p.model,
    priority: p.priority,
    capabilities: JSON.stringify(p.capabilities),
    pipe_to: p.pipeTo,
    created_at: p.createdAt,
    started_at: p.startedAt,
    ended_at: p.endedAt,
    state: p.state,
    exit_code: p.exitCode,
    exit_reason: p.exitReason,
    output: p.output,
    turns: c.turns,
    syscalls: c.syscalls,
    prompt_tokens: c.promptTokens,
    output_tokens: c.outputTokens,
    cached_tokens: c.cachedTokens,
    cost: c.cost,
    max_turns: p.limits.maxTurns,
    wait: p.wait ? JSON.stringify(p.wait) : null,
    model_mix: c.models ? JSON.stringify(c.models) : null,
    runtime: JSON.stringify(runtime),
  };
}
