/**
 * What the kernel sends over the socket — method results, responses, pushes — as zod-free shapes
 * (shape-check.ts), so the client and the CLI load in milliseconds. protocol.ts's METHODS table
 * takes each method's result from RESULTS; the params stay zod, checked by the server.
 */
import type { KernelEvent, KernelEventType } from './events.js';
import * as s from './shape-check.js';
import { PROC_STATES } from '../sys/types.js';
import type { KernelStats, ProcRow } from './views.js';
import type { ProcDetail } from './detail.js';
import { SAFETY_RESULTS } from './safety-results.js';
import { UNIT_RESULTS } from './unit-results.js';
import { THREAD_RESULTS } from './thread-results.js';
import { SKILL_RESULTS } from './skill-results.js';
import { BUDGET_RESULTS } from './budget-results.js';
import { CHANNEL_RESULTS } from './channel-results.js';
import { TAPE_RESULTS } from './tape-results.js';
import { FORK_RESULTS } from './fork-results.js';
import { PROPOSAL_RESULTS } from './proposal-results.js';
import { POLICY_TRY_RESULTS } from './policy-try-results.js';

export const PROTOCOL_VERSION = 2;
/** A response line (a long history) may be larger than a request; this only stops a runaway. */
export const MAX_RESPONSE_LINE_BYTES = 256 * 1024 * 1024;
/** A request line past this closes the connection (the client refuses to send one: client.ts). */
export const MAX_REQUEST_LINE_BYTES = 1024 * 1024;

/** Every kind of event, complete by the type checker: a kind added to KernelEvent and not here fails the build (a client would refuse it). */
const EVENT_KINDS: Record<KernelEventType, true> = {
  state: true,
  prompt: true,
  model: true,
  request: true,
  syscall: true,
  result: true,
  message: true,
  error: true,
  retry: true,
  approval: true,
  proposal: true,
  trigger: true,
  route: true,
  budget: true,
  thread: true,
};
const EVENT_TYPES = Object.keys(EVENT_KINDS) as readonly KernelEventType[];

/** Kernel-made records are checked for their key fields and passed on untouched (new fields survive). */
export function isKernelEvent(value: unknown): value is KernelEvent {
  return (
    s.isRecord(value) &&
    typeof value.ts === 'string' &&
    typeof value.pid === 'number' &&
    (EVENT_TYPES as readonly unknown[]).includes(value.type)
  );
}

function isProcRow(value: unknown): value is ProcRow {
  return (
    s.isRecord(value) &&
    typeof value.pid === 'number' &&
    typeof value.ppid === 'number' &&
    typeof value.name === 'string' &&
    typeof value.model === 'string' &&
    (PROC_STATES as readonly unknown[]).includes(value.state)
  );
}

function isKernelStats(value: unknown): value is KernelStats {
  return (
    s.isRecord(value) &&
    typeof value.pid === 'number' &&
    typeof value.uptime_s === 'number' &&
    s.isRecord(value.processes)
  );
}

const kernelEvent = s.leaf<KernelEvent>('a kernel event {ts, pid, type, ...}', isKernelEvent);
const procRow = s.leaf<ProcRow>('a process row {pid, ppid, name, state, model, ...}', isProcRow);
const kernelStats = s.leaf<KernelStats>('kernel stats {pid, uptime_s, processes, ...}', isKernelStats);
const pid = s.positiveInt;
/** Absent from a kernel older than the drift check. */
const settings = s.leaf<Record<string, string> | undefined>(
  'settings {name: value}',
  (v) => v === undefined || s.isRecord(v),
);
const sub = s.positiveInt;

/** A piece of a reply as the model writes it (live-text.ts). */
export const textPiece = s.object({ pid, turn: s.int, text: s.string });

export const endPayload = s.object({
  pid,
  code: s.nullable(s.int),
  reason: s.nullable(s.string),
  state: s.oneOf(PROC_STATES),
});
export type EndPayload = s.ShapeOf<typeof endPayload>;

/** A model of the provider table as `models` lists it: its context window and USD per 1M tokens. */
const modelListing = s.object({
  name: s.string,
  context_window: s.nullable(s.positiveInt),
  as_of: s.nullable(s.string),
  price: s.object({ prompt: s.number, output: s.number, cached: s.number }),
});

