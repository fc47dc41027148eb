/**
 * A unit's watch triggers, started while the unit is enabled and closed when it is not. When a
 * watch fires, the paths the unit's own runs wrote are taken out first — a run that writes where
 * its unit watches must not start the next run — and what is left starts one run that names them.
 *
 * A run's own writes are its whole tree's, commands included (own-writes.ts). A path another
 * unit's run wrote starts the run as the next of that run's chain (chains.ts): two units that
 * watch each other's outputs stop at the chain's limit, where the trigger graph could not see them.
 */
import type { Clock } from '../../sys/clock.js';
import type { Armed, Firing, RunStarter, UnitsHost } from './runs.js';
import type { Trigger } from './trigger-spec.js';
import { type Gathered, TriggerWatch } from './watch.js';
import type { Chain } from './chains.js';
import { type ExecWindows, runsOf, treesOf, writtenBy } from './own-writes.js';

interface Context {
  starter: RunStarter;
  clock: Clock;
  host: UnitsHost;
  execs: ExecWindows;
  /** Every unit the kernel holds (whose runs' writes continue their chains). */
  units: () => Iterable<Armed>;
}

/** The most paths a run is told of by name; the rest are counted. */
const MAX_PATHS_TOLD = 100;
/** Runs that ended within this of a change may have made it. */
const OWN_WRITE_MARGIN_MS = 2_000;

export function startWatches(ctx: Context, armed: Armed): void {
  stopWatches(armed);
  if (!armed.record.enabled) return;
  for (const trigger of armed.unit.triggers) {
    if (trigger.kind !== 'watch') continue;
    const watch = new TriggerWatch(ctx.host.workspaceRoot, trigger, ctx.clock, (gathered) =>
      onGathered(ctx, armed, trigger, gathered),
    );
    watch.start();
    armed.watches.push(watch);
  }
}

export function stopWatches(armed: Armed): void {
  for (const watch of armed.watches.splice(0)) watch.close();
}

function onGathered(
  ctx: Context,
  armed: Armed,
  trigger: Extract<Trigger, { kind: 'watch' }>,
  gathered: Gathered,
): void {
  if (!armed.record.enabled) return;
  const since = gathered.since - trigger.debounceMs - OWN_WRITE_MARGIN_MS;
  const own = writtenBy(ctx.host, ctx.execs, treesOf(ctx.host, runsOf(armed)), gathered, since);
  const paths = gathered.paths.filter((p) => !own.has(p));
  if (paths.length === 0) return;
  const chain = writersChain(ctx, armed, { ...gathered, paths }, since);
  const told =
    paths.length > MAX_PATHS_TOLD
      ? [...paths.slice(0, MAX_PATHS_TOLD), `+${paths.length - MAX_PATHS_TOLD} more`]
      : paths;
  const firing: Firing = {
    trigger: trigger.label,
    scheduledFor: null,
    catchUp: false,
    fields: { kind: 'watch', paths: told, events: gathered.events },
    chain,
  };
  armed.restarts = 0;
  void ctx.starter.fire(armed, firing);
}

/** The longest chain of the other units' runs that wrote any of these paths; empty when no run did. */
function writersChain(ctx: Context, armed: Armed, gathered: Gathered, since: number): Chain {
  let longest: Chain = [];
  for (const other of ctx.units()) {
    if (other === armed) continue;
    const recent = [...other.live, ...other.ended.filter((e) => e.at >= since).map((e) => e.pid)];
    for (const run of recent) {
      const chain = ctx.starter.chains.of(run);
      if (chain.length <= longest.length) continue;
      if (writtenBy(ctx.host, ctx.execs, treesOf(ctx.host, [run]), gathered, since).size > 0) longest = chain;
    }
  }
  return longest;
}
