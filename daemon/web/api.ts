/**
 * The web view's JSON API: one table of GET reads and one of POST actions. Actions go through the
 * kernel's protocol methods (the same checks as the CLI's); approvals made here are marked as made
 * by a person on the web view (`via: "web"`).
 */
import { AosError } from '../../sys/errno.js';
import type { KernelApi } from '../../kernel/api.js';
import type { ProcRow } from '../../protocol/views.js';
import { param } from '../../sys/param.js';
import { isMethod } from '../../protocol/protocol.js';
import { approvalAbout, escapeControl, showCall, type ShownCall } from '../../protocol/show-call.js';
import { framesJson, type ModelOf } from './event-view.js';
import { usageSeries } from './usage-series.js';

/** Runs a protocol method as the socket would (params checked by METHODS); ENOSYS when this kernel has no such method. */
export type WebCall = (method: string, params: unknown) => Promise<unknown>;

export interface ApiDeps {
  kernel: KernelApi;
  call: WebCall;
  modelOf: ModelOf;
  csrf: string;
  port: number;
}

/** What a handler answers: a value to send as JSON, or JSON text made already. */
export type ApiAnswer = { json: unknown } | { raw: string };

type Query = URLSearchParams;

function intParam(query: Query, name: string, fallback: number | null = null): number | null {
  const text = query.get(name);
  if (text === null || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new AosError('EINVAL', `${name} must be a whole number (got "${text}")`);
  return value;
}

function pageLimit(query: Query): number {
  return Math.min(intParam(query, 'limit', param.webPageEvents) ?? param.webPageEvents, param.webMaxPageEvents);
}

/** Rows newest first, plus the cursor of the next (older) page. */
async function page(
  rows: ReadonlyArray<{ id: number; json: string }>,
  limit: number,
  modelOf: ModelOf,
): Promise<ApiAnswer> {
  await modelOf.load(rows);
  const more = rows.length === limit;
  return { raw: `{"more":${more},"before":${rows.at(-1)?.id ?? null},"events":${framesJson(rows, modelOf)}}` };
}

/** What a root process was asked, at a glance (its first line, cut): a tree of `root`s reads as what each is for. */
export function taskLine(task: string): string {
  const line = task.trim().split('\n')[0]?.trim() ?? '';
  return line.length > TASK_CHARS ? `${line.slice(0, TASK_CHARS - 1)}…` : line;
}
const TASK_CHARS = 120;

/** Root rows get their task; a child is named by its role and reached from its parent. */
function withTasks(kernel: KernelApi, rows: ProcRow[]): Promise<Array<ProcRow & { task?: string }>> {
  return Promise.all(
    rows.map(async (row) => {
      if (row.ppid !== 0) return row;
      const task = kernel.pcb(row.pid)?.task ?? (await kernel.store.processes.get(row.pid))?.task;
      return task ? { ...row, task: taskLine(task) } : row;
    }),
  );
}

async function processDetail(kernel: KernelApi, pid: number): Promise<ApiAnswer> {
  const pcb = kernel.pcb(pid);
  const row = await kernel.store.processes.get(pid);
  if (!pcb && !row) throw new AosError('ESRCH', `no such process ${pid}`);
  const limits = pcb?.limits ?? null;
  // Its taint as `aos inspect` shows it (issue 49.4): where the outside content in its context came from.
  const taint = (await kernel.admin.inspect(pid)).taint ?? null;
  return { json: { pid, task: pcb?.task ?? row?.task ?? '', capabilities: pcb?.capabilities ?? [], limits, taint } };
}

/** How much of a call's content (a write's, unknown arguments) an approval card previews; what will run is shown whole. */
const CARD_PREVIEW = 4000;

/** An approval's call and its words as a person reads them: every text a model could have written escaped or quoted. */
export type ShownApproval = ShownCall & { name: string; rule: string; about: string };

/**
 * Pending approvals as the kernel lists them, each with `shown`, made here by protocol/show-call.ts
 * as every other surface makes it (the page draws `shown`, never its own reading of `args`): an
 * exec's program, argv (each argument quoted, drawn in a box of its own), cwd and env; the process
 * name and rule escaped; `about`, what the rule was asked about when the call's fields do not say it.
 */
function withShown(listed: unknown): { approvals: Array<Record<string, unknown> & { shown: ShownApproval }> } {
  const rows = (
    listed as { approvals: Array<{ call: string; args: unknown; subject?: string; name: string; rule: string }> }
  ).approvals;
  return {
    approvals: rows.map((row) => ({
      ...row,
      shown: {
        ...showCall(row, { preview: CARD_PREVIEW }),
        name: escapeControl(row.name),
        rule: escapeControl(row.rule),
        about: approvalAbout(row),
      },
    })),
  };
}

/** Proposals as the kernel lists them, each with `shown` made as an approval's is: the page draws it, never `args`. */
function withShownProposals(listed: unknown): { proposals: Array<Record<string, unknown> & { shown: ShownApproval }> } {
  const rows = (
    listed as { proposals: Array<{ call: string; args: unknown; subject: string; name: string; rule: string }> }
  ).proposals;
  return {
    proposals: rows.map((row) => ({
      ...row,
      shown: {
        ...showCall(row, { preview: CARD_PREVIEW }),
        name: escapeControl(row.name),
        rule: escapeControl(row.rule),
        about: escapeControl(row.subject),
      },
    })),
  };
}

/** `?key=…&since=…&limit=…` as thread_show's params (absent numbers left out: the method's defaults apply). */
function threadShowParams(query: Query): { key: string; since?: number; limit?: number } {
  const since = intParam(query, 'since');
  const limit = intParam(query, 'limit');
  return { key: query.get('key') ?? '', ...(since === null ? {} : { since }), ...(limit === null ? {} : { limit }) };
}

/** `?name=…&limit=…` as channel_show's params. */
function channelShowParams(query: Query): { name: string; limit?: number } {
  const limit = intParam(query, 'limit');
  return { name: query.get('name') ?? '', ...(limit === null ? {} : { limit }) };
}

export const GETS: Record<string, (deps: ApiDeps, query: Query) => ApiAnswer | Promise<ApiAnswer>> = {
  '/api/session': async ({ call, csrf, port, kernel }) => ({
    json: {
      csrf,
      port,
      kernel: await call('ping', {}),
      features: {
        approvals: isMethod('approvals'),
        proposals: isMethod('proposals'),
        stop: isMethod('stop'),
        units: isMethod('unit_ls'),
        budgets: isMethod('budget_ls'),
        threads: isMethod('thread_ls'),
        channels: isMethod('channel_ls'),
      },
      last_id: await kernel.store.events.lastId(),
    },
  }),
  '/api/ps': async ({ call, kernel }) => ({
    json: await withTasks(kernel, (await call('ps', { last: param.webTreeRows })) as ProcRow[]),
  }),
  '/api/stats': async ({ call }) => ({ json: await call('stats', {}) }),
  '/api/proc': ({ kernel }, query) => processDetail(kernel, intParam(query, 'pid') ?? 0),
  '/api/events': async ({ kernel, modelOf }, query) => {
    const limit = pageLimit(query);
    return page(
      await kernel.store.events.before({ pid: intParam(query, 'pid'), before: intParam(query, 'before'), limit }),
      limit,
      modelOf,
    );
  },
  '/api/search': async ({ kernel, modelOf }, query) => {
    await kernel.store.events.indexAll(param.webIndexChunk);
    const limit = Math.min(pageLimit(query), param.webSearchHits);
    const rows = await kernel.store.events.search(query.get('q') ?? '', {
      pid: intParam(query, 'pid'),
      before: intParam(query, 'before'),
      limit,
    });
    return page(rows, limit, modelOf);
  },
  '/api/usage': async ({ kernel }, query) => ({
    json: usageSeries(await kernel.store.events.usage(param.webUsageScanEvents), intParam(query, 'pid')),
  }),
  '/api/approvals': async ({ call }) => ({ json: withShown(await call('approvals', {})) }),
  '/api/proposals': async ({ call }) => ({ json: withShownProposals(await call('proposals', {})) }),
  '/api/units': async ({ call }) => ({ json: await call('unit_ls', {}) }),
  '/api/budgets': async ({ call }) => ({ json: await call('budget_ls', {}) }),
  '/api/threads': async ({ call }, query) => ({
    json: await call('thread_ls', query.get('prefix') ? { prefix: query.get('prefix') } : {}),
  }),
  '/api/thread': async ({ call }, query) => ({ json: await call('thread_show', threadShowParams(query)) }),
  '/api/channels': async ({ call }) => ({ json: await call('channel_ls', {}) }),
  '/api/channel': async ({ call }, query) => ({ json: await call('channel_show', channelShowParams(query)) }),
};

type Body = Record<string, unknown>;

export const POSTS: Record<string, (deps: ApiDeps, body: Body) => Promise<ApiAnswer>> = {
  '/api/kill': async ({ call }, body) => ({ json: await call('kill', { pid: body.pid, tree: body.tree ?? true }) }),
  '/api/stop': async ({ call }, body) => ({
    json: await call('stop', { pid: body.pid, timeout_s: body.timeout_s ?? param.webStopTimeoutS }),
  }),
  '/api/send': async ({ call }, body) => ({ json: await call('send', { pid: body.pid, text: body.text }) }),
  '/api/fork': async ({ call }, body) => ({ json: await call('fork', { pid: body.pid, turn: body.turn }) }),
  '/api/approve': async ({ call }, body) => ({
    json: await call('approve', { id: body.id, ...(body.also === undefined ? {} : { also: body.also }) }),
  }),
  '/api/deny': async ({ call }, body) => ({
    json: await call('deny', {
      id: body.id,
      ...(typeof body.reason === 'string' && body.reason ? { reason: body.reason } : {}),
      ...(body.also === undefined ? {} : { also: body.also }),
    }),
  }),
  // A proposal undone from the page (issue 52.2): the kernel's `undo`, so the same checks; audited via the web.
  '/api/undo': async ({ call }, body) => ({ json: await call('undo', { id: body.id }) }),
  // A candidate policy tried on past runs (issue 52.3): nothing is run or applied from the page.
  '/api/policy-try': async ({ call }, body) => ({
    json: await call('policy_try', {
      text: body.text,
      ...(body.pids === undefined ? {} : { pids: body.pids }),
      ...(body.since === undefined ? {} : { since: body.since }),
    }),
  }),
};
