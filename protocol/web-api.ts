/**
 * What the web view's page (web/, browser modules served as they are) gets from the daemon
 * (daemon/web/): the answers of /api/*, the bodies it posts and the frames of /api/stream. Types
 * only, nothing here runs: the page names them in JSDoc (`@typedef {import('../protocol/web-api.js')…}`)
 * and web/tsconfig.json checks it against them. An answer that is a method's result is that
 * method's (WebResult), so a result changed in RESULTS is a type error on the page.
 */
import type { KernelEvent } from './events.js';
import type { TextPiece } from './live-text.js';
import type { RESULTS } from './protocol-results.js';
import type { ShapeOf } from './shape-check.js';
import type { ShownCall } from './show-call.js';
import type { KernelStats, ProcRow } from './views.js';
import type { ProcLimits } from '../sys/types.js';
import type { TaintShown } from './taint-show.js';

/** A method's result as the page gets it: RESULTS' shape, the one the CLI checks (ResultOf in protocol.ts, without its zod tables). */
export type WebResult<M extends keyof typeof RESULTS> = ShapeOf<(typeof RESULTS)[M]>;

/** An event as the page gets it (daemon/web/event-view.ts): its id, the event as stored and, for a model reply, the model it ran on and its cost in USD. */
export interface EventFrame {
  id: number;
  e: KernelEvent;
  model?: string;
  cost?: number;
}

/** Events newest first (/api/events, /api/search), and the cursor of the next (older) page. */
export interface EventPage {
  more: boolean;
  before: number | null;
  events: EventFrame[];
}

/** The switches of the page's screens: whether this kernel has the methods behind them. */
export interface WebFeatures {
  approvals: boolean;
  proposals: boolean;
  stop: boolean;
  units: boolean;
  budgets: boolean;
  threads: boolean;
  channels: boolean;
}

/** /api/session: the CSRF token POSTs carry, the kernel, its features, and the last event id (the stream goes on from it). */
export interface WebSession {
  csrf: string;
  port: number;
  kernel: WebResult<'ping'>;
  features: WebFeatures;
  last_id: number;
}

/** A row of /api/ps: ps's row, and a root's task at a glance (its first line, cut). */
export type WebProcRow = ProcRow & { task?: string };

/** /api/proc: what one process was given. `limits` as the kernel holds them; null once only the store knows the process. */
export interface WebProc {
  pid: number;
  task: string;
  capabilities: readonly string[];
  limits: Readonly<ProcLimits> | null;
  /** Its taint (issue 49): the outside content its context holds, by source; null when not known. */
  taint?: TaintShown | null;
}

/** /api/usage: cost and tokens summed over time, cumulative (daemon/web/usage-series.ts). */
export interface UsageSeries {
  /** Bucket ends, in unix seconds. */
  t: number[];
  tokens: number[];
  cost: number[];
}

/** An approval's call and its words as a person reads them, made by protocol/show-call.ts (daemon/web/api.ts's ShownApproval). */
export type ShownApproval = ShownCall & { name: string; rule: string; about: string };

/** A pending approval as the page gets it: the kernel's row and how to show it. */
export type WebApproval = WebResult<'approvals'>['approvals'][number] & { shown: ShownApproval };

/** A proposal as the page gets it (issue 52.2): the kernel's row and how to show it (`about`: the file it wrote, escaped). */
export type WebProposal = WebResult<'proposals'>['proposals'][number] & { shown: ShownApproval };

/** Every GET the page makes, by path: what it answers (daemon/web/api.ts's GETS). */
export interface WebGets {
  '/api/session': WebSession;
  '/api/ps': WebProcRow[];
  '/api/stats': KernelStats;
  '/api/proc': WebProc;
  '/api/events': EventPage;
  '/api/search': EventPage;
  '/api/usage': UsageSeries;
  '/api/approvals': { approvals: WebApproval[] };
  '/api/proposals': { proposals: WebProposal[] };
  '/api/units': WebResult<'unit_ls'>;
  '/api/budgets': WebResult<'budget_ls'>;
  '/api/threads': WebResult<'thread_ls'>;
  '/api/thread': WebResult<'thread_show'>;
  '/api/channels': WebResult<'channel_ls'>;
  '/api/channel': WebResult<'channel_show'>;
}

/** Every POST the page makes, by path: the body it sends and what it answers (daemon/web/api.ts's POSTS). */
export interface WebPosts {
  '/api/kill': { body: { pid: number; tree?: boolean }; result: WebResult<'kill'> };
  '/api/stop': { body: { pid: number; timeout_s?: number }; result: WebResult<'stop'> };
  '/api/send': { body: { pid: number; text: string }; result: WebResult<'send'> };
  '/api/fork': { body: { pid: number; turn: number }; result: WebResult<'fork'> };
  '/api/approve': { body: { id: string; also?: string[] }; result: WebResult<'approve'> };
  '/api/deny': { body: { id: string; reason?: string; also?: string[] }; result: WebResult<'deny'> };
  /** A pending proposal undone inside its window: its file put back, as `aos undo` does. */
  '/api/undo': { body: { id: string }; result: WebResult<'undo'> };
  /** A candidate policy tried on past runs (issue 52.3), as `aos policy check --against` does. */
  '/api/policy-try': { body: { text: string; pids?: number[]; since?: string }; result: WebResult<'policy_try'> };
}

/** A failed call's answer (daemon/web/respond.ts): an errno and what went wrong. */
export interface WebError {
  error: { code: string; message: string };
}

/** The stream's frames by event name (daemon/web/event-stream.ts): events, where it starts, a reset, the kernel's figures, replies as written. */
export interface StreamFrames {
  ev: EventFrame;
  hello: { last_id: number };
  reset: { last_id: number };
  stats: KernelStats;
  text: TextPiece;
}
