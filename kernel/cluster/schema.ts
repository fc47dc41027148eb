/**
 * The cluster's tables in PostgreSQL. Times are the server's clock in milliseconds (db.ts NOW_MS):
 * nodes' clocks are never compared.
 *
 * - aos_nodes: one row per node name; `epoch` is its fencing token, a new one from aos_epoch at
 *   every join. A node is `live`, `dead` (fenced by another: it commits nothing more under that
 *   epoch) or `left` (stopped cleanly).
 * - aos_budgets: a provider's (or model's) requests- or tokens-per-minute budget shared by every
 *   node: the unallotted level, refilled by time at each grant; `blocked_until` is a 429's
 *   Retry-After, for every node.
 * - aos_budget_demand: how many processes each node has waiting on a budget (fair shares).
 * - aos_key_claims: a new idempotency key one node is starting the work of (key-claims.ts).
 */
export const CLUSTER_SCHEMA_VERSION = 3;

export const CLUSTER_SCHEMA = `
CREATE TABLE IF NOT EXISTS aos_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE SEQUENCE IF NOT EXISTS aos_epoch;
CREATE TABLE IF NOT EXISTS aos_nodes (
  name text PRIMARY KEY,
  epoch bigint NOT NULL,
  state text NOT NULL CHECK (state IN ('live', 'dead', 'left')),
  host text NOT NULL,
  host_id text NOT NULL DEFAULT '',
  os_pid integer NOT NULL,
  joined_ms bigint NOT NULL,
  heartbeat_ms bigint NOT NULL,
  processes integer NOT NULL DEFAULT 0,
  in_flight integer NOT NULL DEFAULT 0,
  queued integer NOT NULL DEFAULT 0,
  fenced_ms bigint,
  fenced_by text
);
-- Version 2: where each node's workspace is, whether the nodes share it (adoption), what it adopted.
ALTER TABLE aos_nodes ADD COLUMN IF NOT EXISTS workspace text NOT NULL DEFAULT '';
ALTER TABLE aos_nodes ADD COLUMN IF NOT EXISTS shares_workspace boolean NOT NULL DEFAULT false;
ALTER TABLE aos_nodes ADD COLUMN IF NOT EXISTS adopted integer NOT NULL DEFAULT 0;
-- Version 3: epoch and state are key columns (a unique index a foreign key could use): an UPDATE of either takes
-- the row FOR UPDATE and waits for every commit holding it in key-share mode (each commit's fence
-- check), while the heartbeat's UPDATE of the other columns waits for none of them.
CREATE UNIQUE INDEX IF NOT EXISTS aos_nodes_fence ON aos_nodes (name, epoch, state);
-- Requests of one node to another (requests.ts): answered_ms NULL open, -1 claimed, else answered.
CREATE TABLE IF NOT EXISTS aos_requests (
  id bigserial PRIMARY KEY,
  node text NOT NULL,
  from_node text NOT NULL,
  method text NOT NULL,
  params text NOT NULL,
  created_ms bigint NOT NULL,
  answered_ms bigint,
  answer text,
  error text
);
CREATE INDEX IF NOT EXISTS aos_requests_open ON aos_requests (node, id) WHERE answered_ms IS NULL;
-- Version 3: a new idempotency key claimed by the node starting its work (key-claims.ts); gone once committed there.
CREATE TABLE IF NOT EXISTS aos_key_claims (
  scope text NOT NULL,
  key text NOT NULL,
  node text NOT NULL,
  epoch bigint NOT NULL,
  claimed_ms bigint NOT NULL,
  PRIMARY KEY (scope, key)
);
CREATE TABLE IF NOT EXISTS aos_budgets (
  lane text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('rpm', 'tpm')),
  per_minute double precision NOT NULL,
  capacity double precision NOT NULL,
  level double precision NOT NULL CHECK (level > '-Infinity' AND level < 'Infinity'),
  updated_ms bigint NOT NULL,
  blocked_until_ms bigint NOT NULL DEFAULT 0,
  granted double precision NOT NULL DEFAULT 0 CHECK (granted >= 0 AND granted < 'Infinity'),
  PRIMARY KEY (lane, kind)
);
CREATE TABLE IF NOT EXISTS aos_budget_demand (
  lane text NOT NULL,
  kind text NOT NULL,
  node text NOT NULL,
  demand integer NOT NULL,
  at_ms bigint NOT NULL,
  PRIMARY KEY (lane, kind, node)
);
`;
