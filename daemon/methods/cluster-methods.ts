/**
 * One view from any node of a cluster (issue 36, item 3). A request naming a process this node
 * does not have — not running here, not in its store — is answered for the node that has it:
 * `ps` lists every node's processes (read from their stores, each row naming its node), a new
 * tree goes to the least loaded node sharing this one's workspace, `logs`
 * (and `logs -f`) reads that node's store, and what changes a process (`kill`, `send`, `stop`,
 * `wait`, an approval's `approve` / `deny`) is asked of the node that runs it (kernel/cluster/
 * requests.ts), which carries it out with the same handler as its own clients get and commits it
 * before it answers. Without a cluster every handler is as it was.
 */
import { type KernelApi, refuseOtherSpawn, RemoteError, type Via } from '../../kernel/api.js';
import { METHODS, type Method, type ParsedParamsOf } from '../../protocol/protocol.js';
import { spawnOptionsOf } from './spawn-options.js';
import type { ProcRow } from '../../protocol/views.js';
import type { KernelEvent } from '../../protocol/events.js';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import type { PushTarget, StreamHub } from '../streams.js';
import { deliverCarried, WEBHOOK_METHOD } from '../cluster-webhooks.js';

/** What of a method's context this needs (methods.ts MethodContext has it). */
interface MethodContext {
  kernel: KernelApi;
  via: Via;
  hub: StreamHub;
  target: PushTarget;
  newSub(): number;
  afterResponse(fn: () => void): void;
}

type Run = (params: unknown, ctx: MethodContext) => unknown;

/** Methods another node may ask of this one, on a process of this one's. */
const FORWARDED = ['kill', 'send', 'stop', 'wait', 'approve', 'deny'] as const;
/** ...and what it may ask besides: a new tree placed here. */
const SERVED = [...FORWARDED, 'spawn'] as const;
type Served = (typeof SERVED)[number];

/** Spawns sent to each node since its load was last read (a heartbeat's load is a second old: a burst must not all go to one node). */
const placed = new Map<string, number>();
let placedAt = 0;

/**
 * Where a new tree goes: the least loaded live node that shares this node's workspace (the tree's
 * files are where every such node reaches them), counting what it runs, what waits and what was
 * sent to it since; this node when none is lighter. Null: here.
 */
function placeOf(kernel: KernelApi, params: Record<string, unknown>): string | null {
  const cluster = kernel.cluster;
  const ws = cluster?.workspace;
  // A keyed spawn stays here (its key is this node's: a retry must find it), and so does one attached to a thread (its entries are this node's).
  if (!cluster || !ws?.shared || params.idempotency_key !== undefined || params.attach !== undefined) return null;
  if (cluster.member.lastBeat !== placedAt) {
    placed.clear();
    placedAt = cluster.member.lastBeat;
  }
  const self = cluster.member.name;
  const load = (n: { name: string; processes: number; in_flight: number; queued: number }): number =>
    n.processes + n.in_flight + n.queued + (placed.get(n.name) ?? 0);
  const takers = cluster.member.nodes.filter(
    (n) => n.state === 'live' && n.shares_workspace && n.workspace === ws.path,
  );
  const mine = takers.find((n) => n.name === self);
  if (!mine) return null;
  const best = takers.reduce((a, b) => (load(b) < load(a) ? b : a), mine);
  placed.set(best.name, (placed.get(best.name) ?? 0) + 1);
  return best.name === self ? null : best.name;
}

const isLocal = async (kernel: KernelApi, pid: number): Promise<boolean> =>
  kernel.pcb(pid) !== undefined || (await kernel.store.processes.get(pid)) !== undefined;

/** Another node's error as this node's own: the same errno, the same words. */
function asLocal(error: unknown): never {
  if (error instanceof RemoteError) throw new AosError(error.code as never, error.message);
  throw error;
}

/** The node that has this process (or approval), when it is not this one. */
async function ownerOf(kernel: KernelApi, method: Method, params: Record<string, unknown>): Promise<string | null> {
  const cluster = kernel.cluster;
  if (!cluster) return null;
  if (method === 'approve' || method === 'deny') {
    const id = String(params.id);
    if (kernel.safety.approvals.has(id)) return null;
    return cluster.remote.ownerOf(id, 'approvals');
  }
  const pid = Number(params.pid);
  if (!Number.isInteger(pid) || (await isLocal(kernel, pid))) return null;
  return cluster.remote.ownerOf(pid);
}

/** A keyed spawn across the cluster: answered for the node that holds its key, or this node's to start under its claim. */
type Keyed = { answer: unknown } | { claimed: string };

/**
 * A keyed spawn whose key another node holds (the first request went there): a live node answers
 * it as its own would (the first process again, or EEXIST); a dead one's answer is read from its
 * store (its live trees are being adopted, and their keys go with them). A key no node holds is
 * claimed for this node first (kernel/cluster/key-claims.ts): while another node's claim stands,
 * its work is starting there, and this request waits for that node's key to answer it. Null: the
 * key is this node's already, and its own keys answer.
 */
