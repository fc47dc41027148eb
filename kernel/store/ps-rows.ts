/**
 * `ps` rows of stored processes straight from the columns they show: no runtime blob, no PCB.
 * Two builders that must agree with views.ts's toProcRow (test/kernel/ps-all.test.ts checks it):
 * one in JS per row, one in SQL that makes the whole JSON array inside SQLite.
 */
import type { ProcState, WaitSpec } from '../../sys/types.js';
import { ageSeconds, describeWait, type ProcRow } from '../../protocol/views.js';

/** The columns of `processes` a ps row is made of. */
export const PS_COLUMNS = `pid, ppid, name, role, state, model, priority, turns, syscalls, prompt_tokens, output_tokens, cost,
  created_at, started_at, ended_at, exit_code, exit_reason, wait, model_mix`;

export interface PsColumns {
  pid: number;
  ppid: number;
  name: string;
  role: string;
  state: string;
  model: string;
  priority: number;
  turns: number;
  syscalls: number;
  prompt_tokens: number;
  output_tokens: number;
  cost: number;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  exit_code: number | null;
  exit_reason: string | null;
  /** WaitSpec as JSON, or null. */
  wait: string | null;
  /** Turns by model as JSON, or null. */
  model_mix: string | null;
}

export function psRowFromColumns(r: PsColumns, now: number): ProcRow {
  return {
    pid: r.pid,
    ppid: r.ppid,
    name: r.name,
    role: r.role,
    state: r.state as ProcState,
    model: r.model,
    priority: r.priority,
    turns: r.turns,
    syscalls: r.syscalls,
    prompt_tokens: r.prompt_tokens,
    output_tokens: r.output_tokens,
    tokens: r.prompt_tokens + r.output_tokens,
    cost: r.cost,
    created_at: r.created_at,
    started_at: r.started_at,
    ended_at: r.ended_at,
    age_s: ageSeconds(r.created_at, r.ended_at, now),
    exit_code: r.exit_code,
    exit_reason: r.exit_reason,
    wait: r.wait === null ? null : describeWait(JSON.parse(r.wait) as WaitSpec),
    ...(r.model_mix === null ? {} : { model_mix: JSON.parse(r.model_mix) as Record<string, number> }),
  };
}

/** ageSeconds in integer SQL: floor((x + 500) / 1000) is Math.round(x / 1000) for x ≥ 0. */
const AGE_SQL = 'MAX(0, (COALESCE(ended_at, @now) - created_at + 500) / 1000)';
const WAIT_SQL = `CASE WHEN wait IS NULL THEN NULL WHEN wait ->> '$.kind' = 'child' THEN 'child ' || COALESCE(wait ->> '$.pid', 'any') ELSE wait ->> '$.kind' END`;

/**
 * Every stored process's row, as one JSON array in pid order, made by SQLite and returned as a
 * BLOB (bytes for the socket: no JS object or string per row). Parameter: @now (ms).
 */
export const PS_ROWS_JSON_SQL = `SELECT CAST('[' || COALESCE(group_concat(row, ','), '') || ']' AS BLOB) FROM (
  SELECT json_patch(json_object('pid', pid, 'ppid', ppid, 'name', name, 'role', role, 'state', state, 'model', model, 'priority', priority,
    'turns', turns, 'syscalls', syscalls, 'prompt_tokens', prompt_tokens, 'output_tokens', output_tokens,
    'tokens', prompt_tokens + output_tokens, 'cost', cost, 'created_at', created_at, 'started_at', started_at, 'ended_at', ended_at,
    'age_s', ${AGE_SQL}, 'exit_code', exit_code, 'exit_reason', exit_reason, 'wait', ${WAIT_SQL}),
    CASE WHEN model_mix IS NULL THEN '{}' ELSE json_object('model_mix', json(model_mix)) END) AS row
  FROM processes ORDER BY pid)`;
