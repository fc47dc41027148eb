/**
 * The model pool's budgets kept in the cluster's database: one row per (lane, kind) in
 * aos_budgets, refilled by the server's clock at each grant and handed out to nodes in shares of
 * what their processes wait for, so fairness is per process, not per node. A grant is a fenced
 * commit (membership.ts): a node declared dead takes nothing more. A 429 blocks the budget for
 * every node: NOTIFY wakes them at once (coalesced: one read however many arrive), and each
 * heartbeat reads the blocks again (the poll behind it). The budgets' rows: budget-rows.ts.
 */
import pg from 'pg';
import { param } from '../../sys/param.js';
import type { BucketFactory } from '../sched/token-bucket.js';
import { connectionConfig, type Db, NOW_MS } from './db.js';
import { lockRow, totalDemand } from './budget-rows.js';
import type { Membership } from './membership.js';
import { type BucketLink, SharedBucket } from './shared-bucket.js';
import { OVERLOAD, OverloadSignals } from './overloads.js';

const CHANNEL = 'aos_budget';
/** Channels this NOTIFY connection also listens on for others (requests between nodes: requests.ts). */
const NOTICES = ['aos_request', 'aos_answer'];

export interface LimitsHooks {
  /** Processes of this node waiting on a lane (a provider, or a model with limits of its own). */
  demand(lane: string): number;
  /** Allowance arrived or a block ended: the scheduler tries again. */
  capacity(): void;
  /** Another node saw this provider refuse: cut the adaptive limit here too. */
  overloaded(provider: string): void;
  warn(message: string): void;
  /** A notice on one of the other channels (NOTICES). */
  notice?(channel: string, payload: string): void;
}

interface Grant {
  amount: number;
  level: number;
  blockedMs: number;
  /** The cluster's demand on this budget against this node's. */
  contention: number;
}

export class SharedLimits implements BucketLink {
  private readonly buckets = new Map<string, SharedBucket>();
  private readonly asking = new Set<SharedBucket>();
  private listener: pg.Client | null = null;
  private refreshQueued = false;
  private relistening = false;
  /** Buckets whose row this node has made or found since it started (made once, then only locked). */
  private readonly rowsMade = new Set<SharedBucket>();
  private readonly overloads: OverloadSignals;
  private closed = false;
  /** Grants made, and those refused because this node was fenced (the status shows them). */
  grants = 0;
  refusedFenced = 0;
  /** Grants that failed (the database away, a statement refused). */
  failedGrants = 0;

  constructor(
    private readonly db: Db,
    private readonly member: Membership,
    private readonly url: string,
    private readonly hooks: LimitsHooks,
  ) {
    this.overloads = new OverloadSignals(db, member.name, hooks);
  }