async function keyedElsewhere(kernel: KernelApi, params: ParsedParamsOf<'spawn'>, via: Via): Promise<Keyed | null> {
  const cluster = kernel.cluster;
  const key = params.idempotency_key;
  if (!cluster || key === undefined || kernel.keys.seen('root', key) !== null) return null;
  const deadline = Date.now() + param.clusterKeyClaimMs + 5_000;
  for (;;) {
    const held = await cluster.remote.keyHolder('root', key);
    if (held) return { answer: await heldElsewhere(kernel, params, via, key, held) };
    if (await cluster.keys.claim('root', key)) {
      // A node that committed the key and gave its claim back between the look and the claim: its answer stands.
      const late = await cluster.remote.keyHolder('root', key);
      if (!late) return { claimed: key };
      await cluster.keys.release('root', key);
      return { answer: await heldElsewhere(kernel, params, via, key, late) };
    }
    if (kernel.keys.seen('root', key) !== null) return null;
    if (Date.now() > deadline) {
      const who = (await cluster.keys.claimant('root', key)) ?? 'another node';
      throw new AosError(
        'ETIMEDOUT',
        `idempotency key "${key}" is being started by node ${who}, which has not committed it in ${Math.round((param.clusterKeyClaimMs + 5_000) / 1000)} s; ask again`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, param.clusterKeyWaitPollMs));
  }
}

/** The answer of the node that holds a key: asked of it while it lives, read from its store when it is dead. */
async function heldElsewhere(
  kernel: KernelApi,
  params: ParsedParamsOf<'spawn'>,
  via: Via,
  key: string,
  held: { node: string; args: string; pid: number; created: number },
): Promise<unknown> {
  const cluster = kernel.cluster;
  if (!cluster) throw new AosError('EIO', 'not a node of a cluster');
  // A node that joined since the last heartbeat is not listed yet: it is live.
  const state = cluster.member.nodes.find((n) => n.name === held.node)?.state ?? 'live';
  if (state === 'live') {
    const row = (await cluster.requests
      .ask(held.node, 'spawn', { params: { ...params, watch: false }, via })
      .catch(asLocal)) as ProcRow;
    return { ...row, node: held.node };
  }
  refuseOtherSpawn(key, held, spawnOptionsOf(params), kernel.maskPrompt);
  const where = (await cluster.remote.holderOf(held.pid)) ?? held.node;
  const row =
    where === cluster.member.name
      ? (await kernel.processes({ all: true })).find((r) => r.pid === held.pid)
      : (await cluster.remote.tree(where, held.pid, false))[0];
  if (!row)
    throw new AosError(
      'ESRCH',
      `idempotency key "${key}" started process ${held.pid}, which has been removed (aos rm): use a new key to start the work again`,
    );
  return { ...row, node: where, replayed: true };
}

/** Start a keyed spawn here under this node's claim on its key, and give the claim back once the key is committed (or nothing started). */
async function underClaim(kernel: KernelApi, key: string, start: () => unknown): Promise<unknown> {
  try {
    return await start();
  } finally {
    await kernel.store.committed().catch(() => undefined);
    await kernel.cluster?.keys
      .release('root', key)
      .catch((error: Error) =>
        kernel.log(
          'warn',
          `cluster: the claim on idempotency key "${key}" was not given back (${error.message}); it lapses by itself`,
        ),
      );
  }
}

async function remoteLogs(
  kernel: KernelApi,
  node: string,
  params: { pid: number; tail?: number; tree?: boolean; follow?: boolean },
  ctx: MethodContext,
): Promise<unknown> {
  const remote = kernel.cluster?.remote;
  if (!remote) throw new AosError('ESRCH', `no process ${params.pid}`);
  const procs = await remote.tree(node, params.pid, params.tree ?? false);
  const root = procs.find((r) => r.pid === params.pid);
  if (!root) throw new AosError('ESRCH', `no process ${params.pid}`);
  const pids = procs.map((r) => r.pid);
  if (!params.follow)
    return {
      sub: null,
      procs,
      events: (await remote.events(node, pids, { tail: params.tail })).map((r) => JSON.parse(r.json) as KernelEvent),
    };
  const { rows, follow } = await remote.eventsToFollow(node, root.pid, pids, params.tail);
  const events = rows.map((r) => JSON.parse(r.json) as KernelEvent);
  const sub = ctx.newSub();
  if (root.state === 'exited' || root.state === 'killed') {
    const end = { pid: root.pid, code: root.exit_code, reason: root.exit_reason, state: root.state };
    ctx.afterResponse(() => ctx.hub.endNow(ctx.target, sub, end));
  } else {
    ctx.afterResponse(() =>
      ctx.hub.followRemote(ctx.target, sub, root.pid, pids, params.tree ?? false, (watched) => follow.poll(watched)),
    );
  }
  return { sub, procs, events };
}

