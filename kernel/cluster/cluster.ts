/**
 * A kernel's place in a cluster of kernels on one PostgreSQL (AOS_DATABASE_URL, issue 36): what
 * it shares with the others is who is in the cluster (nodes, epochs, heartbeats, fencing), the
 * model pool's per-provider budgets and the pid sequence. Its processes are kept in the same
 * database, in a schema of the node's own (`storeOptions`), every commit fenced by its epoch.
 */
import { param } from '../../sys/param.js';
import { visibleText } from '../../protocol/visible-text.js';
import { type Db, migrate, openDb, redactUrl } from './db.js';
import { FencedError, Membership, type NodeLoad, type NodeRow } from './membership.js';
import { SharedLimits } from './shared-limits.js';
import { KeyClaims } from './key-claims.js';
import type { BucketFactory } from '../sched/token-bucket.js';
import type { ClusterView } from '../../protocol/cluster-view.js';
import type { PostgresStoreOptions } from '../store/api.js';
import { nodeSchema, RemoteNodes } from './remote.js';
import { nodeStoreOptions } from './node-store.js';
import { ANSWER_CHANNEL, ClusterRequests, REQUEST_CHANNEL } from './requests.js';

export { nodeSchema };
export type { RemoteNodes };
export { RemoteError } from './requests.js';

export { FencedError, type NodeRow };

export interface ClusterOptions {
  /** postgres://… */
  url: string;
  /** This node's name (AOS_NODE, --node). */
  node: string;
  /** This node's workspace, and whether every node reaches it at that path (AOS_SHARE_WORKSPACE=1): its trees can then be adopted. */
  workspace?: { path: string; shared: boolean };
  /**
   * The lease this node asks for (AOS_CLUSTER_LEASE_S), in ms: param.clusterLeaseMin..MaxMs. The
   * cluster keeps one (membership.ts clusterLease); absent, the node takes the cluster's.
   */
  leaseMs?: number;
}

/** What the cluster asks of its kernel, set once the kernel is built (`attach`). */
export interface ClusterHost {
  load(): NodeLoad;
  demand(lane: string): number;
  capacity(): void;
  /** Another node saw this provider refuse: cut the adaptive limit here too. */
  overloaded(provider: string): void;
  /**
   * Take over the process trees of the dead node whose store is in `schema`, each moved in a
   * transaction that commits only while `check` finds the node still dead; the processes adopted.
   */
  adopt?(node: string, schema: string, check: { sql: string; params: unknown[] }): Promise<number>;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/** 59 at most: `aos:<name>` is the sessions' application_name, which PostgreSQL cuts at 63 bytes. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,58}$/;

export class Cluster {
  private host: ClusterHost | null = null;
  private readonly warned = new Map<string, { at: number; held: number }>();
  private readonly changeListeners = new Set<() => void>();
  private readonly fencedListeners = new Set<(epoch: number) => void>();
  /** An adoption under way (one at a time), and when each dead node was first seen dead here. */
  private adopting: Promise<void> | null = null;
  private readonly deadSince = new Map<string, number>();
  /** Processes this node adopted since it joined. */
  adopted = 0;
  readonly member: Membership;
  readonly limits: SharedLimits;
  /** What other nodes ask of this one, and what this one asks of them (kill, send, ... of their processes). */
  readonly requests: ClusterRequests;
  /** Other nodes' processes, read from their stores in the database. */
  readonly remote: RemoteNodes;
  /** New idempotency keys claimed cluster-wide while their work starts (a key two nodes are asked at once starts once). */
  readonly keys: KeyClaims;

