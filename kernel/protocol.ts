/**
 * The kernel socket protocol: JSON lines over a unix socket. A request `{id, method, params}`
 * gets exactly one response `{id, ok: true, result}` or `{id, ok: false, error: {code, message}}`;
 * streams (`logs` with follow, `subscribe`) then push `{event, sub, payload}` lines.
 * METHODS is the one table of methods: the server validates params with it, the client results.
 */
import { z } from 'zod';
import type { KernelEvent, KernelEventType } from './events.js';
import { PROC_STATES } from './types.js';
import type { KernelStats, ProcRow } from './views.js';

export const PROTOCOL_VERSION = 1;
/** A request line past this closes the connection. */
export const MAX_REQUEST_LINE_BYTES = 1024 * 1024;
/** A response line (a long history) may be larger; this only stops a runaway. */
export const MAX_RESPONSE_LINE_BYTES = 256 * 1024 * 1024;
/** Unsent bytes a client may fall behind by before it is disconnected. */
export const MAX_CLIENT_BACKLOG_BYTES = 32 * 1024 * 1024;
/** Past this many unsent bytes the server stops reading a client's requests until it catches up. */
export const READ_PAUSE_BYTES = 1024 * 1024;
/** `stats` pushes are at most this often (≤ 4/s). */
export const STATS_PUSH_INTERVAL_MS = 250;

