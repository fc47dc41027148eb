/**
 * The JSON that scripts read (`aos logs --json` events, `aos ps --json` rows, `aos inspect --json`)
 * as zod schemas, published as JSON Schema (`aos schema`, docs/schema/aos.schema.json). The types
 * the kernel uses are checked against them at compile time, so the two cannot drift apart.
 */
import { z } from 'zod';
import { PROC_STATES } from '../sys/types.js';
import type { ProcDetail } from './detail.js';
import type { KernelEvent } from './events.js';
import type { ProcRow } from './views.js';
import { VERB_SCHEMAS } from './verb-schemas.js';
import { UNIT_VERB_SCHEMAS } from './unit-verb-schemas.js';
import { THREAD_VERB_SCHEMAS } from './thread-verb-schemas.js';
import { SKILL_VERB_SCHEMAS } from './skill-verb-schemas.js';
import { BUDGET_VERB_SCHEMAS } from './budget-verb-schemas.js';
import { SAFETY_VERB_SCHEMAS } from './safety-verb-schemas.js';
import { CHANNEL_VERB_SCHEMAS } from './channel-verb-schemas.js';
import { TAPE_VERB_SCHEMAS } from './tape-verb-schemas.js';
import { FORK_VERB_SCHEMAS } from './fork-protocol.js';
import { PROPOSAL_EVENT_FIELDS, PROPOSAL_VERB_SCHEMAS } from './proposal-protocol.js';
import { SERVICE_VERB_SCHEMAS } from './service-view.js';
import { POLICY_TRY_VERB_SCHEMAS } from './policy-try-protocol.js';

const state = z.enum(PROC_STATES);
const base = { ts: z.string().describe('ISO time'), pid: z.number().int() };
const transcriptSeq = z.number().int().optional().describe('the row of the process transcript that holds the text');

