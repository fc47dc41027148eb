/**
 * A node's membership of the cluster: it joins under a new epoch (its fencing token), writes a
 * heartbeat with its load, and declares dead every node whose heartbeat is a lease behind the
 * freshest live one. Every commit a node makes in the cluster runs `fenced`, which holds the
 * node's row in key-share mode for the transaction: a fence (an UPDATE of its `state`, a key column
 * through a unique index: schema.ts) waits for it to end and every later one finds the epoch gone,
 * so a node declared dead commits nothing after. The heartbeat (an UPDATE of other columns) does
 * not wait for it.
 */
import { hostname } from 'node:os';
import { param } from '../../sys/param.js';
import { hostId, isAlive } from '../../sys/host/pid-file.js';
import { visibleText } from '../../protocol/visible-text.js';
import type { ClusterNodeView } from '../../protocol/cluster-view.js';
import { type Db, inTx, NOW_MS, sessionName, type Tx } from './db.js';
import { clusterLease } from './lease.js';

/** A node as `aos kernel status` lists it. */
export type NodeRow = ClusterNodeView;

export interface NodeLoad {
  processes: number;
  in_flight: number;
  queued: number;
}

/** This node's epoch is no longer the live one: another node declared it dead. */
export class FencedError extends Error {
  readonly code = 'EFENCED';
}

export interface MembershipHooks {
  load(): NodeLoad;
  /** This node was fenced (its heartbeat found its epoch gone); it has joined again under a new one. */
  fenced(old: number, now: number): void;
  /** Nodes this node declared dead. */
  declaredDead(nodes: Array<{ name: string; epoch: number }>): void;
  /** A heartbeat failed (the database is unreachable): the node keeps trying. */
  unreachable(error: Error): void;
  /** After each heartbeat (the budgets read their blocks then: the poll behind NOTIFY). */
  beat(): void;
  /** The nodes, their states, epochs or process counts changed since the last read. */
  changed(): void;
}

/** lock_not_available: a fence waited its clusterFenceLockMs. */
const LOCK_TIMEOUT = '55P03';
/** deadlock_detected, lock_not_available, admin_shutdown (another node's fence ended this session). */
const GIVE_WAY = new Set(['40P01', LOCK_TIMEOUT, '57P01']);
/** The session's socket closed under a query (another node's fence ended it): node's own codes, not SQLSTATEs. */
const SOCKET_LOST = new Set(['EPIPE', 'ECONNRESET']);

export class Membership {
  epoch = 0;
  /** The nodes as of the last heartbeat (the stats are synchronous). */
  nodes: NodeRow[] = [];
  /** When the last heartbeat committed (this node's clock), and the last error since. */
  lastBeat = 0;
  lastError: Error | null = null;
  /** When its heartbeats came back after failing (this node's clock); 0 when they never failed. */
  private healthySince = 0;
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> | null = null;
  private nextBeat: Promise<void> | null = null;
  /** Who is in the cluster, in what state, as of the last read: a change is news for the stats' watchers. */
  private shape = '';

  constructor(
    private readonly db: Db,
    readonly name: string,
    private readonly hooks: MembershipHooks,
    /** This node's workspace, and whether the other nodes reach it at the same path (adoption). */
    private readonly workspace: { path: string; shared: boolean } = { path: '', shared: false },
    /** The lease this node was started with (AOS_CLUSTER_LEASE_S), if any: the cluster's own otherwise. */
    private readonly wantLeaseMs?: number,
  ) {}

  /** The cluster's lease (clusterLease, read at each join): a node whose heartbeat is this far behind is declared dead. */
  leaseMs: number = param.clusterLeaseMs;

  /** A heartbeat at least five times a lease (param.clusterHeartbeatMs at most). */
  get heartbeatMs(): number {
    return Math.min(param.clusterHeartbeatMs, Math.floor(this.leaseMs / 5));
  }

