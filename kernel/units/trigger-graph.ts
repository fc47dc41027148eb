/**
 * Loops between units, found before they run (`aos unit add`, `aos unit install`, `aos up`): the
 * runs a set of units can lead to, as states linked by what starts what (trigger-links.ts); a loop
 * is a cycle of states through a unit just added or changed, named by the shortest such cycle.
 * What this cannot see — or a set too large to follow to its end — is bounded as the runs happen
 * (chains.ts).
 */
import { AosError } from '../../sys/errno.js';
import type { CapabilitySet } from '../../sys/capabilities.js';
import type { PolicyRule } from '../safety/policy-rules.js';
import { type Link, LinkIndex, type LoopPolicy, type State } from './trigger-links.js';
import type { Unit } from './spec.js';

export type { LoopPolicy } from './trigger-links.js';

/** The graph's view of a policy: its root's grants, its budgets, its `ask` rules. */
export function loopPolicyOf(
  rootCaps: CapabilitySet,
  budgets: LoopPolicy['budgets'],
  rules: readonly PolicyRule[],
): LoopPolicy {
  return {
    rootCaps,
    budgets,
    asks: rules.filter((r) => r.verdict === 'ask').map((r) => ({ kind: r.kind, pattern: r.pattern, text: r.text })),
  };
}

export interface TriggerLoop {
  /** The units around it, the first again at the end: `ping -> pong -> ping`. */
  units: string[];
  /** Why each link holds, in order. */
  links: string[];
}

/** How far the check follows a set (on the kernel's thread): 256 units with spawn grants among many of them stay within it. */
const MAX_STATES = 1_024;
const MAX_LINKS = 10_000;

type Graph = Map<string, { state: State; links: Link[] }>;

/** Every state a run of these units can lead to, with its links, as far as the bounds go. */
function explore(index: LinkIndex, units: readonly Unit[]): Graph {
  const graph: Graph = new Map();
  const stack = units.map((u) => index.rootOf(u)).reverse();
  let links = 0;
  while (stack.length > 0 && graph.size < MAX_STATES && links < MAX_LINKS) {
    const state = stack.pop() as State;
    if (graph.has(state.key)) continue;
    const out = index.links(state);
    links += out.length;
    graph.set(state.key, { state, links: out });
    for (let i = out.length - 1; i >= 0; i--) if (!graph.has((out[i] as Link).to.key)) stack.push((out[i] as Link).to);
  }
  return graph;
}

/** Tarjan's strongly connected components, without recursion: each node's component, and the components on a cycle. */
function components(adjacency: ReadonlyMap<string, readonly string[]>): {
  of: Map<string, number>;
  cyclic: Set<number>;
} {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const of = new Map<string, number>();
  const cyclic = new Set<number>();
  let next = 0;
  const enter = (key: string): void => {
    index.set(key, next);
    low.set(key, next++);
    stack.push(key);
    onStack.add(key);
  };
  for (const start of adjacency.keys()) {
    if (index.has(start)) continue;
    const work: Array<{ key: string; i: number }> = [{ key: start, i: 0 }];
    enter(start);
    while (work.length > 0) {
      const top = work[work.length - 1] as { key: string; i: number };
      const out = adjacency.get(top.key) ?? [];
      if (top.i < out.length) {
        const to = out[top.i++] as string;
        if (!adjacency.has(to)) continue;
        if (!index.has(to)) {
          enter(to);
          work.push({ key: to, i: 0 });
        } else if (onStack.has(to)) low.set(top.key, Math.min(low.get(top.key) as number, index.get(to) as number));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.key, Math.min(low.get(parent.key) as number, low.get(top.key) as number));
      if (low.get(top.key) !== index.get(top.key)) continue;
      const id = index.get(top.key) as number;
      const members: string[] = [];
      for (;;) {
        const key = stack.pop() as string;
        onStack.delete(key);
        of.set(key, id);
        members.push(key);
        if (key === top.key) break;
      }
      if (members.length > 1 || out.includes(top.key)) cyclic.add(id);
    }
  }
  return { of, cyclic };
}

