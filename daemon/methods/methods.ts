/**
 * What each protocol method does: params arrive validated (protocol.ts), results go back as JSON.
 * The table's room (daemon/methods/): this file, and one file per area spread into it with one line.
 * A handler sees the kernel through its door (kernel/api.ts KernelApi), never a floor behind it.
 */
import { defaultModelOf, type KernelApi, type StoredEvent, type Via } from '../../kernel/api.js';
import { type Method, type ParsedParamsOf, PROTOCOL_VERSION, type ResultOf } from '../../protocol/protocol.js';
import type { RawJson } from '../../protocol/raw-json.js';
import { refuseSpawnDrift } from './spawn-drift.js';
import type { PushTarget, StreamHub } from '../streams.js';
import { safetyHandlers } from './safety-methods.js';
import { unitHandlers } from './unit-methods.js';
import { threadHandlers, threadsOf } from './thread-methods.js';
import { skillHandlers } from './skill-methods.js';
import { budgetHandlers } from './budget-methods.js';
import { channelHandlers } from './channel-methods.js';
import { tapeHandlers } from './tape-methods.js';
import { forkHandlers } from './fork-methods.js';
import { proposalHandlers } from './proposal-methods.js';
import { policyTryHandlers } from './policy-try-methods.js';
import { isEnded } from '../../sys/types.js';
import { KERNEL_VERSION } from '../../sys/version.js';
import { waitFor } from './wait-method.js';
import { toProcRow, type ProcRow } from '../../protocol/views.js';
import { settingsOf } from '../../protocol/settings.js';
import { webCall } from './web-call.js';
import { webLogin } from '../web/index.js';
import { clusterAware } from './cluster-methods.js';
import { spawnOptionsOf } from './spawn-options.js';

export interface ServerInfo {
  socket: string;
  home: string;
  workspace: string;
  startedAt: number;
}

export interface MethodContext {
  kernel: KernelApi;
  /** The transport the request came on, decided by the server (an approval's `via`). */
  via: Via;
  hub: StreamHub;
  info: ServerInfo;
  target: PushTarget;
  /** A fresh stream id on this connection. */
  newSub(): number;
  /** Runs right after the response line is written (a stream's first push, a shutdown). */
  afterResponse(fn: () => void): void;
  requestShutdown(): void;
}

/** A change is acknowledged only once it is committed: an answer the client saw is never undone by a crash. */
async function durable<T>(kernel: KernelApi, value: T): Promise<T> {
  await kernel.store.committed();
  return value;
}

/** A result, or its JSON made elsewhere (RawJson: `ps --all`'s rows come from SQLite as bytes). */
type Answer<M extends Method> = ResultOf<M> | RawJson<ResultOf<M>>;
type Handlers = { [M in Method]: (params: ParsedParamsOf<M>, ctx: MethodContext) => Answer<M> | Promise<Answer<M>> };

/**
 * `logs`: the history, read from the store without holding the kernel's thread, and with `follow`
 * the stream from there. What commits while the history is read is held, and once the answer is
 * written the follow starts with what the history lacks: no event slips between the two, none twice.
 */
async function logs(params: ParsedParamsOf<'logs'>, ctx: MethodContext): Promise<ResultOf<'logs'>> {
  const { kernel, hub } = ctx;
  const held: StoredEvent[] = [];
  // What was queued before this call happened before it: neither history cut by `tail` nor new.
  const before = kernel.store.lastQueuedEventId;
  const stopHolding = params.follow ? kernel.store.onCommitted((events) => void held.push(...events)) : () => undefined;
  let procs: ProcRow[];
  let stored: StoredEvent[];
  try {
    procs = await kernel.tree(params.pid, { tree: params.tree });
    stored = await kernel.store.events.stored(
      procs.map((r) => r.pid),
      params.tail,
    );
  } catch (error) {
    stopHolding();
    throw error;
  }
  const events = stored.map((e) => e.event);
  const root = procs.find((r) => r.pid === params.pid) as ProcRow;
  if (!params.follow) return { sub: null, procs, events };
  const sub = ctx.newSub();
  // Event ids are in commit order: one above the history's newest was not in it.
  const seen = Math.max(stored.at(-1)?.id ?? 0, before);
  ctx.afterResponse(() => {
    stopHolding();
    if (isEnded(root.state)) {
      hub.endNow(ctx.target, sub, { pid: root.pid, code: root.exit_code, reason: root.exit_reason, state: root.state });
      return;
    }
    const missed = held.filter((e) => e.id > seen);
    const pids = procs.map((r) => r.pid);
    hub.follow(ctx.target, sub, root.pid, pids, { tree: params.tree ?? false, text: params.text ?? false, missed });
  });
  return { sub, procs, events };
}

