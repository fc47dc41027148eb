/**
 * A kernel's cluster as `aos kernel status` shows it (kernel/cluster/cluster.ts makes it; issue 36):
 * the published schema (`aos schema`, kernel-status) and the types are one.
 */
import { z } from 'zod';

/** A node of the cluster. */
export const clusterNode = z.object({
  name: z.string(),
  epoch: z
    .number()
    .int()
    .describe('its fencing token: a new one at every join; a node declared dead commits nothing under its old one'),
  state: z.enum(['live', 'dead', 'left']),
  host: z.string(),
  os_pid: z.number().int(),
  joined_ms: z.number(),
  heartbeat_ms: z.number().describe("its last heartbeat (the database's clock, ms since the epoch)"),
  behind_ms: z.number().describe('how far that heartbeat is behind the freshest'),
  processes: z.number().int(),
  in_flight: z.number().int(),
  queued: z.number().int(),
  fenced_ms: z.number().nullable(),
  fenced_by: z.string().nullable(),
  workspace: z.string().describe("the node's workspace path"),
  shares_workspace: z
    .boolean()
    .describe(
      'the workspace is shared with the other nodes at that path (AOS_SHARE_WORKSPACE=1): its trees can be adopted by a node sharing it; else they are pinned to it',
    ),
  adopted: z.number().int().describe('processes of dead nodes this node has adopted since it joined'),
});

/** A budget the nodes share: what this node holds of it, and what the cluster has left to hand out. */
export const sharedBudget = z.object({
  lane: z.string(),
  kind: z.string(),
  per_minute: z.number(),
  allowance: z.number(),
  cluster_level: z.number().nullable(),
  blocked: z.boolean(),
});

export const clusterStatus = z.object({
  node: z.string(),
  epoch: z.number().int(),
  database: z.string().describe('the database URL, its password left out'),
  store: z
    .literal('postgres')
    .describe("where this node's processes are kept: the cluster's database, in a schema of the node's own"),
  schema: z.string().describe("the PostgreSQL schema of this node's store"),
  shares: z.array(z.string()).describe('what the nodes share through the database'),
  heartbeat_age_ms: z.number().describe("since this node's last heartbeat committed"),
  heartbeat_ms: z.number().int().describe('how often this node writes its heartbeat'),
  lease_ms: z
    .number()
    .int()
    .describe("the cluster's lease: a node whose heartbeat is this far behind the freshest is declared dead"),
  error: z.string().nullable().describe('why the last heartbeat failed'),
  nodes: z.array(clusterNode),
  budgets: z.array(sharedBudget),
  grants: z.number().int().describe('grants this node took from the shared budgets'),
});

export type ClusterNodeView = z.infer<typeof clusterNode>;
export type SharedBudgetView = z.infer<typeof sharedBudget>;
export type ClusterView = z.infer<typeof clusterStatus>;