const EVENT_TYPES: readonly KernelEventType[] = ['state', 'prompt', 'model', 'syscall', 'result', 'message', 'error'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Kernel-made records are checked for their key fields and passed on untouched (new fields survive). */
export function isKernelEvent(value: unknown): value is KernelEvent {
  return (
    isRecord(value) &&
    typeof value.ts === 'string' &&
    typeof value.pid === 'number' &&
    (EVENT_TYPES as readonly unknown[]).includes(value.type)
  );
}

function isProcRow(value: unknown): value is ProcRow {
  return (
    isRecord(value) &&
    typeof value.pid === 'number' &&
    typeof value.ppid === 'number' &&
    typeof value.name === 'string' &&
    typeof value.model === 'string' &&
    (PROC_STATES as readonly unknown[]).includes(value.state)
  );
}

function isKernelStats(value: unknown): value is KernelStats {
  return isRecord(value) && typeof value.pid === 'number' && typeof value.uptime_s === 'number' && isRecord(value.processes);
}

const kernelEvent = z.custom<KernelEvent>(isKernelEvent, 'expected a kernel event {ts, pid, type, ...}');
const procRow = z.custom<ProcRow>(isProcRow, 'expected a process row {pid, ppid, name, state, model, ...}');
const kernelStats = z.custom<KernelStats>(isKernelStats, 'expected kernel stats {pid, uptime_s, processes, ...}');

const pid = z.number().int().positive();
const sub = z.number().int().positive();
const none = z.strictObject({});

export const TOPICS = ['events', 'stats'] as const;
export type Topic = (typeof TOPICS)[number];

export const endPayload = z.object({
  pid,
  code: z.number().int().nullable(),
  reason: z.string().nullable(),
  state: z.enum(PROC_STATES),
});
export type EndPayload = z.infer<typeof endPayload>;

export const METHODS = {
  /** Is the kernel there, and which one. */
  ping: {
    params: none,
    result: z.object({
      pid,
      version: z.string(),
      protocol: z.number().int(),
      uptime_s: z.number(),
      home: z.string(),
      socket: z.string(),
      workspace: z.string(),
    }),
  },
  /** Start a root process; relative replay tapes resolve against `cwd` (the CLI's directory). */
  spawn: {
    params: z.strictObject({
      task: z.string(),
      model: z.string().min(1),
      name: z.string().min(1).max(128).optional(),
      role: z.string().min(1).max(256).optional(),
      priority: z.number().int().optional(),
      max_turns: z.number().int().positive().optional(),
      max_tokens: z.number().int().positive().optional(),
      max_cost: z.number().positive().optional(),
      max_wall_s: z.number().positive().optional(),
      context_tokens: z.number().int().positive().optional(),
      capabilities: z.array(z.string()).optional(),
      cwd: z.string().optional(),
    }),
    result: procRow,
  },
  ps: { params: z.strictObject({ all: z.boolean().optional() }), result: z.array(procRow) },
  /** Kill a process, and its subtree unless `tree` is false; `killed` lists the pids that were live. */
  kill: { params: z.strictObject({ pid, tree: z.boolean().optional() }), result: z.object({ killed: z.array(pid) }) },
  /** Write to a process's stdin. */
  send: { params: z.strictObject({ pid, text: z.string() }), result: z.object({ ok: z.literal(true) }) },
  /**
   * History of a process (with `tree`, of its descendants too). With `follow`, `sub` names a
   * stream of `log` pushes ending with one `end` push when the process ends.
   */
  logs: {
    params: z.strictObject({
      pid,
      tail: z.number().int().nonnegative().optional(),
      follow: z.boolean().optional(),
      tree: z.boolean().optional(),
    }),
    result: z.object({ sub: sub.nullable(), procs: z.array(procRow), events: z.array(kernelEvent) }),
  },
  /** Live `event` pushes (every KernelEvent) and/or `stats` pushes (≤ 4/s, when something changed). */
  subscribe: {
    params: z.strictObject({ topics: z.array(z.enum(TOPICS)).min(1) }),
    result: z.object({ sub, stats: kernelStats }),
  },
  unsubscribe: { params: z.strictObject({ sub }), result: z.object({ ok: z.boolean() }) },
  /** Kernel totals; `gc` first collects garbage when the daemon runs with --expose-gc (the soak benchmark's heap figure). */
  stats: { params: z.strictObject({ gc: z.boolean().optional() }), result: kernelStats },
  /** Remove ended processes (and their ended descendants) from the store: `aos rm`. */
  rm: { params: z.strictObject({ pids: z.array(pid).min(1).max(10_000) }), result: z.object({ removed: z.array(pid) }) },
  /** Remove every ended process older than `older_than_s` that nothing live needs: `aos prune`. */
  prune: {
    params: z.strictObject({ older_than_s: z.number().nonnegative().optional() }),
    result: z.object({ removed: z.number().int().nonnegative() }),
  },
  /** Stop the daemon cleanly after replying (processes resume on the next start). */
  shutdown: { params: none, result: z.object({ pid }) },
} as const;

export type Method = keyof typeof METHODS;
export type ParamsOf<M extends Method> = z.input<(typeof METHODS)[M]['params']>;
export type ParsedParamsOf<M extends Method> = z.output<(typeof METHODS)[M]['params']>;
export type ResultOf<M extends Method> = z.output<(typeof METHODS)[M]['result']>;
export type StreamMethod = 'logs' | 'subscribe';

export function isMethod(name: string): name is Method {
  return Object.hasOwn(METHODS, name);
}

const requestId = z.union([z.number().int(), z.string().max(64)]);
export type RequestId = z.infer<typeof requestId>;

export const requestSchema = z.object({ id: requestId, method: z.string().max(64), params: z.unknown().optional() });

/** Errno strings (ESRCH, EINVAL, ...) or EKERNEL for a failure inside the kernel. */
export const wireError = z.object({ code: z.string(), message: z.string() });
export type WireError = z.infer<typeof wireError>;

export const responseSchema = z.union([
  z.object({ id: requestId, ok: z.literal(true), result: z.unknown() }),
  z.object({ id: requestId.nullable(), ok: z.literal(false), error: wireError }),
]);
export type Response = z.infer<typeof responseSchema>;

export const pushSchema = z.discriminatedUnion('event', [
  z.object({ event: z.literal('log'), sub, payload: kernelEvent }),
  z.object({ event: z.literal('end'), sub, payload: endPayload }),
  z.object({ event: z.literal('event'), sub, payload: kernelEvent }),
  z.object({ event: z.literal('stats'), sub, payload: kernelStats }),
]);
export type Push = z.infer<typeof pushSchema>;
export type LogPush = Extract<Push, { event: 'log' | 'end' }>;
export type TopicPush = Extract<Push, { event: 'event' | 'stats' }>;

/** zod's issues on one line: `pid: Invalid input: expected number, received string`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
}
