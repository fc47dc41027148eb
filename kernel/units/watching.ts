/**
 * A unit's watch triggers, started while the unit is enabled and closed when it is not. When a
 * watch fires, the paths the unit's own runs wrote are taken out first — a run that writes where
 * its unit watches must not start the next run — and what is left starts one run that names them.
 *
 * Own writes are known from the rollback journal, which records each FS_WRITE with its writer,
 * and each change an EXEC_CMD made when the policy journals exec (`journal.exec`). A change an
 * EXEC_CMD made with exec journaling off is not known as the run's own, and can re-trigger it.
 */
import type { Clock } from '../../sys/clock.js';
import type { Armed, Firing, RunStarter, UnitsHost } from './runs.js';
import type { Trigger } from './spec.js';
import { type Gathered, TriggerWatch } from './watch.js';

interface Context {
  starter: RunStarter;
  clock: Clock;
  host: UnitsHost;
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
    const watch = new TriggerWatch(ctx.host.workspaceRoot, trigger, ctx.clock, (gathered) => onGathered(ctx, armed, trigger, gathered));
    watch.start();
    armed.watches.push(watch);
  }
}

export function stopWatches(armed: Armed): void {
  for (const watch of armed.watches.splice(0)) watch.close();
}

function onGathered(ctx: Context, armed: Armed, trigger: Extract<Trigger, { kind: 'watch' }>, gathered: Gathered): void {
  if (!armed.record.enabled) return;
  const since = gathered.since - trigger.debounceMs - OWN_WRITE_MARGIN_MS;
  const runs = [...armed.live, ...armed.ended.filter((e) => e.at >= since).map((e) => e.pid)];
  const own = runs.length === 0 ? new Set<string>() : ctx.host.wroteBy(runs, since);
  const paths = gathered.paths.filter((p) => !own.has(p));
  if (paths.length === 0) return;
  const told = paths.length > MAX_PATHS_TOLD ? [...paths.slice(0, MAX_PATHS_TOLD), `+${paths.length - MAX_PATHS_TOLD} more`] : paths;
  const firing: Firing = { trigger: trigger.label, scheduledFor: null, catchUp: false, fields: { kind: 'watch', paths: told, events: gathered.events } };
  armed.restarts = 0;
  void ctx.starter.fire(armed, firing);
}
