/**
 * The JSON the verbs print beyond events, rows and inspect (schemas.ts): one zod schema per `--json`
 * output, published by `aos schema` beside them. test/e2e/json-outputs.test.ts runs each verb
 * through the real CLI and checks what it printed against its schema.
 */
import { z } from 'zod';
import { exportStatement } from './safety-verb-schemas.js';
import { clusterStatus } from './cluster-view.js';
import { PROC_STATES } from '../sys/types.js';

const pid = z.number().int().positive();
const state = z.enum(PROC_STATES);
const end = z.object({ pid, state, code: z.number().int().nullable(), reason: z.string().nullable() });

const price = z.object({ prompt: z.number(), output: z.number(), cached: z.number() }).describe('USD per 1M tokens');
const provider = z.object({
  name: z.string(),
  title: z.string(),
  example: z.string(),
  setup: z.array(z.string()),
  configured: z.boolean(),
  endpoint: z.string().nullable(),
  problem: z.string().nullable(),
  settings: z.array(z.string()),
  default_model: z.string().nullable(),
  patterns: z.array(z.string()),
  models: z.array(
    z.object({
      name: z.string(),
      context_window: z.number().int().positive().nullable(),
      price,
      as_of: z.string().nullable().describe("when the figures were checked (YYYY-MM), AOS_PRICES for a price file's"),
    }),
  ),
});
const approval = z.object({
  id: z.string(),
  pid,
  name: z.string(),
  call: z.string(),
  args: z.unknown(),
  rule: z.string(),
  subject: z.string().describe('what the rule was asked about: a path, a command, a channel and chat'),
  requested_at: z.string(),
  expires_at: z.string(),
  group: z.string().describe('the same call from the same process tree shares a group'),
  group_size: z.number().int().positive().describe('pending requests in its group'),
  taint: z.unknown().optional().describe('the outside content its process holds: {tainted, count, sources}'),
});
const decision = z.enum([
  'allow',
  'propose',
  'ask',
  'deny',
  'approved',
  'denied',
  'expired',
  'superseded',
  'withdrawn',
  'undone',
  'final',
]);
const auditRow = z.object({
  id: pid,
  ts: z.string(),
  pid: z.number().int().describe('0: the kernel itself (a policy reload, a unit trigger)'),
  call: z.string(),
  subject: z.string(),
  decision,
  rule: z.string().nullable(),
  decided_by: z.enum(['policy', 'person', 'timeout']),
  via: z.string().nullable(),
  reason: z.string().nullable(),
  approval: z.string().nullable(),
  prev: z.string(),
  hash: z.string(),
});

