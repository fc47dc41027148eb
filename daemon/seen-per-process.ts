/**
 * What a node's feed of other nodes' events (cluster-streams.ts) has pushed, per process. A
 * tree adopted from a dead node arrives in its adopter's store with its history renumbered; the
 * feed reads it there as new rows. Knowing, per process, the place in its history of the last event
 * pushed (its n-th event) and which node's store its events came from tells which of those rows were
 * pushed already (from the dead node's store) and which not (committed there just before it died,
 * never read): the first are left out, the rest pushed, in order.
 */
/** Processes remembered at most: the oldest are forgotten past it (a tree of theirs moved later shows its history again). */
const MAX_PROCESSES = 100_000;

interface Seen {
  /** The node whose store its events come from now. */
  node: string;
  /** The place in its history (0: its spawn) of the row read last, and of the last one pushed. */
  at: number;
  pushed: number;
}

export class SeenPerProcess {
  private readonly processes = new Map<number, Seen>();

  /**
   * Whether this row of `node`'s store is news: false for an event pushed already from another
   * node's store. `ordinal` counts the process's events before `id` in `node`'s store: asked when a
   * process's events first come from a node, unless the row is its spawn (the first of its history).
   */
  async fresh(
    node: string,
    row: { id: number; pid: number; json: string },
    ordinal: (pid: number, id: number) => Promise<number>,
  ): Promise<boolean> {
    const seen = this.processes.get(row.pid);
    if (seen && seen.node === node) {
      seen.at += 1;
    } else {
      const at = !seen && isSpawn(row.json) ? 0 : await ordinal(row.pid, row.id);
      if (!seen) {
        this.processes.set(row.pid, { node, at, pushed: at });
        if (this.processes.size > MAX_PROCESSES) this.forgetOldest();
        return true;
      }
      seen.node = node;
      seen.at = at;
    }
    if (seen.at <= seen.pushed) return false;
    seen.pushed = seen.at;
    return true;
  }

  private forgetOldest(): void {
    for (const pid of this.processes.keys()) {
      if (this.processes.size <= MAX_PROCESSES * 0.9) return;
      this.processes.delete(pid);
    }
  }
}

/** A process's first event: its state from nothing (spawned). */
function isSpawn(json: string): boolean {
  if (!json.includes('"from":null')) return false;
  try {
    const event = JSON.parse(json) as { type?: string; from?: unknown };
    return event.type === 'state' && event.from === null;
  } catch {
    return false;
  }
}
