/**
 * Idempotency keys claimed across the cluster. A key is kept in the store of the node that started
 * its process (kernel/proc/idempotency.ts), so two nodes asked one new key at the same instant could
 * each find it nowhere and each start it. Before a node starts the work of a key no node holds, it
 * claims the key here: one row per key, the claimant's name and epoch. Whoever holds the claim
 * starts the work; the others wait for its key to reach its store and answer from there
 * (daemon/methods/cluster-methods.ts). The claim goes once the key is committed.
 *
 * A claim is void when its node is no longer live at that epoch (it died or was fenced mid-spawn:
 * its spawn never committed) or when it is older than `clusterKeyClaimMs` (a spawn commits in
 * milliseconds; a claim that old was lost with a connection), so a key is never held up for good.
 */
import { param } from '../../sys/param.js';
import { type Db, NOW_MS } from './db.js';

export class KeyClaims {
  constructor(
    private readonly db: Db,
    private readonly node: string,
    private readonly epoch: () => number,
  ) {}

  /** True when the key is this node's to start: it was free, void, or already claimed here. */
  async claim(scope: string, key: string): Promise<boolean> {
    const won = await this.db.query<{ node: string }>(
      `INSERT INTO aos_key_claims AS c (scope, key, node, epoch, claimed_ms) VALUES ($1, $2, $3, $4, ${NOW_MS})
       ON CONFLICT (scope, key) DO UPDATE SET node = EXCLUDED.node, epoch = EXCLUDED.epoch, claimed_ms = EXCLUDED.claimed_ms
       WHERE (c.node = EXCLUDED.node AND c.epoch = EXCLUDED.epoch)
          OR c.claimed_ms < ${NOW_MS} - $5
          OR NOT EXISTS (SELECT 1 FROM aos_nodes n WHERE n.name = c.node AND n.epoch = c.epoch AND n.state = 'live')
       RETURNING node`,
      [scope, key, this.node, this.epoch(), param.clusterKeyClaimMs],
    );
    return won.rows.length === 1;
  }

  /** Who holds the key's claim, if anyone does (void claims included: the caller claims again). */
  async claimant(scope: string, key: string): Promise<string | null> {
    const row = await this.db.query<{ node: string }>('SELECT node FROM aos_key_claims WHERE scope = $1 AND key = $2', [
      scope,
      key,
    ]);
    return row.rows[0]?.node ?? null;
  }

  /** Give the claim back: the key is in this node's store now, or its spawn failed and it is free. */
  async release(scope: string, key: string): Promise<void> {
    await this.db.query('DELETE FROM aos_key_claims WHERE scope = $1 AND key = $2 AND node = $3 AND epoch = $4', [
      scope,
      key,
      this.node,
      this.epoch(),
    ]);
  }
}