  /** The pool's factory: a gate's budget is the cluster's. */
  readonly factory: BucketFactory = (lane, kind, perMinute, capacity) => {
    const key = `${lane}\u0000${kind}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new SharedBucket(lane, kind, perMinute, capacity, this);
      this.buckets.set(key, bucket);
    }
    return bucket;
  };

  /** Start listening for blocks. */
  async listen(): Promise<void> {
    const client = new pg.Client(connectionConfig(this.url, `${this.member.name}:listen`));
    const lost = (why: string): void => {
      if (this.listener !== client) return;
      this.listener = null;
      this.hooks.warn(
        `cluster: the NOTIFY connection was lost (${why}); blocks arrive with the heartbeat until it is back`,
      );
    };
    client.on('error', (error) => lost(error.message));
    client.on('end', () => lost('closed'));
    client.on('notification', (n) => {
      if (n.channel === OVERLOAD) this.overloads.heard(n.payload ?? '');
      else if (n.channel === CHANNEL) this.queueRefresh();
      else this.hooks.notice?.(n.channel, n.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}; LISTEN ${OVERLOAD}; ${NOTICES.map((c) => `LISTEN ${c}`).join('; ')}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) return void (await client.end().catch(() => undefined));
    this.listener = client;
    // What was said while nobody listened is read now.
    this.queueRefresh();
  }

  /** This node's adaptive limit for `provider` was cut by a refusal: the other nodes cut theirs (overloads.ts). */
  overload(provider: string): void {
    if (!this.closed) this.overloads.tell(provider);
  }

  ask(bucket: SharedBucket): void {
    if (this.closed || this.asking.has(bucket)) return;
    this.asking.add(bucket);
    void this.grant(bucket)
      .then((g) => {
        bucket.granted(g.amount, g.level, g.contention);
        if (g.blockedMs > 0) bucket.blocked(g.blockedMs);
        // The scheduler's pump runs outside this chain: its errors are its own, not a failed grant.
        if (g.amount > 0) setImmediate(() => this.hooks.capacity());
      })
      .catch((error: Error & { code?: string }) => {
        bucket.refused();
        this.failedGrants++;
        if (error.code === 'EFENCED') this.refusedFenced++;
        else this.hooks.warn(`cluster: no grant of ${bucket.lane} ${bucket.kind} (${error.message}); asking again`);
      })
      .finally(() => this.asking.delete(bucket));
  }

  block(bucket: SharedBucket, ms: number): void {
    if (!(ms > 0)) return;
    ms = Math.min(ms, param.clusterMaxBlockMs);
    void this.member
      .fenced(async (tx) => {
        await tx.query(
          `UPDATE aos_budgets SET blocked_until_ms = GREATEST(blocked_until_ms, ${NOW_MS} + $3), level = LEAST(level, 0) WHERE lane = $1 AND kind = $2`,
          [bucket.lane, bucket.kind, Math.round(ms)],
        );
        await tx.query('SELECT pg_notify($1, $2)', [CHANNEL, bucket.lane]);
      })
      .catch((error: Error) => this.hooks.warn(`cluster: a 429 on ${bucket.lane} was not shared (${error.message})`));
  }

  /**
   * One grant: refill the shared bucket by the server's clock, settle this node's returns, hand
   * out a fair share (none when `take` is false: a settlement only).
   */
  private grant(bucket: SharedBucket, take = true): Promise<Grant> {
    const demand = Math.max(1, this.hooks.demand(bucket.lane));
    const unit = bucket.kind === 'rpm' ? 1 : Math.max(1, bucket.want);
    const want = bucket.kind === 'rpm' ? Math.max(bucket.want, demand) : bucket.want * demand;
    const returned = bucket.returned;
    const observed = bucket.observed;
    if (![want, returned, unit].every(Number.isFinite))
      return Promise.reject(
        new Error(
          `${bucket.lane} ${bucket.kind}: a figure that is not a number (${want}, ${returned}) is never sent to the cluster`,
        ),
      );
    bucket.returned = 0;
    bucket.observed = Infinity;
    return this.member
      .fenced(async (tx) => {
        // What the nodes wait for first, so the budget's row is locked for two statements only.
        const total = take ? await totalDemand(tx, bucket, this.member.name, demand) : demand;
        const row = await lockRow(tx, bucket, this.rowsMade, (message) => this.hooks.warn(message));
        // Refilled by the server's clock, what was given back (or owed) settled, never past the burst.
        let level = Math.min(
          row.capacity,
          row.level + (Math.max(0, row.now - row.updated_ms) * row.per_minute) / 60_000 + returned,
        );
        if (Number.isFinite(observed)) level = Math.min(level, observed);
        const blockedMs = Math.max(0, row.blocked_until_ms - row.now);
        const share = (level * demand) / Math.max(demand, total);
        const amount =
          !take || blockedMs > 0 || level < Math.min(unit, row.capacity)
            ? 0
            : Math.min(want, level, Math.max(share, Math.min(unit, row.capacity)));
        await tx.query(
          'UPDATE aos_budgets SET level = $3, updated_ms = $4, granted = granted + $5 WHERE lane = $1 AND kind = $2',
          [bucket.lane, bucket.kind, level - amount, row.now, amount],
        );
        this.grants++;
        return { amount, level: level - amount, blockedMs, contention: Math.max(demand, total) / demand };
      })
      .catch((error: unknown) => {
        // Did it commit? A lost answer to COMMIT cannot say. On the safe side: a debt is charged
        // again (twice at worst), allowance given back is not offered twice (lost at worst).
        bucket.returned += Math.min(0, returned);
        throw error;
      });
  }

  private queueRefresh(): void {
    if (this.refreshQueued || this.closed) return;
    this.refreshQueued = true;
    setImmediate(() => {
      this.refreshQueued = false;
      void this.refresh().catch((error: Error) =>
        this.hooks.warn(`cluster: could not read the budgets' blocks (${error.message})`),
      );
    });
  }

  /** Read every block (after a NOTIFY, and at each heartbeat); settle idle allowance. */
  async refresh(): Promise<void> {
    // The NOTIFY connection came back with the database: blocks are heard at once again.
    if (!this.listener && !this.closed && !this.relistening) {
      this.relistening = true;
      await this.listen()
        .catch((error: Error) => this.hooks.warn(`cluster: the NOTIFY connection is still down (${error.message})`))
        .finally(() => (this.relistening = false));
    }
    if (this.buckets.size === 0) return;
    const rows = await this.db.query<{ lane: string; kind: string; ms: number }>(
      `SELECT lane, kind, blocked_until_ms - ${NOW_MS} AS ms FROM aos_budgets WHERE blocked_until_ms > ${NOW_MS}`,
    );
    for (const r of rows.rows) this.buckets.get(`${r.lane}\u0000${r.kind}`)?.blocked(r.ms);
    for (const b of this.buckets.values()) if (b.giveBackIdle() !== 0) void this.settle(b);
  }

  /** Settle what a bucket gave back or owes, taking nothing. */
  private settle(b: SharedBucket): Promise<void> {
    return this.grant(b, false).then(
      () => undefined,
      (error: Error) =>
        this.hooks.warn(`cluster: could not settle ${b.lane} ${b.kind} (${error.message}); it is tried again`),
    );
  }

  /** The shared budgets as the status shows them. */
  figures(): Array<{
    lane: string;
    kind: string;
    per_minute: number;
    allowance: number;
    cluster_level: number | null;
    blocked: boolean;
  }> {
    return [...this.buckets.values()].map((b) => ({
      lane: b.lane,
      kind: b.kind,
      per_minute: b.perMinute,
      allowance: Math.floor(b.available()),
      cluster_level: b.clusterLevel === null ? null : Math.floor(b.clusterLevel),
      blocked: b.isBlocked,
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    // What this node still holds goes back before it leaves.
    for (const b of this.buckets.values()) b.giveBackIdle(Infinity);
    await Promise.all([...this.buckets.values()].filter((b) => b.returned !== 0).map((b) => this.settle(b)));
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => undefined);
  }
}
