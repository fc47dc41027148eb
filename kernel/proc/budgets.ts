/**
 * Per-process budgets set at spawn: the wall-time timer, and a child's budgets never looser than
 * its parent's. Tokens and cost are counted, and checked after each reply, by the PCB itself
 * (proc.ts charge, overBudget): a turn runs no code of this file.
 */
import { isEnded } from '../../sys/types.js';
import type { ProcCore } from './api.js';
import { endForBudget } from './kill.js';
import type { Proc } from './proc.js';

/** Arm the wall-time budget (at spawn, and again after a restart). */
export function armWallTimer(k: ProcCore, proc: Proc): void {
  const limit = proc.pcb.limits.maxWallS;
  if (limit === null || isEnded(proc.pcb.state)) return;
  const left = proc.pcb.createdAt + limit * 1000 - Date.now();
  proc.armWallTimer(
    setTimeout(() => endForBudget(k, proc, `wall time budget exhausted (${limit}s)`), Math.max(0, left)),
  );
}

/** A child's budget is never looser than its parent's (null = unlimited). */
export function tighter(asked: number | undefined, parent: number | null | undefined): number | null {
  const candidates = [asked, parent].filter((v): v is number => typeof v === 'number');
  return candidates.length ? Math.min(...candidates) : null;
}
