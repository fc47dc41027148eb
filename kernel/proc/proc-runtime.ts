/**
 * A process's row: its PCB's columns, and its `runtime` column — the JSON of what else is stored
 * of it, one part per owner (issue 48.3): the PCB's own (what it asked: a kill, its budgets, cwd,
 * unit, ladder, fork), its queues' (ipc/queues.ts stored), its turn's (the loop's: turn-state.ts
 * stored). Each owner says its part and restores it; the row is written whole at the commit
 * (persist). Reads only: Proc.fromRecord restores the PCB's part and the queues on the way back.
 */
import type { KernelStore, ProcessRecord } from '../store/api.js';
import type { Queues, QueuesRuntime } from '../ipc/queues.js';
import type { ForkOrigin, KillRequest, Pcb } from '../../sys/types.js';
import type { Routing, StoredRouting } from './routing.js';
import type { TurnPart } from './turn-part.js';
import type { StoredTaint, TaintState } from '../../sys/taint.js';

/** What a record is made of (a Proc has it all; naming it here keeps this file below proc.ts). */
export interface RuntimeSource {
  readonly pid: number;
  readonly pcb: Pcb;
  readonly tree: number;
  readonly recordBroken: boolean;
  readonly killRequested: KillRequest | null;
  readonly routing: Routing | null;
  readonly queues: Queues;
  readonly turnPart: TurnPart;
  readonly taint: TaintState;
  toRecord(): ProcessRecord;
}

/** The PCB's part of the runtime column (the queues' and the loop's beside it). */
export interface Runtime extends QueuesRuntime {
  /** Older stores: the children this process reaped (now a flag on each child's row). */
  reaped?: number[];
  kill?: KillRequest | null; // asked, not yet carried out: a restart ends the process with it
  budget?: {
    maxTokens: number | null;
    maxCost: number | null;
    maxWallS: number | null;
    contextTokens?: number;
    maxChildren?: number | null;
    maxLiveDescendants?: number | null;
  };
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
  /** Its taint (sys/taint.ts), kept even when the rest is not: a restart must not forget outside content. */
  taint?: StoredTaint;
}

export function parseRuntime(json: string): Runtime {
  return JSON.parse(json) as Runtime;
}

/** The row again, at the next commit (a process changed many times in a tick is written once). */
export function persist(store: KernelStore, proc: RuntimeSource): void {
  store.processes.save(proc.pid, () => proc.toRecord());
}

/**
 * The runtime column, each part writing its own fields in (storeIn): one object built field by field —
 * spreading the parts' objects into one made the row builder eight times slower (V8's spread of a
 * second object), and it runs for every process a commit writes.
 */
export function runtimeOf(proc: RuntimeSource): Runtime {
  const p = proc.pcb;
  const budget = {
    maxTokens: p.limits.maxTokens,
    maxCost: p.limits.maxCost,
    maxWallS: p.limits.maxWallS,
    contextTokens: p.limits.contextTokens,
    maxChildren: p.limits.maxChildren ?? null,
    maxLiveDescendants: p.limits.maxLiveDescendants ?? null,
  };
  const rt = { kill: proc.killRequested, budget } as Runtime;
  // A row that could not be stored once: its PCB, what it asked, its timers' count (the rest starts again empty).
  const whole = !proc.recordBroken;
  proc.queues.storeIn(rt, whole);
  if (whole) proc.turnPart.storeIn(rt);
  if (p.cwd !== '/') rt.cwd = p.cwd;
  if (p.unit !== null) rt.unit = p.unit;
  if (proc.taint.held) rt.taint = proc.taint.stored();
  if (!whole) return rt;
  if (proc.routing) rt.routing = proc.routing.stored();
  if (p.spawnKey !== null) rt.spawnKey = p.spawnKey;
  if (p.threads?.length) rt.threads = p.threads;
  if (p.fork) rt.fork = p.fork;
  return rt;
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
