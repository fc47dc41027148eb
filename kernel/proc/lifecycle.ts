/**
 * A process's life after spawn: state changes (each an event and a row), parking in a blocking
 * call, the run queue, and the end — the one place a PCB leaves the living, which ends its other
 * parts too (its queues: ipc/queues.ts; its turn's state: the loop's).
 */
import { AosError, interruption } from '../../sys/errno.js';
import { formatEvent } from '../context/context.js';
import { param } from '../../sys/param.js';
import { isEnded, type Pcb, type ProcState, type WaitSpec } from '../../sys/types.js';
import type { ProcCore } from './api.js';
import type { Proc } from './proc.js';
import type { WakeReason } from './parking.js';
import type { Waking } from '../../sys/waking.js';
import { persist } from './proc-runtime.js';
import { notify } from '../ipc/queues.js';
import { decideRung, DEFAULT_LADDER_RULES } from '../sched/ladder.js';

export function setState(k: ProcCore, proc: Proc, to: ProcState, extra: { reason?: string; code?: number } = {}): void {
  const from = proc.pcb.state;
  if (from === to) return;
  proc.enter(to);
  persist(k.store, proc);
  k.events.emit({ type: 'state', pid: proc.pid, from, to, ...extra });
}

export function park(k: ProcCore, proc: Proc, spec: WaitSpec): Waking<WakeReason> {
  const woken = proc.park(spec);
  const what = spec.kind === 'child' ? 'a child' : spec.kind === 'msg' ? 'a message' : 'stdin';
  const reason =
    spec.kind === 'sleep'
      ? `sleeping ${spec.seconds}s`
      : spec.kind === 'approval'
        ? `approval ${spec.id}`
        : spec.kind === 'budget'
          ? spec.settle
            ? `budget ${spec.budget}: waiting for requests in flight to settle`
            : `budget ${spec.budget} is spent`
          : `waiting for ${what}`;
  setState(k, proc, spec.kind === 'sleep' ? 'sleeping' : 'blocked', { reason });
  return woken.map((wake) => {
    if (!proc.killRequested && !k.closing) setState(k, proc, 'running', { reason: `woken: ${wake}` });
    return wake;
  });
}

export function makeReady(k: ProcCore, proc: Proc): void {
  if (k.closing) return;
  if (k.disk.hold(proc)) return;
  setState(k, proc, 'ready');
  enqueue(k, proc);
}

/** Into its model's run queue, with a token estimate for the pool's per-minute budgets. */
export function enqueue(k: ProcCore, proc: Proc): void {
  if (k.disk.hold(proc)) return;
  const { pcb } = proc;
  const c = pcb.counters;
  const estimate = c.turns > 0 ? Math.ceil((c.promptTokens + c.outputTokens) / c.turns) : param.firstTurnTokenEstimate;
  k.scheduler.enqueue(pcb.pid, pcb.priority, proc.routing ? route(k, proc) : pcb.model, estimate);
}

/**
 * A laddered process's rung for its next turn (sched/ladder.ts), chosen once per turn — a process
 * queued again for the same turn keeps it — and said as a `route` event. Its model is the lane.
 */
function route(k: ProcCore, proc: Proc): string {
  const routing = proc.routing as NonNullable<Proc['routing']>;
  const turn = proc.pcb.counters.turns;
  if (routing.routedTurn === turn) return routing.model;
  const decision = decideRung(
    routing.top,
    { rung: routing.rung, stick: routing.stick, climbs: routing.climbs },
    routing.signals(proc.parkedThisTurn, k.headroom?.(proc) ?? null, turn / proc.pcb.limits.maxTurns),
    k.ladderRules ?? DEFAULT_LADDER_RULES,
  );
  routing.routed(turn, decision);
  k.events.emit({
    type: 'route',
    pid: proc.pid,
    turn,
    rung: decision.rung,
    model: routing.model,
    reason: decision.reason,
  });
  return routing.model;
}

/** End a process: the one place a PCB leaves the living. */
export function finish(
  k: ProcCore,
  proc: Proc,
  state: 'exited' | 'killed',
  code: number,
  reason: string,
  result: string | null = null,
): void {
  const pcb = proc.pcb;
  if (isEnded(pcb.state) || k.closing) return;
  k.scheduler.forget(pcb.pid);
  proc.clearTimers();
  proc.wake('interrupt');
  if (!proc.abort.signal.aborted) proc.abort.abort(interruption(reason));
  proc.ended(code, reason, result ?? (proc.queues.stdout || null));
  // Its other parts end with it, each by its owner: no call pending (the loop's), nothing queued (ipc's).
  proc.turnPart.exit(k.store, pcb.pid);
  proc.queues.exit(k.store, pcb.pid);
  setState(k, proc, state, { reason, code });
  k.processEnded(pcb.pid);
  k.disk.forget(proc);
  // Its history is in the store, its PCB in a bounded cache for the WAIT or CLI that asks next.
  k.table.evict(proc);
  notifyParent(k, proc);
  const waiters = k.table.exitWaiters.get(pcb.pid);
  k.table.exitWaiters.delete(pcb.pid);
  for (const resolve of waiters ?? []) resolve(pcb);
}

function notifyParent(k: ProcCore, child: Proc): void {
  const parent = k.table.get(child.pcb.ppid);
  if (!parent || isEnded(parent.pcb.state)) return;
  const wait = parent.pcb.wait;
  if (wait?.kind === 'child' && (wait.pid === null || wait.pid === child.pid)) {
    parent.wake('ready');
    return;
  }
  const { pcb } = child;
  const output = pcb.output && k.childOutput ? k.childOutput(parent, child, pcb.output) : pcb.output;
  const payload = { pid: pcb.pid, name: pcb.name, exit_code: pcb.exitCode, reason: pcb.exitReason, output };
  notify(k.store, parent, { kind: 'child_exit', pid: pcb.pid, text: formatEvent('CHILD_EXIT', payload) });
}

/** A parent's WAIT took this child's exit: it is never reported to the parent again, even after a restart. */
export function reap(k: ProcCore, parent: Proc, childPid: number): void {
  parent.forgetChild(childPid);
  parent.queues.dropNotices('child_exit', childPid);
  k.store.processes.markReaped(childPid);
  persist(k.store, parent);
}

/** Resolves when the process has ended. */
export function waitExit(k: ProcCore, pid: number): Promise<Pcb> {
  const proc = k.table.get(pid);
  if (!proc) {
    const ended = k.table.endedPcb(pid);
    if (ended) return Promise.resolve(ended);
    return Promise.reject(new AosError('ESRCH', `no such process ${pid}`));
  }
  if (isEnded(proc.pcb.state)) return Promise.resolve(proc.pcb);
  return new Promise((resolve) => {
    const list = k.table.exitWaiters.get(pid) ?? [];
    list.push(resolve);
    k.table.exitWaiters.set(pid, list);
  });
}
