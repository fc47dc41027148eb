/**
 * The JSON the verbs print beyond events, rows and inspect (schemas.ts): one zod schema per `--json`
 * output, published by `aos schema` beside them. test/e2e/json-outputs.test.ts runs each verb
 * through the real CLI and checks what it printed against its schema.
 */
import { z } from 'zod';
import { PROC_STATES } from '../sys/types.js';

const pid = z.number().int().positive();
const state = z.enum(PROC_STATES);
const end = z.object({ pid, state, code: z.number().int().nullable(), reason: z.string().nullable() });

export const VERB_SCHEMAS = {
  'spawn-detached': z.object({ pid }).describe('aos spawn --detach --json'),
  kill: z.object({ killed: z.array(pid) }).describe('aos kill --json: the pids that were live and are being killed'),
  stop: z.object({ pid, stopped: z.boolean(), end: end.nullable(), children: z.array(end) }).describe('aos stop --json: how the process and each descendant stopped'),
  wait: z
    .array(z.object({ pid, state, exit_code: z.number().int().nullable(), reason: z.string().nullable(), timed_out: z.boolean() }))
    .describe('aos wait --json: one entry per pid, in the order given'),
  removed: z.object({ removed: z.array(pid) }).describe('aos rm --json and aos prune --json: the pids removed'),
  restart: z.object({ pid, old_pid: pid, killed: z.array(pid) }).describe('aos restart --json'),
  'kernel-start': z.object({ pid, socket: z.string(), workspace: z.string(), started: z.boolean() }).describe('aos kernel start --json'),
  'kernel-stop': z.object({ pid: pid.nullable(), forced: z.boolean() }).describe('aos kernel stop --json (pid null: none was running)'),
  'kernel-restart': z.object({ old_pid: pid.nullable(), pid, workspace: z.string(), processes: z.number().int().nonnegative() }).describe('aos kernel restart --json'),
  'kernel-status': z
    .union([
      z.looseObject({ running: z.literal(true), pid, version: z.string(), uptime_s: z.number(), socket: z.string(), home: z.string(), workspace: z.string(), processes: z.record(z.string(), z.number()) }),
      z.object({ running: z.literal(false), home: z.string(), socket: z.string(), workspace: z.string() }),
    ])
    .describe('aos kernel status --json (exit 2 with running false)'),
  'policy-check': z
    .object({
      ok: z.boolean(),
      file: z.string(),
      error: z.string().optional(),
      root_capabilities: z.number().int().optional(),
      rules: z.number().int().optional(),
      mcp_servers: z.number().int().optional(),
      secrets: z.number().int().optional(),
      default_model: z.string().nullable().optional(),
      warnings: z.array(z.string()).optional(),
    })
    .describe('aos policy check --json'),
} as const;
