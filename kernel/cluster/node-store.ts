/**
 * A node's store in the cluster's database (cluster.ts's storeOptions): its own schema, and every
 * transaction fenced — it first holds the node's row in key-share mode at the epoch the node has
 * now, so it commits only while the node is live, and a fence (an UPDATE of its state: a key
 * column) waits for it.
 */
import { visibleText } from '../../protocol/visible-text.js';
import type { PostgresStoreOptions } from '../store/api.js';
import { openSession, sessionName } from './db.js';
import { nodeSchema } from './remote.js';

export function nodeStoreOptions(url: string, node: string, epoch: number, file: string): PostgresStoreOptions {
  return {
    url,
    schema: nodeSchema(node),
    applicationName: sessionName(node),
    file,
    session: () => openSession(url, node, `"${nodeSchema(node).replaceAll('"', '""')}", public`),
    guard: {
      // Key-share: a fence (an UPDATE of epoch or state, key columns: schema.ts) waits for the commit in flight; this node's heartbeat (other columns) does not.
      sql: "SELECT 1 FROM public.aos_nodes WHERE name = $1 AND epoch = $2 AND state = 'live' FOR KEY SHARE",
      params: [node, epoch],
      mustTouch: {
        code: 'EFENCED',
        message: `node "${visibleText(node)}" epoch ${epoch} is no longer live (another node declared it dead, or it left the cluster), so this kernel commits nothing more (restart it to recover its processes)`,
      },
    },
  };
}