export const kernelEventSchema = z
  .discriminatedUnion('type', [
    z.object({
      ...base,
      type: z.literal('state'),
      from: state.nullable(),
      to: state,
      reason: z.string().optional(),
      code: z.number().int().optional(),
      name: z.string().optional(),
      ppid: z.number().int().optional(),
      role: z.string().optional(),
      model: z.string().optional(),
    }),
    z.object({
      ...base,
      type: z.literal('prompt'),
      turn: z.number().int(),
      transcript_seq: transcriptSeq,
      text: z.string(),
    }),
    z.object({
      ...base,
      type: z.literal('model'),
      turn: z.number().int(),
      transcript_seq: transcriptSeq,
      text: z.string(),
      usage: z.object({ prompt: z.number(), output: z.number(), cached: z.number().optional() }).optional(),
      finish: z.string().optional(),
      model: z.string().optional().describe('the rung the turn ran on, for a laddered process'),
    }),
    z
      .object({
        ...base,
        type: z.literal('budget'),
        budget: z.string(),
        key: z.string().describe('what it counts: kernel, unit:<name>, process:<name>, tree:<root pid>'),
        window: z.string().describe("daily:YYYY-MM-DD or monthly:YYYY-MM, in the budget's time zone"),
        state: z.enum(['warning', 'exhausted', 'paused', 'resumed', 'raised', 'reset']),
        spent_usd: z.number(),
        spent_tokens: z.number().int(),
        limit_usd: z.number().optional(),
        limit_tokens: z.number().int().optional(),
      })
      .describe('a budget over time: 80 % spent, all of it, a process paused or going on, raised or reset'),
    z
      .object({
        ...base,
        type: z.literal('thread'),
        key: z.string(),
        action: z.enum(['created', 'appended', 'summarized', 'removed']),
        seq: z.number().int().optional(),
        kind: z.enum(['note', 'message', 'decision', 'result']).optional(),
        unit: z.string().optional(),
        text: z.string().optional().describe("the start of an appended entry's text"),
        through: z.number().int().optional().describe('the summary covers the entries up to this seq'),
        model: z.string().optional(),
        tokens: z.number().int().optional(),
      })
      .describe('a context thread: an entry appended, its rolling summary brought up to date, created or removed'),
    z
      .object({
        ...base,
        type: z.literal('request'),
        turn: z.number().int(),
        system: z.string().optional().describe('the system prompt, when it is new for the process'),
        messages: z
          .array(z.object({ role: z.enum(['user', 'model']), text: z.string() }))
          .optional()
          .describe("every message, when they are not the last request's with its reply and this turn's prompt"),
      })
      .describe("what a turn's request held that its prompt and model events do not say, before its model event"),
    z
      .object({
        ...base,
        type: z.literal('route'),
        turn: z.number().int(),
        rung: z.number().int().describe('0: the cheapest'),
        model: z.string(),
        reason: z.string(),
      })
      .describe("a model ladder's rung for a turn, and why"),
    z.object({
      ...base,
      type: z.literal('syscall'),
      turn: z.number().int(),
      seq: z.number().int(),
      name: z.string(),
      args: z.record(z.string(), z.unknown()),
    }),
    z.object({
      ...base,
      type: z.literal('result'),
      turn: z.number().int(),
      seq: z.number().int(),
      name: z.string(),
      ok: z.boolean(),
      errno: z.string().optional(),
      message: z.string().optional(),
      value: z.unknown().optional(),
    }),
    z.object({
      ...base,
      type: z.literal('message'),
      from_pid: z.number().int(),
      to_pid: z.number().int(),
      channel: z.enum(['msg', 'stdin', 'stdout', 'webhook']),
      content: z.string(),
    }),
    z.object({ ...base, type: z.literal('error'), message: z.string() }),
    z.object({
      ...base,
      type: z.literal('retry'),
      turn: z.number().int(),
      attempt: z.number().int(),
      max: z.number().int(),
      delay_ms: z.number(),
      kind: z.string(),
      status: z.number().int().optional(),
      endpoint: z.string().optional(),
      message: z.string(),
    }),
    z.object({
      ...base,
      type: z.literal('approval'),
      id: z.string(),
      call: z.string(),
      rule: z.string(),
      status: z.enum(['pending', 'approved', 'denied', 'expired', 'superseded', 'withdrawn']),
      decided_by: z.enum(['person', 'policy', 'timeout']).optional(),
      via: z.string().optional(),
      reason: z.string().optional(),
    }),
    z.object({ ...base, ...PROPOSAL_EVENT_FIELDS }),
    z.object({
      ...base,
      type: z.literal('trigger'),
      unit: z.string(),
      trigger: z
        .string()
        .describe('what fired: every 30m, cron 0 9 * * 1-5 Europe/Berlin, by hand, restart 1/5, queued'),
      outcome: z.enum(['started', 'skipped', 'queued', 'failed']),
      scheduled_for: z.string().optional().describe('ISO time the trigger was due'),
      catch_up: z.boolean().optional().describe('a run missed while the kernel was down'),
      reason: z.string().optional(),
    }),
  ])
  .describe('one line of aos logs --json');

const nullableInt = z.number().int().nullable();

export const procRowSchema = z
  .object({
    pid: z.number().int(),
    ppid: z.number().int(),
    name: z.string(),
    role: z.string(),
    state,
    model: z.string(),
    priority: z.number().int(),
    turns: z.number().int(),
    syscalls: z.number().int(),
    prompt_tokens: z.number().int(),
    output_tokens: z.number().int(),
    tokens: z.number().int(),
    cost: z.number().describe('USD'),
    created_at: z.number().describe('ms since the epoch'),
    started_at: z.number().nullable(),
    ended_at: z.number().nullable(),
    age_s: z.number().describe('seconds from creation to the end, or to now'),
    exit_code: nullableInt,
    exit_reason: z.string().nullable(),
    wait: z.string().nullable().describe('what a blocked process waits for: msg, stdin, child 3, ...'),
    model_mix: z
      .record(z.string(), z.number().int())
      .optional()
      .describe("a model ladder's turns by the model they ran on; absent on one model"),
    node: z
      .string()
      .optional()
      .describe(
        "in a cluster, the node whose store holds it (aos ps lists every node's); absent when the kernel runs alone",
      ),
  })
  .describe('one row of aos ps --json');

