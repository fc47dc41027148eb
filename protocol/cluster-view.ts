/** A kernel's cluster as `aos kernel status` shows it (kernel/cluster/cluster.ts makes it; issue 36). */

/** A node of the cluster. */
export interface ClusterNodeView {
  name: string;
  /** Its fencing token: a new one at every join; a node declared dead commits nothing under its old one. */
  epoch: number;
  state: 'live' | 'dead' | 'left';
  host: string;
  os_pid: number;
  joined_ms: number;
  /** Its last heartbeat (the database's clock, ms since the epoch), and how far it is behind the freshest. */
  heartbeat_ms: number;
  behind_ms: number;
  processes: number;
  in_flight: number;
  queued: number;
  fenced_ms: number | null;
  fenced_by: string | null;
}

/** A budget the nodes share: what this node holds of it, and what the cluster has left to hand out. */
export interface SharedBudgetView {
  lane: string;
  kind: string;
  per_minute: number;
  allowance: number;
  cluster_level: number | null;
  blocked: boolean;
}

export interface ClusterView {
  node: string;
  epoch: number;
  /** The database URL, its password left out. */
  database: string;
  /** Where this node's processes are kept: its own SQLite store (a PostgreSQL store is not built yet). */
  store: 'sqlite';
  /** What the nodes share through the database. */
  shares: string[];
  /** Milliseconds since this node's last heartbeat committed, and why the last one failed. */
  heartbeat_age_ms: number;
  error: string | null;
  nodes: ClusterNodeView[];
  budgets: SharedBudgetView[];
  /** Grants this node took from the shared budgets. */
  grants: number;
}