/** A provider of the table (drivers/llm/catalog.ts): set up or not in the kernel's environment, and its models. */
const providerListing = s.object({
  name: s.string,
  title: s.string,
  example: s.string,
  setup: s.array(s.string),
  configured: s.boolean,
  endpoint: s.nullable(s.string),
  problem: s.nullable(s.string),
  settings: s.array(s.string),
  default_model: s.nullable(s.string),
  patterns: s.array(s.string),
  models: s.array(modelListing),
});

/** Each method's result (see METHODS in protocol.ts for what the methods do). */
export const RESULTS = {
  ping: s.object({
    pid,
    version: s.string,
    protocol: s.int,
    uptime_s: s.number,
    home: s.string,
    socket: s.string,
    workspace: s.string,
    settings,
  }),
  spawn: procRow,
  ps: s.array(procRow),
  kill: s.object({ killed: s.array(pid) }),
  send: s.object({ ok: s.literal(true) }),
  stop: s.object({ stopping: s.boolean, pids: s.array(pid) }),
  inspect: s.object({
    row: procRow,
    status: s.string,
    task: s.string,
    capabilities: s.array(s.string),
    workdir: s.string,
    cached_tokens: s.nonNegativeInt,
    limits: s.unknown,
    live_descendants: s.nonNegativeInt,
    children: s.array(s.unknown),
  }) as s.Shape<ProcDetail>,
  logs: s.object({ sub: s.nullable(sub), procs: s.array(procRow), events: s.array(kernelEvent) }),
  history: s.object({ procs: s.array(procRow), events: s.array(kernelEvent) }),
  subscribe: s.object({ sub, stats: kernelStats }),
  unsubscribe: s.object({ ok: s.boolean }),
  stats: kernelStats,
  rm: s.object({ removed: s.array(pid) }),
  prune: s.object({ removed: s.array(pid) }),
  models: s.object({ default_model: s.nullable(s.string), providers: s.array(providerListing) }),
  shutdown: s.object({ pid }),
  wait: s.object({
    pid,
    state: s.oneOf(PROC_STATES),
    exit_code: s.nullable(s.int),
    reason: s.nullable(s.string),
    output: s.nullable(s.string),
    timed_out: s.boolean,
  }),
  web: s.object({ url: s.string, port: s.int, expires_at: s.string }),
  ...SAFETY_RESULTS,
  ...UNIT_RESULTS,
  ...THREAD_RESULTS,
  ...SKILL_RESULTS,
  ...BUDGET_RESULTS,
  ...CHANNEL_RESULTS,
  ...TAPE_RESULTS,
  ...FORK_RESULTS,
  ...PROPOSAL_RESULTS,
  ...POLICY_TRY_RESULTS,
};

const requestId = s.leaf<number | string>(
  'a request id',
  (v) => Number.isSafeInteger(v) || (typeof v === 'string' && v.length <= 64),
);

/** Errno strings (ESRCH, EINVAL, ...) or EKERNEL for a failure inside the kernel. */
export const wireError = s.object({ code: s.string, message: s.string });
export type WireError = s.ShapeOf<typeof wireError>;

export const responseShape = s.tagged('ok', {
  true: s.object({ id: requestId, ok: s.literal(true), result: s.unknown }),
  false: s.object({ id: s.nullable(requestId), ok: s.literal(false), error: wireError }),
});
export type Response = s.ShapeOf<typeof responseShape>;

export const pushShape = s.tagged('event', {
  log: s.object({ event: s.literal('log'), sub, payload: kernelEvent }),
  end: s.object({ event: s.literal('end'), sub, payload: endPayload }),
  event: s.object({ event: s.literal('event'), sub, payload: kernelEvent }),
  stats: s.object({ event: s.literal('stats'), sub, payload: kernelStats }),
  text: s.object({ event: s.literal('text'), sub, payload: textPiece }),
});
export type Push = s.ShapeOf<typeof pushShape>;
export type LogPush = Extract<Push, { event: 'log' | 'end' | 'text' }>;
export type TopicPush = Extract<Push, { event: 'event' | 'stats' | 'text' }>;