/** Every method, for this node's own processes (clusterAware below answers for other nodes'; requests from other nodes are served with these). */
export const ownHandlers: Handlers = {
  ping: (_params, { info, kernel }) => ({
    pid: process.pid,
    version: KERNEL_VERSION,
    protocol: PROTOCOL_VERSION,
    uptime_s: Math.round((Date.now() - info.startedAt) / 1000),
    home: info.home,
    socket: info.socket,
    workspace: info.workspace,
    // The daemon's own environment, as the CLI that started it left it: the CLI checks its own against it.
    // The variables its policy's secrets come from are fingerprinted whatever their names.
    settings: settingsOf(
      process.env,
      kernel.safety.policy.secrets.flatMap((s) => (s.fromEnv === null ? [] : [s.fromEnv])),
    ),
  }),
  spawn: async (params, { kernel, hub, target }) => {
    // Every rung of a ladder goes to its provider with the kernel's settings: each is checked.
    const models =
      params.ladder ??
      (params.model === 'auto' ? (kernel.ladder ?? []) : [params.model ?? defaultModelOf(kernel) ?? undefined]);
    for (const model of models) refuseSpawnDrift(params.settings, model, process.pid);
    if (params.watch) hub.hold(target);
    const options = spawnOptionsOf(params);
    if (params.idempotency_key === undefined) return durable(kernel, toProcRow(await kernel.spawn(options)));
    // Keyed: the key is stored with the commit of the process, before this answer (kernel/proc/idempotency.ts).
    const { pcb, replayed } = await kernel.spawnKeyed(params.idempotency_key, options);
    return durable(kernel, { ...toProcRow(pcb), ...(replayed ? { replayed: true } : {}) });
  },
  ps: (params, { kernel }) => {
    if (params.last !== undefined) return kernel.processes({ last: params.last });
    return params.all ? kernel.psAll.json() : kernel.liveProcessesJson();
  },
  kill: (params, { kernel }) => {
    kernel.disk.refuseNewWork('kill');
    return durable(kernel, { killed: kernel.kill(params.pid, { tree: params.tree ?? true }) });
  },
  send: (params, { kernel }) => {
    kernel.disk.refuseNewWork('send');
    kernel.send(params.pid, params.text);
    return durable(kernel, { ok: true as const });
  },
  logs,
  stop: (params, { kernel }) => {
    kernel.disk.refuseNewWork('stop');
    const pids = kernel.admin.stop(params.pid, params.timeout_s, { tree: params.tree ?? true });
    return durable(kernel, { stopping: pids.length > 0, pids });
  },
  inspect: async (params, { kernel }) => ({
    ...(await kernel.admin.inspect(params.pid)),
    threads: await threadsOf(kernel, params.pid),
  }),
  history: async (params, { kernel }) => {
    await kernel.store.flushed();
    const events = await kernel.store.events.recent(params.tail);
    const pids = [...new Set(events.map((e) => e.pid))];
    const trees = await Promise.all(pids.map((pid) => kernel.tree(pid)));
    return { procs: trees.flatMap((rows) => rows.slice(0, 1)), events };
  },
  rm: async (params, { kernel }) => ({ removed: await kernel.admin.remove(params.pids) }),
  prune: async (params, { kernel }) => ({
    removed: await kernel.admin.prune(Date.now() - (params.older_than_s ?? 0) * 1000),
  }),
  subscribe: (params, ctx) => {
    const sub = ctx.newSub();
    ctx.hub.subscribe(ctx.target, sub, params.topics);
    return { sub, stats: ctx.kernel.stats() };
  },
  unsubscribe: (params, { hub, target }) => ({ ok: hub.drop(target, params.sub) }),
  stats: (params, { kernel }) => {
    if (params.gc) (globalThis as { gc?: () => void }).gc?.();
    return kernel.stats();
  },
  models: (_params, { kernel }) => ({ default_model: defaultModelOf(kernel), providers: kernel.models.catalog() }),
  wait: (params, { kernel }) => waitFor(kernel, params.pid, params.timeout_s),
  web: (_params, ctx) => webLogin(ctx.kernel, webCall(ctx, handlers)),
  shutdown: (_params, ctx) => {
    ctx.afterResponse(() => ctx.requestShutdown());
    return { pid: process.pid };
  },
  ...safetyHandlers,
  ...unitHandlers,
  ...threadHandlers,
  ...skillHandlers,
  ...budgetHandlers,
  ...channelHandlers,
  ...tapeHandlers,
  ...forkHandlers,
  ...proposalHandlers,
  ...policyTryHandlers,
};

/** The method table: in a cluster, a request for another node's process is answered for that node (cluster-methods.ts). */
export const handlers: Handlers = clusterAware(ownHandlers);