  private constructor(
    private readonly db: Db,
    private readonly options: ClusterOptions,
    /** The cluster's id (its database's): a tree's memory collection is `aos-<id>-tree-<root pid>` on every node, so an adopted tree keeps its memories. */
    readonly id: string,
  ) {
    this.member = new Membership(
      db,
      options.node,
      {
        load: () => this.host?.load() ?? { processes: 0, in_flight: 0, queued: 0 },
        fenced: (old, now) => {
          this.log(
            'error',
            `cluster: node "${options.node}" was declared dead by another node (epoch ${old} fenced); it joined again as epoch ${now}`,
          );
          this.fencedListeners.forEach((fn) => fn(old));
        },
        declaredDead: (nodes) =>
          this.log(
            'warn',
            `cluster: declared dead and fenced: ${nodes.map((n) => `${visibleText(n.name)} (epoch ${n.epoch})`).join(', ')}`,
          ),
        unreachable: (error) => this.log('warn', `cluster: heartbeat failed (${error.message}); retrying`),
        changed: () => this.changeListeners.forEach((fn) => fn()),
        beat: () => {
          void this.limits
            .refresh()
            .catch((error: Error) => this.log('warn', `cluster: budgets not read (${error.message})`));
          this.adoptOrphans();
        },
      },
      options.workspace,
      options.leaseMs,
    );
    this.requests = new ClusterRequests(db, options.node, (message) => this.log('warn', message));
    this.remote = new RemoteNodes(db, options.node);
    this.keys = new KeyClaims(db, options.node, () => this.member.epoch);
    this.limits = new SharedLimits(db, this.member, options.url, {
      notice: (channel, payload) => this.requests.heard(channel, payload),
      demand: (lane) => this.host?.demand(lane) ?? 0,
      capacity: () => this.host?.capacity(),
      overloaded: (provider) => this.host?.overloaded(provider),
      warn: (message) => this.log('warn', message),
    });
  }

  /** Connect, make the cluster's tables when missing, and join as `node`. */
  static async join(options: ClusterOptions): Promise<Cluster> {
    if (!NAME.test(options.node))
      throw new Error(`AOS_NODE must be 1-59 letters, digits, '.', '_' or '-' (got "${options.node}")`);
    const lease = options.leaseMs;
    if (
      lease !== undefined &&
      !(Number.isSafeInteger(lease) && lease >= param.clusterLeaseMinMs && lease <= param.clusterLeaseMaxMs)
    )
      throw new Error(
        `AOS_CLUSTER_LEASE_S must be whole milliseconds from ${param.clusterLeaseMinMs / 1000} to ${param.clusterLeaseMaxMs / 1000} s (got ${lease / 1000})`,
      );
    const db = openDb(options.url, options.node);
    try {
      const id = await migrate(db);
      const cluster = new Cluster(db, options, id);
      await cluster.member.join();
      await cluster.limits.listen();
      cluster.member.start();
      return cluster;
    } catch (error) {
      await db.end().catch(() => undefined);
      throw new Error(
        `cluster: could not join ${redactUrl(options.url)} as "${options.node}": ${(error as Error).message}`,
      );
    }
  }

  /** Called when the nodes, their states, epochs or process counts change; returns the way to stop. */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** This node's workspace, and whether the nodes share it (adoption and placement need it shared). */
  get workspace(): ClusterOptions['workspace'] {
    return this.options.workspace;
  }

  /**
   * Called when this node finds it was fenced: its store, fenced at the old epoch, commits nothing
   * more, so the kernel on it must stop (the daemon does) and start again to resume its processes.
   */
  onFenced(listener: (epoch: number) => void): () => void {
    this.fencedListeners.add(listener);
    return () => this.fencedListeners.delete(listener);
  }

  attach(host: ClusterHost): void {
    this.host = host;
  }

