/**
 * The kernel socket protocol: JSON lines over a unix socket. A request `{id, method, params}`
 * gets exactly one response `{id, ok: true, result}` or `{id, ok: false, error: {code, message}}`;
 * streams (`logs` with follow, `subscribe`) then push `{event, sub, payload}` lines.
 * METHODS is the one table of methods: the server validates params with it (zod), the client
 * results (RESULTS in protocol-results.ts: no zod, so that the CLI starts fast).
 */
import { z } from 'zod';
import { param } from '../sys/param.js';
import { MAX_REQUEST_LINE_BYTES, MAX_RESPONSE_LINE_BYTES, PROTOCOL_VERSION, RESULTS } from './protocol-results.js';
import type { ShapeOf } from './shape-check.js';
import { SAFETY_METHODS } from './safety-protocol.js';
import { UNIT_METHODS } from './unit-protocol.js';
import { THREAD_METHODS } from './thread-protocol.js';
import { SKILL_METHODS } from './skill-protocol.js';
import { BUDGET_METHODS } from './budget-protocol.js';
import { CHANNEL_METHODS } from './channel-protocol.js';
import { TAPE_METHODS } from './tape-protocol.js';
import { FORK_METHODS } from './fork-protocol.js';
import { PROPOSAL_METHODS } from './proposal-protocol.js';
import { POLICY_TRY_METHODS } from './policy-try-protocol.js';

export type { EndPayload, LogPush, Push, Response, TopicPush, WireError } from './protocol-results.js';
export { MAX_REQUEST_LINE_BYTES, MAX_RESPONSE_LINE_BYTES, PROTOCOL_VERSION };
/** Unsent bytes a client may fall behind by before it is disconnected. */
export const MAX_CLIENT_BACKLOG_BYTES = 32 * 1024 * 1024;
/** Past this many unsent bytes the server stops reading a client's requests until it catches up. */
export const READ_PAUSE_BYTES = 1024 * 1024;
/** `stats` pushes are at most this often (≤ 4/s). */
export const STATS_PUSH_INTERVAL_MS = 250;

const pid = z.number().int().positive();
const sub = z.number().int().positive();
const none = z.strictObject({});

/** `text`: replies as the model writes them (live-text.ts), pushed as `text`; a turn streams only while someone takes them. */
export const TOPICS = ['events', 'stats', 'text'] as const;
export type Topic = (typeof TOPICS)[number];