export const VERB_SCHEMAS = {
  'spawn-detached': z
    .object({
      pid,
      replayed: z
        .literal(true)
        .optional()
        .describe('the same --idempotency-key and arguments were seen: the process the first request started'),
    })
    .describe('aos spawn --detach --json'),
  kill: z.object({ killed: z.array(pid) }).describe('aos kill --json: the pids that were live and are being killed'),
  stop: z
    .object({ pid, stopped: z.boolean(), end: end.nullable(), children: z.array(end) })
    .describe('aos stop --json: how the process and each descendant stopped'),
  wait: z
    .array(
      z.object({
        pid,
        state,
        exit_code: z.number().int().nullable(),
        reason: z.string().nullable(),
        timed_out: z.boolean(),
      }),
    )
    .describe('aos wait --json: one entry per pid, in the order given'),
  removed: z.object({ removed: z.array(pid) }).describe('aos rm --json and aos prune --json: the pids removed'),
  restart: z.object({ pid, old_pid: pid, killed: z.array(pid) }).describe('aos restart --json'),
  'kernel-start': z
    .object({ pid, socket: z.string(), workspace: z.string(), started: z.boolean() })
    .describe('aos kernel start --json'),
  'kernel-stop': z
    .object({ pid: pid.nullable(), forced: z.boolean() })
    .describe('aos kernel stop --json (pid null: none was running)'),
  'kernel-restart': z
    .object({ old_pid: pid.nullable(), pid, workspace: z.string(), processes: z.number().int().nonnegative() })
    .describe('aos kernel restart --json'),
  'kernel-status': z
    .union([
      z.looseObject({
        running: z.literal(true),
        pid,
        version: z.string(),
        uptime_s: z.number(),
        socket: z.string(),
        home: z.string(),
        workspace: z.string(),
        processes: z.record(z.string(), z.number()),
        cluster: clusterStatus
          .nullable()
          .optional()
          .describe('the cluster this kernel is a node of (AOS_DATABASE_URL), or null when it runs alone'),
      }),
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
  models: z
    .object({ default_model: z.string().nullable(), providers: z.array(provider) })
    .describe('aos models --json'),
  web: z
    .object({ url: z.string(), port: z.number().int(), expires_at: z.string(), opened: z.boolean() })
    .describe('aos web --json: a one-time login link'),
  approvals: z.array(approval).describe('aos approvals --json: pending requests, oldest first'),
  why: z
    .object({
      pid,
      turn: z.number().int().nonnegative(),
      frames: z
        .array(z.object({ source: z.string(), detail: z.string(), turn: z.number().int().nonnegative() }))
        .describe('outside content the context held by that turn, oldest first'),
      calls: z.array(
        z.object({
          seq: z.number().int().nonnegative(),
          name: z.string(),
          args: z.record(z.string(), z.unknown()),
          result: z
            .object({ ok: z.boolean(), errno: z.string().optional(), message: z.string().optional() })
            .nullable()
            .describe('null: no result yet'),
          decisions: z.array(auditRow.omit({ pid: true, prev: true, hash: true }).loose()),
        }),
      ),
      other: z.array(auditRow.omit({ pid: true, prev: true, hash: true }).loose()),
      taint: z.unknown().nullable().describe("the process's taint now: {tainted, count, sources, ended}"),
    })
    .describe('aos why <pid> <turn> --json: each call of the turn, its result, the decisions on it'),
  answered: z
    .object({
      id: z.string(),
      pid,
      also: z
        .array(z.object({ id: z.string(), pid }))
        .optional()
        .describe('with --group: the rest of its group, decided alike'),
    })
    .describe('aos approve --json and aos deny --json'),
  'policy-show': z
    .object({
      file: z.string().nullable(),
      pid: pid.nullable(),
      capabilities: z.array(z.string()),
      rules: z.array(
        z.object({
          verdict: z.enum(['allow', 'propose', 'ask', 'deny']),
          capability: z.string(),
          line: z.number().int().nullable(),
          applies: z.boolean(),
          window_s: z.number().optional().describe("a propose rule's undo window in seconds"),
        }),
      ),
      approvals: z.object({ timeout_s: z.number() }),
      secrets: z.array(
        z.object({
          name: z.string(),
          source: z.string(),
          hosts: z.array(z.string()),
          exec: z.array(z.string()),
          mcp: z.array(z.string()),
        }),
      ),
      journal: z.object({ retention: z.string().nullable(), exec: z.boolean() }),
      loaded_at: z.string(),
      load_error: z.string().nullable(),
    })
    .describe('aos policy show --json'),
  audit: z.array(auditRow).describe('aos audit --json: records oldest first'),
  'audit-verify': z
    .union([
      z.object({
        ok: z.boolean(),
        rows: z.number().int().nonnegative().describe('records intact (before the first broken one)'),
        head: z.string().nullable().describe('the newest record hash, when intact'),
        bad_id: z.number().int().nullable().describe('the first record edited, inserted or removed'),
        problem: z.string().nullable(),
        keyed_from: z.number().int().describe('the first record chained with the key (earlier ones predate it)'),
      }),
      z
        .object({
          ok: z.boolean(),
          statement: exportStatement.nullable().describe('what the export says it holds (signed), when readable'),
          problem: z.string().optional().describe('the first problem, when not ok'),
          line: z.number().int().nullable().optional().describe('its line in the file (1: the header)'),
          first_prev: z
            .string()
            .nullable()
            .optional()
            .describe("the first record's prev (the hash of record `after`): what a later export's --follows checks"),
        })
        .describe('with --export FILE --pubkey KEY [--follows EARLIER]'),
    ])
    .describe('aos audit verify --json (exit 1 when not ok)'),
  diff: z
    .array(
      z.object({
        path: z.string(),
        status: z.enum(['added', 'modified', 'deleted']),
        bytes_before: z.number().int().nonnegative().nullable(),
        bytes_now: z.number().int().nonnegative().nullable(),
        pids: z.array(pid),
        turns: z.array(z.number().int().nonnegative()),
        changed_since: z.boolean(),
      }),
    )
    .describe('aos diff --json: what a process and its subtree changed'),
  rollback: z
    .array(z.object({ path: z.string(), action: z.enum(['restored', 'removed']) }))
    .describe('aos rollback --json: what was put back'),
  'mcp-http': z.object({ url: z.string(), token_file: z.string() }).describe('aos mcp --http --json'),
} as const;
