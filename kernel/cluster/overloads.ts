/**
 * A provider's refusal shared by the nodes (`NOTIFY aos_overload`): when a 429 or a 503/529 cuts
 * one node's adaptive limit, the others cut theirs (a wake-up hint, not a commit). At most one
 * told per provider per clusterOverloadCoalesceMs, and one heard: a burst of refusals is one cut.
 */
import { param } from '../../sys/param.js';
import type { Db } from './db.js';

/** The channel; its payload is {"node", "lane"}. */
export const OVERLOAD = 'aos_overload';

export class OverloadSignals {
  private readonly told = new Map<string, number>();
  private readonly heardAt = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly node: string,
    private readonly hooks: { overloaded(provider: string): void; warn(message: string): void },
  ) {}

  /** This node's limit for `provider` was cut by a refusal: tell the others. */
  tell(provider: string): void {
    const now = Date.now();
    if (now - (this.told.get(provider) ?? 0) < param.clusterOverloadCoalesceMs) return;
    this.told.set(provider, now);
    const payload = JSON.stringify({ node: this.node, lane: provider });
    void this.db
      .query('SELECT pg_notify($1, $2)', [OVERLOAD, payload])
      .catch((error: Error) => this.hooks.warn(`cluster: a refusal by ${provider} was not shared (${error.message})`));
  }

  /** Another node's refusal: applied once per provider per clusterOverloadCoalesceMs, never this node's own. */
  heard(payload: string): void {
    let said: { node?: unknown; lane?: unknown };
    try {
      said = JSON.parse(payload) as typeof said;
    } catch {
      return;
    }
    if (typeof said.lane !== 'string' || said.node === this.node) return;
    const now = Date.now();
    if (now - (this.heardAt.get(said.lane) ?? 0) < param.clusterOverloadCoalesceMs) return;
    this.heardAt.set(said.lane, now);
    this.hooks.overloaded(said.lane);
  }
}