export const METHODS = {
  /** Is the kernel there, and which one. */
  ping: { params: none, result: RESULTS.ping },
  /**
   * Start a root process; relative replay tapes resolve against `cwd` (the CLI's directory).
   * `model` is `provider:model` or a bare name a provider owns; without it the kernel's default
   * (its AOS_MODEL, else the policy's default_model), else EINVAL with the set-up help.
   */
  spawn: {
    params: z.strictObject({
      task: z.string(),
      model: z.string().min(1).optional(),
      /** A model ladder, cheapest first (each turn on the rung the kernel chooses); `model: auto` is the policy's. */
      ladder: z.array(z.string().min(1).max(4096)).min(1).max(8).optional(),
      name: z.string().min(1).max(128).optional(),
      role: z.string().min(1).max(param.maxRoleChars).optional(),
      priority: z.number().int().optional(),
      max_turns: z.number().int().positive().optional(),
      max_tokens: z.number().int().positive().optional(),
      max_cost: z.number().positive().optional(),
      max_wall_s: z.number().positive().optional(),
      context_tokens: z.number().int().positive().optional(),
      capabilities: z.array(z.string()).optional(),
      cwd: z.string().optional(),
      /** Its working directory in the workspace (a workspace path; `/` when absent). */
      workdir: z.string().min(1).max(4096).optional(),
      /** Context threads to attach (their summary and newest entries go in its system prompt; it is given thread:<key>). */
      attach: z.array(z.string().min(1).max(256)).max(16).optional(),
      /** An idempotency key: the same key and arguments answer with the first process (`replayed`); others are refused. */
      idempotency_key: z.string().min(1).max(200).optional(),
      /** Caps on its fan-out: live children and live descendants at once. */
      max_children: z.number().int().min(0).optional(),
      max_live_descendants: z.number().int().min(0).optional(),
      /** The caller's provider settings (settings.ts: secrets as fingerprints): a spawn the kernel would run with others is refused. */
      settings: z.record(z.string(), z.string()).optional(),
      /** The caller follows the process's text next (an attached spawn at a terminal): its first turn streams though it may start before that follow. */
      watch: z.boolean().optional(),
    }),
    result: RESULTS.spawn,
  },
  /** Live processes; every stored one with `all`; the `last` N created (any state) with `last`. */
  ps: {
    params: z.strictObject({ all: z.boolean().optional(), last: z.number().int().positive().optional() }),
    result: RESULTS.ps,
  },
  /** Kill a process, and its subtree unless `tree` is false; `killed` lists the pids that were live. */
  kill: { params: z.strictObject({ pid, tree: z.boolean().optional() }), result: RESULTS.kill },
  /**
   * Ask a process and (unless `tree` is false) its descendants to exit: `[EVENT::STOP]` now, those
   * still running killed after `timeout_s` (`aos stop`). `pids` lists those told, root first.
   */
  stop: {
    params: z.strictObject({ pid, timeout_s: z.number().positive().max(86_400), tree: z.boolean().optional() }),
    result: RESULTS.stop,
  },
  /** One process in full: task, capabilities, limits, children, status (`aos inspect`). */
  inspect: { params: z.strictObject({ pid }), result: RESULTS.inspect },
  /** Write to a process's stdin. */
  send: { params: z.strictObject({ pid, text: z.string() }), result: RESULTS.send },
  /**
   * History of a process (with `tree`, of its descendants too). With `follow`, `sub` names a
   * stream of `log` pushes ending with one `end` push when the process ends; with `text` too,
   * `text` pushes carry each reply as it is written, before its `model` event.
   */
  logs: {
    params: z.strictObject({
      pid,
      tail: z.number().int().nonnegative().optional(),
      follow: z.boolean().optional(),
      tree: z.boolean().optional(),
      text: z.boolean().optional(),
    }),
    result: RESULTS.logs,
  },
  /** The newest `tail` events of all processes, with the rows of the processes they name (`aos logs` without a pid). */
  history: { params: z.strictObject({ tail: z.number().int().nonnegative().max(1_000_000) }), result: RESULTS.history },
  /** Live `event` pushes (every KernelEvent), `stats` pushes (≤ 4/s, when something changed) and/or `text` pushes (replies as they are written). */
  subscribe: {
    params: z.strictObject({ topics: z.array(z.enum(TOPICS)).min(1) }),
    result: RESULTS.subscribe,
  },
  unsubscribe: { params: z.strictObject({ sub }), result: RESULTS.unsubscribe },
  /** Kernel totals; `gc` first collects garbage when the daemon runs with --expose-gc (the soak benchmark's heap figure). */
  stats: { params: z.strictObject({ gc: z.boolean().optional() }), result: RESULTS.stats },
  /** Remove ended processes (and their ended descendants) from the store: `aos rm`. */
  rm: { params: z.strictObject({ pids: z.array(pid).min(1).max(10_000) }), result: RESULTS.rm },
  /** Remove every ended process older than `older_than_s` that nothing live needs: `aos prune`. */
  prune: {
    params: z.strictObject({ older_than_s: z.number().nonnegative().optional() }),
    result: RESULTS.prune,
  },
  /** The provider table: every provider, configured or not, with its models, context windows and prices (USD per 1M tokens). */
  models: { params: none, result: RESULTS.models },
  /** Wait for a process to end, at most `timeout_s` (then `timed_out` with its state now): MCP's `wait` tool. */
  wait: {
    params: z.strictObject({
      pid,
      timeout_s: z
        .number()
        .nonnegative()
        .max(24 * 3600)
        .optional(),
    }),
    result: RESULTS.wait,
  },
  /** A one-time login link to the web view (its listener opens at the first request): `aos web`. */
  web: { params: none, result: RESULTS.web },
  /** Stop the daemon cleanly after replying (processes resume on the next start). */
  shutdown: { params: none, result: RESULTS.shutdown },
  ...SAFETY_METHODS,
  ...UNIT_METHODS,
  ...THREAD_METHODS,
  ...SKILL_METHODS,
  ...BUDGET_METHODS,
  ...CHANNEL_METHODS,
  ...TAPE_METHODS,
  ...FORK_METHODS,
  ...PROPOSAL_METHODS,
  ...POLICY_TRY_METHODS,
} as const;

export type Method = keyof typeof METHODS;
export type ParamsOf<M extends Method> = z.input<(typeof METHODS)[M]['params']>;
export type ParsedParamsOf<M extends Method> = z.output<(typeof METHODS)[M]['params']>;
export type ResultOf<M extends Method> = ShapeOf<(typeof METHODS)[M]['result']>;
export type StreamMethod = 'logs' | 'subscribe';

export function isMethod(name: string): name is Method {
  return Object.hasOwn(METHODS, name);
}

/** The longest request id and method name a request may carry (connection.ts checks them without zod too). */
export const MAX_ID_CHARS = 64;
export const MAX_METHOD_CHARS = 64;

const requestId = z.union([z.number().int(), z.string().max(MAX_ID_CHARS)]);
export type RequestId = z.infer<typeof requestId>;

/**
 * A request's envelope. `protocol`, when given, is the protocol the client speaks: a kernel that
 * speaks another refuses the request (EPROTO) instead of reading it its own way — so a client may
 * write its first request right behind its ping, without waiting to learn the kernel's version.
 */
export const requestSchema = z.object({
  id: requestId,
  method: z.string().max(MAX_METHOD_CHARS),
  params: z.unknown().optional(),
  protocol: z.number().int().optional(),
});

/** zod's issues on one line: `pid: Invalid input: expected number, received string`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}