/** The shortest way from `start` back to it within its component, as links; null when there is none. */
function cycleThrough(start: string, graph: Graph, of: Map<string, number>): Link[] | null {
  const own = of.get(start);
  const came = new Map<string, { from: string; link: Link }>();
  let frontier = [start];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const key of frontier) {
      for (const link of graph.get(key)?.links ?? []) {
        const to = link.to.key;
        if (to === start) {
          const path = [link];
          for (let at = key; at !== start; at = (came.get(at) as { from: string }).from)
            path.unshift((came.get(at) as { link: Link }).link);
          return path;
        }
        if (came.has(to) || of.get(to) !== own) continue;
        came.set(to, { from: key, link });
        next.push(to);
      }
    }
    frontier = next;
  }
  return null;
}

/**
 * The units on a cycle through one of `through` in the coarse graph (trigger-links.ts: more links
 * than runs have): a unit on none is on no loop, and the states of the rest are all there is to follow.
 */
function suspects(units: readonly Unit[], policy: LoopPolicy, through: ReadonlySet<string>): Unit[] {
  const index = new LinkIndex(units, policy);
  const adjacency = new Map(
    units.map((u) => [u.spec.name, index.links(index.rootOf(u), true).map((l) => l.to.unit.spec.name)]),
  );
  const { of, cyclic } = components(adjacency);
  const wanted = new Set(
    [...through].map((name) => of.get(name)).filter((id): id is number => id !== undefined && cyclic.has(id)),
  );
  return units.filter((u) => wanted.has(of.get(u.spec.name) as number));
}

/** A loop through one of `through` (the units added or changed), the shortest found; null when none. */
export function findTriggerLoop(
  units: readonly Unit[],
  policy: LoopPolicy,
  through: ReadonlySet<string>,
): TriggerLoop | null {
  const members = suspects(units, policy, through);
  if (members.length === 0) return null;
  const graph = explore(new LinkIndex(members, policy), members);
  const { of, cyclic } = components(new Map([...graph].map(([key, { links }]) => [key, links.map((l) => l.to.key)])));
  let best: { start: State; cycle: Link[] } | null = null;
  const tried = new Set<number>();
  for (const { state } of graph.values()) {
    const id = of.get(state.key) as number;
    // The shortest from each component's first state of `through`: enough to name a loop.
    if (!through.has(state.unit.spec.name) || !cyclic.has(id) || tried.has(id)) continue;
    tried.add(id);
    const cycle = cycleThrough(state.key, graph, of);
    if (cycle && (best === null || cycle.length < best.cycle.length)) best = { start: state, cycle };
  }
  if (best === null) return null;
  const names = [best.start.unit.spec.name, ...best.cycle.map((l) => l.to.unit.spec.name)];
  // Told from its first unit by name: the same loop reads the same whichever unit was added last.
  const ring = names.slice(0, -1);
  const first = ring.indexOf([...ring].sort()[0] as string);
  const order = [...ring.slice(first), ...ring.slice(0, first)];
  const links = [...best.cycle.slice(first), ...best.cycle.slice(0, first)].map((l) => l.why);
  return { units: [...order, order[0] as string], links };
}

export function describeLoop(loop: TriggerLoop): string {
  return `the units' triggers make a loop: ${loop.units.join(' -> ')} (${loop.links.join('; ')})`;
}

/**
 * EINVAL naming the loop, when the kernel's units (`current`) with `changed` added or put in place
 * of those of their names, and `removed` gone, would start each other without end through one of `changed`.
 */
export function refuseTriggerLoop(
  current: readonly Unit[],
  changed: readonly Unit[],
  removed: readonly string[],
  policy: LoopPolicy,
): void {
  const names = new Set(changed.map((u) => u.spec.name));
  const kept = current.filter((u) => !names.has(u.spec.name) && !removed.includes(u.spec.name));
  const loop = findTriggerLoop([...kept, ...changed], policy, names);
  if (loop === null) return;
  throw new AosError(
    'EINVAL',
    `${describeLoop(loop)}: each run would start the next without end. Break a link (a trigger, a capability, a budget), or use restart: for a unit that should run again`,
  );
}
