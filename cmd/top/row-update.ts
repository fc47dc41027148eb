/**
 * A table row of `aos top` kept current by one pushed event (reducer.ts folds them): a state change
 * (started, ended with its code and reason, what it waits for), a model turn's tokens, a syscall;
 * a spawned process's first row; the kernel's counts by state moved along.
 */
import type { KernelEvent } from '../../protocol/events.js';
import type { ProcRow } from '../../protocol/views.js';
import { isEnded, type ProcState } from '../../sys/types.js';

export function updateRow(row: ProcRow, event: KernelEvent): ProcRow {
  switch (event.type) {
    case 'state': {
      const at = Date.parse(event.ts);
      const ended = isEnded(event.to);
      return {
        ...row,
        state: event.to,
        started_at: row.started_at ?? (event.to === 'running' ? at : null),
        ended_at: ended ? at : row.ended_at,
        exit_code: ended ? (event.code ?? row.exit_code) : row.exit_code,
        exit_reason: ended ? (event.reason ?? row.exit_reason) : row.exit_reason,
        wait: event.to === 'blocked' ? (event.reason ?? row.wait) : null,
      };
    }
    case 'model': {
      const prompt = event.usage?.prompt ?? 0;
      const output = event.usage?.output ?? 0;
      return {
        ...row,
        // The event carries the 0-based turn that just completed.
        turns: Math.max(row.turns, event.turn + 1),
        prompt_tokens: row.prompt_tokens + prompt,
        output_tokens: row.output_tokens + output,
        tokens: row.tokens + prompt + output,
      };
    }
    case 'syscall':
      return { ...row, syscalls: row.syscalls + 1 };
    default:
      return row;
  }
}

/** The row of a process the table learns of by its spawn event (a refresh fills in the rest). */
export function spawnedRow(event: Extract<KernelEvent, { type: 'state' }>): ProcRow {
  const at = Date.parse(event.ts);
  return {
    pid: event.pid,
    ppid: event.ppid ?? 0,
    name: event.name ?? '?',
    role: event.role ?? '',
    state: event.to,
    model: event.model ?? '',
    priority: 0,
    turns: 0,
    syscalls: 0,
    prompt_tokens: 0,
    output_tokens: 0,
    tokens: 0,
    cost: 0,
    created_at: at,
    started_at: null,
    ended_at: null,
    age_s: 0,
    exit_code: null,
    exit_reason: null,
    wait: null,
  };
}

/** One process moved from `from` to `to` in the kernel's counts by state. */
export function moveCount(counts: Record<ProcState, number>, from: ProcState, to: ProcState): void {
  counts[from] = Math.max(0, counts[from] - 1);
  counts[to]++;
}
