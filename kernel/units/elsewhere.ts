/**
 * A node of a cluster starting again after it was declared dead: runs of its units that another
 * node adopted meanwhile go on there (kernel/cluster, adoption). They count as live — the overlap
 * policy holds: no second run of a `skip` unit — until they end there, which is looked at every
 * clusterRequestPollMs × 20; their end is then this node's unit's (restart policy, queue, `on: {exit}`).
 */
import { param } from '../../sys/param.js';
import type { UnitsHost } from './runs.js';

type Ended = (pid: number, state: 'exited' | 'killed', code: number | null) => void;

export class RunsElsewhere {
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly host: Pick<UnitsHost, 'elsewhere' | 'statesElsewhere'>,
    private readonly ended: Ended,
  ) {}

  /** Of these runs (not live here), the ones live on another node: kept counted live until they end. */
  async find(pids: readonly number[]): Promise<Set<number>> {
    const { elsewhere, statesElsewhere } = this.host;
    if (!elsewhere || !statesElsewhere || pids.length === 0) return new Set();
    const found = await statesElsewhere(pids).catch(() => new Map<number, { state: string; code: number | null }>());
    for (const [pid, s] of found) if (s.state !== 'exited' && s.state !== 'killed') elsewhere.add(pid);
    if (elsewhere.size > 0) this.watch();
    return new Set(elsewhere);
  }

  close(): void {
    this.closed = true;
    this.stop();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private watch(): void {
    const { elsewhere, statesElsewhere } = this.host;
    if (!elsewhere || !statesElsewhere || this.timer) return;
    const look = async (): Promise<void> => {
      const found = await statesElsewhere([...elsewhere]).catch(() => null);
      if (this.closed || !found) return;
      for (const pid of [...elsewhere]) {
        const s = found.get(pid);
        if (s !== undefined && s.state !== 'exited' && s.state !== 'killed') continue;
        elsewhere.delete(pid);
        // Gone from every other node (removed, or moved here: its own events say how it ends) or ended there.
        if (s !== undefined) this.ended(pid, s.state as 'exited' | 'killed', s.code);
      }
    };
    this.timer = setInterval(() => {
      if (elsewhere.size === 0) return this.stop();
      void look();
    }, param.clusterRequestPollMs * 20);
    this.timer.unref();
  }
}