  /**
   * Into the kernel's log; a warning of one kind (its words, what is in parentheses aside) at most
   * once per clusterWarnEveryMs, saying how many were held back: a database that is down is
   * reported, not written every time a node asks it.
   */
  private log(level: 'info' | 'warn' | 'error', message: string): void {
    if (level !== 'warn') return this.host?.log(level, message);
    const kind = message.replace(/\([^)]*\)/g, '()');
    const seen = this.warned.get(kind);
    const now = Date.now();
    if (seen && now - seen.at < param.clusterWarnEveryMs) {
      seen.held++;
      return;
    }
    this.warned.set(kind, { at: now, held: 0 });
    this.host?.log(level, seen?.held ? `${message} (${seen.held} more like it since the last)` : message);
  }

  /** The node's store in the cluster's database: its own schema, every transaction fenced (node-store.ts). */
  storeOptions(file: string): PostgresStoreOptions {
    return nodeStoreOptions(this.options.url, this.options.node, this.member.epoch, file);
  }

  /**
   * Dead nodes' trees that this node may adopt: theirs is the workspace this node has, and both
   * share it. The least loaded of the live nodes that could take them goes first; the others wait a
   * heartbeat per place behind it, then take what is left (a tree locked by another is skipped).
   */
  private adoptOrphans(): void {
    const { host } = this;
    const ws = this.options.workspace;
    if (this.adopting || !host?.adopt || !ws?.shared) return;
    const nodes = this.member.nodes;
    const same = (n: NodeRow): boolean => n.shares_workspace && n.workspace === ws.path;
    const dead = nodes.filter((n) => n.state === 'dead' && same(n));
    const now = Date.now();
    for (const name of this.deadSince.keys()) if (!dead.some((n) => n.name === name)) this.deadSince.delete(name);
    if (dead.length === 0) return;
    const load = (n: NodeRow): number => n.in_flight + n.queued + n.processes;
    const takers = nodes
      .filter((n) => n.state === 'live' && same(n))
      .sort((a, b) => load(a) - load(b) || a.name.localeCompare(b.name));
    const place = Math.max(
      0,
      takers.findIndex((n) => n.name === this.options.node),
    );
    this.adopting = (async () => {
      for (const node of dead) {
        const since = this.deadSince.get(node.name) ?? now;
        this.deadSince.set(node.name, since);
        if (now - since < place * param.clusterHeartbeatMs) continue;
        // One adopter at a time per dead node: its row locked (SKIP LOCKED: another adopter skips it this round, never waits on the kernel's thread).
        const check = {
          sql: "SELECT 1 FROM public.aos_nodes WHERE name = $1 AND state = 'dead' FOR UPDATE SKIP LOCKED",
          params: [node.name],
        };
        const taken = await host.adopt?.(node.name, nodeSchema(node.name), check);
        if (!taken) continue;
        this.adopted += taken;
        await this.db
          .query('UPDATE aos_nodes SET processes = GREATEST(processes - $2, 0) WHERE name = $1', [node.name, taken])
          .then(() =>
            this.db.query('UPDATE aos_nodes SET adopted = adopted + $2 WHERE name = $1 AND epoch = $3', [
              this.options.node,
              taken,
              this.member.epoch,
            ]),
          )
          .catch(() => undefined);
      }
    })()
      .catch((error: Error) =>
        this.log(
          'warn',
          `cluster: adopting a dead node's processes failed (${error.message}); retrying at the next heartbeat`,
        ),
      )
      .finally(() => (this.adopting = null));
  }

  /** The model pool's budgets, kept in the database. */
  get buckets(): BucketFactory {
    return this.limits.factory;
  }

  status(): ClusterView {
    return {
      node: this.options.node,
      epoch: this.member.epoch,
      database: redactUrl(this.options.url),
      store: 'postgres',
      schema: nodeSchema(this.options.node),
      shares: ['membership', 'provider budgets (rpm, tpm)', "providers' refusals (adaptive limits)", 'pid sequence'],
      heartbeat_age_ms: Date.now() - this.member.lastBeat,
      heartbeat_ms: this.member.heartbeatMs,
      lease_ms: this.member.leaseMs,
      error: this.member.lastError?.message ?? null,
      nodes: this.member.nodes,
      budgets: this.limits.figures(),
      grants: this.limits.grants,
    };
  }

  /**
   * Leave the cluster: allowance given back, the row marked `left`, the connections closed — within
   * clusterStatementTimeoutMs: a database that does not answer does not hold up the kernel's stop
   * (the others fence this node a lease later).
   */
  async close(): Promise<void> {
    const leaving = (async () => {
      await this.adopting;
      await this.limits.close();
      await this.member.leave();
    })().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      leaving,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, param.clusterStatementTimeoutMs))),
    ]);
    clearTimeout(timer);
    this.member.stop();
    this.requests.close();
    void this.db.end().catch(() => undefined);
  }
}
