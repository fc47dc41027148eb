/** The cluster part of `aos kernel status` (issue 36): this node, every node, the shared budgets. */
import type { ClusterView } from '../protocol/cluster-view.js';
import { visibleText } from '../protocol/visible-text.js';

/** A value from the database in one cell or row: every control (a newline too) and invisible character escaped. */
const printable = (text: string): string => visibleText(text);

function ago(ms: number): string {
  return ms < 1_000 ? `${Math.max(0, Math.round(ms))} ms` : `${(ms / 1_000).toFixed(1)} s`;
}

/** Where this node's trees run, and where they go when it dies: with the nodes sharing its workspace, or pinned to it. */
function placement(c: ClusterView): string {
  const self = c.nodes.find((n) => n.name === c.node);
  if (!self?.shares_workspace) {
    return "pinned: a tree runs on the node that started it, in that node's workspace (not shared: AOS_SHARE_WORKSPACE is not set); a dead node's are orphaned until it starts again";
  }
  const sharing = c.nodes
    .filter((n) => n.state === 'live' && n.shares_workspace && n.workspace === self.workspace)
    .map((n) => printable(n.name));
  return `shared workspace ${printable(self.workspace)} with ${sharing.join(', ')}: new trees go to the least loaded of them, a dead node's are adopted by one (this node adopted ${self.adopted})`;
}

/** Rows for the status's two-column table; the node table follows as lines of its own. */
export function clusterRows(c: ClusterView): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ['cluster', `node ${printable(c.node)}, epoch ${c.epoch}, on ${printable(c.database)}`],
    ['shares', c.shares.join(', ')],
    ['store', `${c.store}, schema ${printable(c.schema)}: every commit fenced by this node's epoch`],
    ['placement', placement(c)],
    [
      'heartbeat',
      `${
        c.error
          ? `last committed ${ago(c.heartbeat_age_ms)} ago; failing: ${printable(c.error)}`
          : `${ago(c.heartbeat_age_ms)} ago`
      } (every ${ago(c.heartbeat_ms)}; a node a lease, ${ago(c.lease_ms)}, behind is declared dead)`,
    ],
  ];
  for (const b of c.budgets) {
    const left = b.cluster_level === null ? '' : `, ${b.cluster_level} left to hand out`;
    rows.push([
      'budget',
      `${printable(b.lane)} ${b.kind} ${b.per_minute}/min: this node holds ${b.allowance}${left}${b.blocked ? ', blocked (429)' : ''}`,
    ]);
  }
  return rows;
}

/** The nodes as a table: name, state, epoch, heartbeat behind the freshest, load, host. */
export function nodeTable(c: ClusterView): string {
  const head = ['NODE', 'STATE', 'EPOCH', 'BEHIND', 'PROCS', 'IN-FLIGHT', 'QUEUED', 'HOST'];
  const rows = c.nodes.map((n) => [
    printable(n.name) + (n.name === c.node ? ' *' : ''),
    n.state === 'dead' && n.fenced_by ? `dead (fenced by ${printable(n.fenced_by)})` : n.state,
    String(n.epoch),
    ago(n.behind_ms),
    n.processes > 0 && n.state !== 'live'
      ? `${n.processes} ${n.state === 'dead' ? 'orphaned' : 'kept'}`
      : String(n.processes),
    String(n.in_flight),
    String(n.queued),
    `${printable(n.host)}:${n.os_pid}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [head, ...rows]
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
