/**
 * The links of the trigger graph (trigger-graph.ts): a link X -> Y says a run of X can start a run of Y.
 *   - exit      Y has `on: {exit: {unit}}` naming X (any codes);
 *   - approval  Y has `on: {approval: expired}` and X's runs hold a capability an `ask` rule covers;
 *   - budget    Y has `on: {budget}` naming a budget X's runs spend (by unit, process name or tree;
 *               not `kernel: true`, which every run spends: it crosses twice a window at most);
 *   - watch     Y watches a path X's runs may write (its fs.write grants; a grant of the whole
 *               workspace tells nothing, unless its `workdir` says where its writes land), and Y is
 *               not the unit whose tree the writer is in (a run's own writes start nothing);
 *   - spawn     X's runs hold `unit:<glob>` naming Y (a glob naming every unit tells nothing): Y runs
 *               as a child in X's tree, its capabilities narrowed to X's run's.
 * A run is a state — its unit, the unit whose tree it is in, its capabilities — so that narrowing
 * and own writes count. What every state of a kind shares is worked out once (the index below, and
 * link-caps.ts for what a set of capabilities says): a set of 256 units is checked on the kernel's
 * thread at every add.
 */
import { type CapabilitySet, compileGlob } from '../../sys/capabilities.js';
import type { BudgetSpec } from '../cost/budget-spec.js';
import { coversWorkspace, globsOverlap, headOf } from './glob-overlap.js';
import { CapsRead, covers, type Held } from './link-caps.js';
import { runCapabilities } from './run-caps.js';
import type { Unit } from './spec.js';

export interface LoopPolicy {
  readonly rootCaps: CapabilitySet;
  readonly budgets: ReadonlyArray<Pick<BudgetSpec, 'name' | 'scope' | 'match'>>;
  /** The policy's `ask` rules: what a run's calls may leave waiting for a person (and expire). */
  readonly asks: ReadonlyArray<{ kind: string; pattern: string | null; text: string }>;
}

export interface State {
  unit: Unit;
  root: string;
  caps: readonly string[];
  /** Its capabilities as a set, by number: states of many units share them. */
  capsId: number;
  key: string;
}

export interface Link {
  to: State;
  why: string;
}

type Watcher = { unit: Unit; watched: string; head: string };

export class LinkIndex {
  private readonly fresh = new Map<string, State>();
  private readonly exits = new Map<string, Unit[]>();
  private readonly named = new Map<string, Unit[]>();
  private readonly listening = new Map<string, Unit[]>();
  private readonly watching = new Map<string, Array<{ unit: Unit; watched: string }>>();
  private readonly narrowed = new Map<string, { caps: string[]; capsId: number; mayWrite: boolean }>();
  private readonly read: CapsRead;
  /** Watched globs by their head, and the heads in order (those under a head are a run of them). */
  private readonly byHead = new Map<string, Watcher[]>();
  private readonly heads: string[];
  private readonly approvals: Unit[];
  private readonly position: Map<Unit, number>;

  constructor(
    private readonly units: readonly Unit[],
    private readonly policy: LoopPolicy,
  ) {
    this.read = new CapsRead(policy.asks);
    for (const unit of units) {
      for (const t of unit.triggers) {
        if (t.kind !== 'watch') continue;
        for (const watched of t.paths) {
          const head = headOf(watched);
          this.byHead.set(head, [...(this.byHead.get(head) ?? []), { unit, watched, head }]);
        }
      }
    }
    this.heads = [...this.byHead.keys()].sort();
    this.position = new Map(units.map((u, i) => [u, i]));
    this.approvals = units.filter((u) => u.triggers.some((t) => t.kind === 'on' && t.on.event === 'approval_expired'));
  }

  /** A run of `unit` started by a trigger: a root of its own tree with the unit's capabilities. */
  rootOf(unit: Unit): State {
    const known = this.fresh.get(unit.spec.name);
    if (known) return known;
    const caps = runCapabilities(unit, this.policy.rootCaps);
    const state = this.stateOf(unit, unit.spec.name, caps, this.read.idOf(caps));
    this.fresh.set(unit.spec.name, state);
    return state;
  }

