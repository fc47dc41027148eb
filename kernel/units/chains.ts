/**
 * Chains of runs. A run started by what another run did — its end (`on: {exit}`), an approval it
 * left to expire, a budget it crossed, a file it wrote that another unit watches, SPAWN_AGENT
 * {"unit"} — continues that run's chain; a run started by anything else (a schedule, a webhook, a
 * channel's message, a person, a change no run made) begins one. The loops the trigger graph cannot
 * see before they run (trigger-graph.ts: writes where grants say nothing, budgets of the whole
 * kernel) are bounded here: a run that would make a chain longer than param.unitChainMaxRuns is not
 * started, its firing recorded as skipped with the chain, and the kernel's log says so once a chain.
 * Chains are the kernel's memory, not the store's: a restart begins them again.
 */
import { BoundedMap } from '../../sys/bounded-map.js';
import { param } from '../../sys/param.js';

export interface ChainLink {
  unit: string;
  pid: number;
}

/** The runs, oldest first, each started by what the one before did. */
export type Chain = readonly ChainLink[];

/** How many runs' chains are kept: a chain whose run was forgotten begins again (a longer loop, still bounded by the caps a minute). */
const KEPT = 10_000;

export function formatChain(chain: Chain): string {
  return chain.map((l) => `${l.unit} (pid ${l.pid})`).join(' -> ');
}

export class TriggerChains {
  private readonly runs = new BoundedMap<number, Chain>(KEPT);
  private readonly newest = new BoundedMap<string, Chain>(param.maxUnits * 2);
  /** Chains (by their first run) the log has already told of. */
  private readonly told = new BoundedMap<number, true>(1_024);

  constructor(private readonly parentOf: (pid: number) => number | null) {}

  /** The chain of the run `pid` is, or is in the tree of (its nearest ancestor that is a run); empty when none is. */
  of(pid: number): Chain {
    let at: number | null = pid;
    for (let step = 0; at !== null && at > 0 && step <= param.maxTreeDepth + 1; step++) {
      const chain = this.runs.get(at);
      if (chain) return chain;
      at = this.parentOf(at);
    }
    return [];
  }

  /** The chain of a unit's newest run (a budget counted by unit or name: which of its runs crossed it is not said). */
  newestOf(unit: string): Chain {
    return this.newest.get(unit) ?? [];
  }

  /** A budget event's key (`tree:7`, `unit:digest`, `process:digest`, `kernel`): the chain of the runs that spent it. */
  ofBudgetKey(key: string): Chain {
    const tree = /^tree:(\d+)$/.exec(key);
    if (tree) return this.of(Number(tree[1]));
    const named = /^(?:unit|process):(.+)$/.exec(key);
    return named ? this.newestOf(named[1] as string) : [];
  }

  /** A run of `unit` started after `before`: kept as its chain. */
  keep(pid: number, unit: string, before: Chain): void {
    const chain = [...before, { unit, pid }];
    this.runs.set(pid, chain);
    this.newest.set(unit, chain);
  }

  /** Why a run of `unit` after `before` is not started (null: it is), and whether the log is yet to hear of this chain. */
  refusal(unit: string, before: Chain): { reason: string; tell: boolean } | null {
    if (before.length < param.unitChainMaxRuns) return null;
    const first = (before[0] as ChainLink).pid;
    const tell = this.told.get(first) === undefined;
    this.told.set(first, true);
    const reason = `a chain of ${before.length} runs, each started by what the one before did, reached its limit (param.unitChainMaxRuns ${param.unitChainMaxRuns}): ${formatChain(before)} -> ${unit}; a loop between units?`;
    return { reason, tell };
  }
}