/** `ps`: this node's rows, then every other node's (read from their stores), in pid order. */
async function everyNode(
  kernel: KernelApi,
  params: { all?: boolean; last?: number },
  local: unknown,
): Promise<ProcRow[]> {
  const mine = (params.last !== undefined || !params.all ? local : await kernel.processes({ all: true })) as
    ProcRow[] | { toJSON?: unknown };
  const own = Array.isArray(mine) ? mine : await kernel.processes({ all: params.all ?? false });
  const others =
    (await kernel.cluster?.remote.rows({ all: params.all || params.last !== undefined }).catch(() => [])) ?? [];
  const self = kernel.cluster?.member.name;
  // A tree moved between two schemas while they were read shows once (this node's row first).
  const seen = new Set<number>();
  const rows = [...own.map((r) => ({ ...r, node: self })), ...others]
    .filter((r) => !seen.has(r.pid) && seen.add(r.pid))
    .sort((a, b) => a.pid - b.pid);
  return params.last !== undefined ? rows.slice(-params.last) : rows;
}

/** The handlers, answering for every node of the cluster when the kernel is a node of one. */
export function clusterAware<H extends object>(handlers: H): H {
  // Alone, a handler runs as it always did: synchronously, not a promise later.
  const wrap =
    (method: Method, run: Run): Run =>
    (params, ctx) =>
      ctx.kernel.cluster ? clustered(method, run, params, ctx) : run(params, ctx);
  const clustered = async (method: Method, run: Run, params: unknown, ctx: MethodContext): Promise<unknown> => {
    const { kernel } = ctx;
    if (!kernel.cluster) return run(params, ctx);
    if (method === 'ps') return everyNode(kernel, params as { all?: boolean; last?: number }, await run(params, ctx));
    if (method === 'spawn') {
      const keyed = await keyedElsewhere(kernel, params as ParsedParamsOf<'spawn'>, ctx.via);
      if (keyed && 'answer' in keyed) return keyed.answer;
      if (keyed) return underClaim(kernel, keyed.claimed, () => run(params, ctx));
      const to = placeOf(kernel, params as Record<string, unknown>);
      if (to === null) return run(params, ctx);
      const row = (await kernel.cluster.requests
        .ask(to, 'spawn', { params: { ...(params as object), watch: false }, via: ctx.via })
        .catch((error: unknown) => {
          // Surely not started there (never sent, or withdrawn before it was taken): the tree starts here. Else the other node's answer stands.
          if (!(error instanceof RemoteError) || (error.code !== 'ENOTSENT' && error.code !== 'ETIMEDOUT'))
            return asLocal(error);
          kernel.log('warn', `cluster: placing a new tree on node ${to} failed (${error.message}); it starts here`);
          return null;
        })) as ProcRow | null;
      return row ? { ...row, node: to } : run(params, ctx);
    }
    const node = await ownerOf(kernel, method, params as Record<string, unknown>);
    if (node === null) return run(params, ctx);
    if (method === 'logs') return remoteLogs(kernel, node, params as { pid: number }, ctx);
    // A wait is answered when it ends: asked for that long, and a little more.
    const waitS = method === 'wait' ? ((params as { timeout_s?: number }).timeout_s ?? 24 * 3600) : null;
    const timeoutMs = waitS === null ? undefined : waitS * 1000 + 5_000;
    return kernel.cluster.requests.ask(node, method, { params, via: ctx.via }, timeoutMs).catch(asLocal);
  };
  const out: Record<string, unknown> = { ...(handlers as Record<string, unknown>) };
  for (const method of ['ps', 'logs', 'spawn', ...FORWARDED] as const)
    out[method] = wrap(method, (handlers as Record<string, Run>)[method] as Run);
  return out as H;
}

/**
 * What this node does when another asks (requests.ts): the method's params checked as a client's
 * are, then its own handler, on a context with no connection (no stream: these answer once); a
 * webhook request carried from another node's gateway is delivered to its route here.
 */
export function serveOtherNodes(kernel: KernelApi, handlers: object): void {
  // No connection: nothing here streams, and an answer goes back once.
  const base = {
    kernel,
    hub: null as unknown as StreamHub,
    target: { pushLine: () => undefined },
    newSub: () => 0,
    afterResponse: (fn: () => void) => void setImmediate(fn),
  };
  kernel.cluster?.requests.serve(async (method, body) => {
    if (method === WEBHOOK_METHOD) return deliverCarried(kernel, body);
    if (!(SERVED as readonly string[]).includes(method))
      throw new AosError('ENOSYS', `another node may not ask ${JSON.stringify(method)} of this one`);
    const { params, via } = (body ?? {}) as { params?: unknown; via?: Via };
    const parsed = METHODS[method as Served].params.safeParse(params ?? {});
    if (!parsed.success) throw new AosError('EINVAL', `${method}: bad params from another node`);
    const run = (handlers as Record<string, Run>)[method] as Run;
    return run(parsed.data, { ...base, via: via === 'web' ? 'web' : 'socket' });
  });
}