export const procDetailSchema = z
  .object({
    row: procRowSchema,
    status: z.string().describe('exited 0, exited 1 (model error), killed 137, blocked (message), ...'),
    task: z.string(),
    capabilities: z.array(z.string()),
    workdir: z
      .string()
      .describe('its working directory in the workspace: where relative paths land and commands start'),
    cached_tokens: z
      .number()
      .int()
      .describe("prompt tokens the provider served from its cache, of the row's prompt_tokens"),
    limits: z.object({
      max_turns: z.number().int(),
      max_tokens: nullableInt,
      max_cost: z.number().nullable(),
      max_wall_s: z.number().nullable(),
      context_tokens: z.number().int(),
      max_children: z.number().int().describe('live children at once'),
      max_live_descendants: nullableInt.describe('live descendants at any depth at once; null: no cap'),
    }),
    live_descendants: z.number().int().describe('its live descendants now, at any depth'),
    children: z.array(z.object({ pid: z.number().int(), name: z.string(), state: z.string(), status: z.string() })),
    threads: z
      .array(z.object({ key: z.string(), how: z.array(z.enum(['attached', 'opened', 'wrote'])) }))
      .optional()
      .describe('the context threads it attached, opened or wrote to'),
    taint: z
      .object({
        tainted: z.boolean().describe('its context holds content from outside the operator now'),
        count: z.number().int(),
        sources: z.array(
          z.object({
            source: z.string().describe('channel, webhook, net, mcp, thread, mail, file, memory or parent'),
            detail: z.string(),
            excerpt: z.string(),
            at: z.string().optional(),
            turn: z.number().int().optional(),
          }),
        ),
        sticky: z.boolean().optional(),
        ended: z.object({ at: z.string(), count: z.number().int() }).nullable().optional(),
      })
      .optional()
      .describe('whether it holds outside content, and from where (issue 49)'),
  })
  .describe('aos inspect --json');

/** What `aos schema` publishes, by name. */
export const PUBLISHED = {
  event: kernelEventSchema,
  'ps-row': procRowSchema,
  ps: z.array(procRowSchema).describe('aos ps --json'),
  inspect: procDetailSchema,
  ...VERB_SCHEMAS,
  ...UNIT_VERB_SCHEMAS,
  ...BUDGET_VERB_SCHEMAS,
  ...SAFETY_VERB_SCHEMAS,
  ...THREAD_VERB_SCHEMAS,
  ...SKILL_VERB_SCHEMAS,
  ...CHANNEL_VERB_SCHEMAS,
  ...TAPE_VERB_SCHEMAS,
  ...FORK_VERB_SCHEMAS,
  ...PROPOSAL_VERB_SCHEMAS,
  ...SERVICE_VERB_SCHEMAS,
  ...POLICY_TRY_VERB_SCHEMAS,
} as const;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Compile-time: each schema describes exactly the type the kernel sends. */
export const schemasMatchTypes: [
  Same<z.infer<typeof kernelEventSchema>, KernelEvent>,
  Same<z.infer<typeof procRowSchema>, ProcRow>,
  Same<z.infer<typeof procDetailSchema>, ProcDetail>,
] = [true, true, true];

export function publishedJsonSchema(): Record<string, unknown> {
  const defs = Object.fromEntries(
    Object.entries(PUBLISHED).map(([name, schema]) => [name, z.toJSONSchema(schema, { unrepresentable: 'any' })]),
  );
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'aos JSON output', $defs: defs };
}
