/**
 * The limits of a cluster of kernels on one PostgreSQL (issue 36), spread into `param` (param.ts):
 * still one object for every limit. Numbers only, no imports.
 */
export const clusterParam = {
  /** A node writes its heartbeat this often. */
  clusterHeartbeatMs: 1_000,
  /**
   * A node whose heartbeat is this far behind the freshest live one is declared dead and fenced: the
   * cluster's lease when the first node set none (AOS_CLUSTER_LEASE_S sets another, one for every
   * node: kernel/cluster/membership.ts clusterLease). Heartbeats come at least five times a lease.
   */
  clusterLeaseMs: 5_000,
  /** The shortest and the longest lease AOS_CLUSTER_LEASE_S may ask for. */
  clusterLeaseMinMs: 2_000,
  clusterLeaseMaxMs: 600_000,
  /**
   * A node's transaction left open this long (the node stopped or lost mid-commit) is aborted by
   * the server (idle_in_transaction_session_timeout), so it cannot hold off the fence.
   */
  clusterIdleTxMs: 2_000,
  /** How long a fence waits for a node's row lock before it aborts that node's sessions. */
  clusterFenceLockMs: 1_000,
  /** Connections a node keeps to the database (heartbeats, grants, the status). */
  clusterPoolSize: 4,
  /** A statement of the cluster's taking longer than this fails (the node retries). */
  clusterStatementTimeoutMs: 5_000,
  /**
   * The PostgreSQL store: a statement (or a commit) not answered in this long fails and is retried
   * (the store keeps its writes). The kernel's thread waits for each answer, so this bounds the
   * stall a database that hangs can cause.
   */
  pgStoreTimeoutMs: 3_000,
  /**
   * A tree's move from a dead node (kernel/store/pg/moves.ts) runs on a connection of its own; a
   * statement of it may take this long (a tree of 100,000 events moved in ~1.5 s here).
   */
  clusterMoveTimeoutMs: 120_000,
  /** A request to another node (kill, send, stop, an approval's answer) and its answer are looked for at least this often behind NOTIFY. */
  clusterRequestPollMs: 250,
  /** A request another node has not answered in this long is withdrawn and fails (ETIMEDOUT). */
  clusterRequestTimeoutMs: 15_000,
  /** A node waiting for a shared budget asks the database again at least this often. */
  clusterGrantPollMs: 250,
  /** ... and at most this often, however close the bucket is to refilling. */
  clusterGrantMinMs: 20,
  /** Demand a node reported longer ago than this no longer counts in a budget's fair shares. */
  clusterDemandFreshMs: 3_000,
  /** A cluster warning of one kind (the database down, a grant refused) goes to the log at most this often. */
  clusterWarnEveryMs: 60_000,
  /**
   * A node's claim on a new idempotency key (kernel/cluster/key-claims.ts) is void after this long:
   * a keyed spawn commits in milliseconds, so a claim this old was lost (its answer with its
   * connection). Another node asked the key waits for the claimant's answer at most this long.
   */
  clusterKeyClaimMs: 60_000,
  /** A node waiting on another's claim of a key looks for the key in that node's store this often. */
  clusterKeyWaitPollMs: 100,
  /** A node dead or gone this long is forgotten: `aos kernel status` lists it no more. */
  clusterForgetMs: 24 * 3_600_000,
  /** A 429's Retry-After blocks a budget for every node at most this long (a wild header must not stop the cluster for days). */
  clusterMaxBlockMs: 3_600_000,
  /** A provider's refusal cuts the other nodes' adaptive limits at most once per this long. */
  clusterOverloadCoalesceMs: 1_000,
  /** Allowance a node has held unused this long goes back to the cluster's budget. */
  clusterIdleReturnMs: 2_000,
};