  /**
   * Join under a new epoch. A node of this name that is live elsewhere is refused; one that
   * stopped without leaving (a crash on this host, or a heartbeat a lease old) is taken over.
   */
  async join(): Promise<number> {
    const host = hostname();
    const here = hostId();
    const epoch = await inTx(this.db, async (tx) => {
      this.leaseMs = await clusterLease(tx, this.name, this.wantLeaseMs);
      const found = await tx.query<{ state: string; host: string; host_id: string; os_pid: number; age: number }>(
        `SELECT state, host, host_id, os_pid, ${NOW_MS} - heartbeat_ms AS age FROM aos_nodes WHERE name = $1 FOR UPDATE`,
        [this.name],
      );
      const old = found.rows[0];
      // Its process gone from this very machine and pid namespace (known ones only): taken over at once.
      const crashedHere = !here.includes('?') && old?.host_id === here && !isAlive(old.os_pid);
      if (old?.state === 'live' && old.age < this.leaseMs && !crashedHere) {
        throw new Error(
          `node "${this.name}" is live (pid ${old.os_pid} on ${visibleText(old.host)}, heartbeat ${old.age} ms ago): stop it, or give this kernel another name (aos kernel start --node NAME)`,
        );
      }
      const row = await tx.query<{ epoch: number }>(
        `INSERT INTO aos_nodes (name, epoch, state, host, host_id, os_pid, joined_ms, heartbeat_ms, workspace, shares_workspace)
         VALUES ($1, nextval('aos_epoch'), 'live', $2, $4, $3, ${NOW_MS}, ${NOW_MS}, $5, $6)
         ON CONFLICT (name) DO UPDATE SET epoch = EXCLUDED.epoch, state = 'live', host = EXCLUDED.host, host_id = EXCLUDED.host_id, os_pid = EXCLUDED.os_pid,
           joined_ms = EXCLUDED.joined_ms, heartbeat_ms = EXCLUDED.heartbeat_ms, processes = 0, in_flight = 0, queued = 0, fenced_ms = NULL, fenced_by = NULL,
           workspace = EXCLUDED.workspace, shares_workspace = EXCLUDED.shares_workspace, adopted = 0
         RETURNING epoch`,
        [this.name, host, process.pid, here, this.workspace.path, this.workspace.shared],
      );
      return row.rows[0]?.epoch ?? 0;
    });
    this.epoch = epoch;
    this.lastBeat = Date.now();
    await this.refresh();
    return epoch;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.beat(), this.heartbeatMs);
    this.timer.unref();
  }

  /**
   * A heartbeat that starts no earlier than this call (one at a time: while one runs, the next
   * waits for it, and callers meanwhile share that next one): write the load, fence the dead, read the nodes.
   */
  beat(): Promise<void> {
    if (this.beating) {
      this.nextBeat ??= this.beating.then(() => {
        this.nextBeat = null;
        return this.beat();
      });
      return this.nextBeat;
    }
    this.beating = this.beatOnce().finally(() => (this.beating = null));
    return this.beating;
  }

  private async beatOnce(): Promise<void> {
    try {
      const load = this.hooks.load();
      const mine = await this.db.query(
        `UPDATE aos_nodes SET heartbeat_ms = ${NOW_MS}, processes = $3, in_flight = $4, queued = $5 WHERE name = $1 AND epoch = $2 AND state = 'live'`,
        [this.name, this.epoch, load.processes, load.in_flight, load.queued],
      );
      if (mine.rowCount === 0) await this.rejoin();
      else if (this.lastError) this.healthySince = Date.now();
      // Back from an outage, this node's heartbeat is the only fresh one: it fences nobody until it
      // has beaten for a lease (the others may have been cut off by the same outage).
      const settled = Date.now() - this.healthySince >= this.leaseMs;
      // Fenced between its heartbeat and its fence: it joins again, and fences nobody this time.
      const dead = settled
        ? await this.fenceDead().catch((error: unknown) =>
            error instanceof FencedError ? this.rejoin().then(() => []) : Promise.reject(error as Error),
          )
        : [];
      if (dead.length > 0) this.hooks.declaredDead(dead);
      await this.refresh();
      this.lastBeat = Date.now();
      this.lastError = null;
      this.hooks.beat();
    } catch (error) {
      this.lastError = error as Error;
      this.hooks.unreachable(error as Error);
    }
  }

  /** This node's epoch was fenced: join again under a new one, and say so. */
  private async rejoin(): Promise<void> {
    const old = this.epoch;
    await this.join();
    this.hooks.fenced(old, this.epoch);
  }

  /**
   * Declare dead every live node whose heartbeat is a lease behind the freshest. The UPDATE waits
   * for their open commits (their share locks) at most clusterFenceLockMs; a node stopped inside a
   * transaction is then cut off (its sessions ended, its transaction rolled back) and fenced.
   */
  private async fenceDead(): Promise<Array<{ name: string; epoch: number }>> {
    // It changes `state`, a key column (schema.ts, aos_nodes_fence): it waits for every transaction
    // holding the row in key-share mode (each commit of that node's, `fenced` below, the store's guard).
    const sql = `UPDATE aos_nodes SET state = 'dead', fenced_ms = ${NOW_MS}, fenced_by = $1
      WHERE state = 'live' AND name <> $1
        AND heartbeat_ms < (SELECT max(heartbeat_ms) FROM aos_nodes WHERE state = 'live') - $2
      RETURNING name, epoch`;
    // A fence is a commit of this node's too: one declared dead first fences nobody.
    const attempt = (): Promise<Array<{ name: string; epoch: number }>> =>
      this.fenced(async (tx) => {
        await tx.query(`SET LOCAL lock_timeout = ${Math.round(param.clusterFenceLockMs)}`);
        const dead = (await tx.query<{ name: string; epoch: number }>(sql, [this.name, this.leaseMs])).rows;
        // Nodes gone (dead or left) longer than clusterForgetMs are forgotten, with what they reported.
        await tx.query(
          `WITH gone AS (DELETE FROM aos_nodes WHERE state <> 'live' AND heartbeat_ms < ${NOW_MS} - $1 RETURNING name)
           DELETE FROM aos_budget_demand WHERE node IN (SELECT name FROM gone)`,
          [param.clusterForgetMs],
        );
        // Claims on idempotency keys left by a spawn that never finished (key-claims.ts): void already, now gone.
        await tx.query(`DELETE FROM aos_key_claims WHERE claimed_ms < ${NOW_MS} - $1`, [param.clusterKeyClaimMs]);
        return dead;
      });
    // Two nodes fencing each other at once deadlock, wait each other out, or cut each other off:
    // the one that gives way fences nobody now and tries at its next heartbeat.
    const notNow = (error: unknown): [] => {
      const code = (error as { code?: unknown }).code;
      // The session itself lost (ended by the other's fence: no SQLSTATE) is giving way too.
      const lost =
        (typeof code !== 'string' && /connection|terminat|not queryable/i.test((error as Error).message ?? '')) ||
        (typeof code === 'string' && SOCKET_LOST.has(code));
      if (lost || (typeof code === 'string' && GIVE_WAY.has(code))) return [];
      throw error;
    };
    try {
      return await attempt();
    } catch (error) {
      if ((error as { code?: string }).code !== LOCK_TIMEOUT) return notNow(error);
      return this.cutOffStale().then(attempt).catch(notNow);
    }
  }

  /** End the sessions of the nodes a lease behind, whatever they hold. */
  private async cutOffStale(): Promise<void> {
    const stale = await this.db.query<{ name: string }>(
      `SELECT name FROM aos_nodes WHERE state = 'live' AND name <> $1
         AND heartbeat_ms < (SELECT max(heartbeat_ms) FROM aos_nodes WHERE state = 'live') - $2`,
      [this.name, this.leaseMs],
    );
    const names = stale.rows.map((r) => sessionName(r.name));
    if (names.length > 0) {
      await this.db.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ANY($1) AND pid <> pg_backend_pid()',
        [names],
      );
    }
  }

  /** Read the nodes (for the status). */
  async refresh(): Promise<NodeRow[]> {
    const rows = await this.db.query<NodeRow>(
      `SELECT name, epoch, state, host, os_pid, joined_ms, heartbeat_ms,
         GREATEST(0, (SELECT max(heartbeat_ms) FROM aos_nodes WHERE state = 'live') - heartbeat_ms) AS behind_ms,
         processes, in_flight, queued, fenced_ms, fenced_by, workspace, shares_workspace, adopted
       FROM aos_nodes ORDER BY name`,
    );
    const shape = rows.rows.map((n) => `${n.name}/${n.state}/${n.epoch}/${n.processes}`).join(',');
    this.nodes = rows.rows;
    if (shape !== this.shape) {
      this.shape = shape;
      this.hooks.changed();
    }
    return this.nodes;
  }

  /**
   * One transaction that commits only while this node holds its epoch: the row is held in key-share
   * mode first, so a fence (any UPDATE of its epoch or state: key columns, schema.ts) waits for it,
   * and once fenced it throws FencedError and commits nothing. Key-share, not share: the
   * heartbeat's UPDATE of the row's other columns does not wait for it (a long transaction, a
   * tree's move, must not hold off this node's heartbeat).
   */
  async fenced<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const epoch = this.epoch;
    return inTx(this.db, async (tx) => {
      const held = await tx.query(
        "SELECT 1 FROM aos_nodes WHERE name = $1 AND epoch = $2 AND state = 'live' FOR KEY SHARE",
        [this.name, epoch],
      );
      if (held.rowCount === 0)
        throw new FencedError(`node "${this.name}" epoch ${epoch} was fenced: another node declared it dead`);
      return fn(tx);
    });
  }

  /** No more heartbeats. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Leave the cluster (a clean stop): the row stays, `left`, and is not fenced by others. */
  async leave(): Promise<void> {
    this.stop();
    await (this.nextBeat ?? this.beating)?.catch(() => undefined);
    await this.db
      .query("UPDATE aos_nodes SET state = 'left' WHERE name = $1 AND epoch = $2 AND state = 'live'", [
        this.name,
        this.epoch,
      ])
      .catch(() => undefined);
  }
}