  /**
   * The links out of a run in `from`'s state, in a stable order. `coarse`: a child started by a
   * spawn grant as a root of its own (no narrowing) and a budget by tree spent by any unit a tree
   * may be named after — more links than a run has, never fewer: a unit on no cycle of these is on none.
   */
  links(from: State, coarse = false): Link[] {
    const x = from.unit.spec.name;
    const links: Link[] = [];
    for (const y of this.exitsOf(x)) links.push({ to: this.rootOf(y), why: `${y.spec.name} runs on exit of ${x}` });
    const held = this.read.heldOf(from);
    const asked = this.read.askOf(from.capsId, held);
    if (asked !== null)
      for (const y of this.approvals)
        links.push({
          to: this.rootOf(y),
          why: `${y.spec.name} runs when an approval expires, and ${x}'s runs may ask one (${asked})`,
        });
    const crossed = new Set<string>();
    for (const budget of this.policy.budgets) {
      if (budget.scope === 'kernel' || budget.match === null) continue;
      const spent =
        budget.scope === 'tree'
          ? budget.match.test(from.root) || (coarse && this.units.some((u) => budget.match?.test(u.spec.name)))
          : budget.match.test(x);
      if (!spent) continue;
      for (const y of this.listenersOf(budget.name)) {
        if (crossed.has(y.spec.name)) continue;
        crossed.add(y.spec.name);
        links.push({
          to: this.rootOf(y),
          why: `${y.spec.name} runs when budget ${budget.name} crosses, and ${x}'s runs spend it`,
        });
      }
    }
    const seen = new Set<string>();
    for (const written of this.reachOf(from, held)) {
      for (const { unit: y, watched } of this.watchersOf(written)) {
        // Its own writes, to the unit it is a run of and to the one whose tree it is in (own-writes.ts).
        if (y.spec.name === from.root || y.spec.name === x || seen.has(y.spec.name)) continue;
        seen.add(y.spec.name);
        links.push({
          to: this.rootOf(y),
          why: `${y.spec.name} watches ${watched.slice(1)}, and ${x}'s runs may write ${written}`,
        });
      }
    }
    for (const glob of held.starts) {
      for (const y of this.namedBy(glob)) {
        if (coarse) {
          links.push({ to: this.rootOf(y), why: `${x}'s runs may start ${y.spec.name} as a child (unit:${glob})` });
          continue;
        }
        const key = `${from.capsId}\u0000${y.spec.name}`;
        let narrow = this.narrowed.get(key);
        if (!narrow) {
          // As a child's spawn narrows it (CapabilitySet.intersect): what of its own the parent's cover.
          const caps = this.rootOf(y).caps.filter((c) => covers(held, this.read.capOf(c)));
          narrow = {
            caps,
            capsId: this.read.idOf(caps),
            mayWrite: caps.some((c) => c === 'fs.write' || c.startsWith('fs.write:')),
          };
          this.narrowed.set(key, narrow);
        }
        const root = this.treeOf(from.root, narrow.mayWrite);
        links.push({
          to: this.stateOf(y, root, narrow.caps, narrow.capsId),
          why: `${x}'s runs may start ${y.spec.name} as a child (unit:${glob})`,
        });
      }
    }
    return links;
  }

  /**
   * The tree a child's state keeps: its root's name where it can matter — a run that may write (its
   * root's watch does not see its writes), a budget counted by tree — and none elsewhere, so that the
   * children of every root are one state, not one a root.
   */
  private treeOf(root: string, mayWrite: boolean): string {
    return mayWrite || this.policy.budgets.some((b) => b.scope === 'tree' && b.match?.test(root)) ? root : '';
  }

  private stateOf(unit: Unit, root: string, caps: readonly string[], capsId: number): State {
    return { unit, root, caps, capsId, key: `${unit.spec.name}\u0000${root}\u0000${capsId}` };
  }

  private listenersOf(budget: string): Unit[] {
    let found = this.listening.get(budget);
    if (!found) {
      found = this.units.filter((y) =>
        y.triggers.some(
          (t) => t.kind === 'on' && t.on.event === 'budget' && (t.on.budget === null || t.on.budget.test(budget)),
        ),
      );
      this.listening.set(budget, found);
    }
    return found;
  }

  private exitsOf(name: string): Unit[] {
    let found = this.exits.get(name);
    if (!found) {
      found = this.units.filter((y) =>
        y.triggers.some((t) => t.kind === 'on' && t.on.event === 'exit' && t.on.unit.test(name)),
      );
      this.exits.set(name, found);
    }
    return found;
  }

  private namedBy(glob: string): Unit[] {
    let found = this.named.get(glob);
    if (!found) {
      const pattern = compileGlob(glob);
      found = this.units.filter((y) => pattern.test(y.spec.name));
      this.named.set(glob, found);
    }
    return found;
  }

  /** The globs a run may write, as far as its grants (or, for a grant of everything, its workdir) tell. */
  private reachOf(state: State, held: Held): string[] {
    if (held.writes.some(coversWorkspace)) return state.unit.workdir === null ? [] : [`${state.unit.workdir}/**`];
    return held.writes as string[];
  }

  private watchersOf(written: string): Array<{ unit: Unit; watched: string }> {
    let found = this.watching.get(written);
    if (!found) {
      const head = headOf(written);
      // Two globs meet only where one's head is the other's or a directory above it.
      const near: Watcher[] = [];
      for (let at = head; ; at = at.slice(0, at.lastIndexOf('/'))) {
        near.push(...(this.byHead.get(at) ?? []));
        if (at === '') break;
      }
      const under = `${head}/`;
      let lo = 0;
      for (let hi = this.heads.length; lo < hi;) {
        const mid = (lo + hi) >> 1;
        if ((this.heads[mid] as string) < under) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < this.heads.length && (this.heads[i] as string).startsWith(under); i++)
        near.push(...(this.byHead.get(this.heads[i] as string) ?? []));
      found = near
        .filter((w) => globsOverlap(w.watched, written))
        .sort((a, b) => (this.position.get(a.unit) as number) - (this.position.get(b.unit) as number));
      this.watching.set(written, found);
    }
    return found;
  }
}
