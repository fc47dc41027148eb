/**
 * Due times that fell while the kernel was down, as the unit says: `skip` records them as skipped,
 * `once` runs the newest (naming when it was due) and counts the rest, `all` runs them oldest
 * first, at most `catch_up_max`, and counts the rest. A unit's runs are bounded however long the
 * kernel was down.
 */
import type { Clock } from '../../sys/clock.js';
import type { Armed, Firing, FireResult, RunStarter, UnitsHost } from './runs.js';
import { dueBetween, lastDue } from './schedule.js';
import type { Trigger } from './trigger-spec.js';

interface Context {
  starter: RunStarter;
  clock: Clock;
  host: UnitsHost;
}

const firingOf = (trigger: Trigger, at: number): Firing => ({
  trigger: trigger.label,
  scheduledFor: at,
  catchUp: true,
  fields: { kind: trigger.kind, scheduled_for: new Date(at).toISOString() },
});

export async function catchUp(ctx: Context, armed: Armed, now: number): Promise<void> {
  const { spec } = armed.unit;
  const { anchor, checked_at: from } = armed.record;
  if (now <= from) return;
  const missed: Array<{ trigger: Trigger; at: number }> = [];
  let newest: { trigger: Trigger; at: number } | null = null;
  let total = 0;
  for (const trigger of armed.unit.triggers) {
    const { due, total: n } = dueBetween(trigger, anchor, from, now, spec.catch_up_max, 1_000_000);
    total += n;
    for (const at of due) missed.push({ trigger, at });
    const last = lastDue(trigger, anchor, from, now);
    if (last !== null && (newest === null || last > newest.at)) newest = { trigger, at: last };
  }
  armed.record = { ...armed.record, checked_at: now };
  ctx.host.store.units.checked(armed.record.name, now);
  if (total === 0 || newest === null) return;
  const down = `while the kernel was down`;
  if (spec.catch_up === 'skip') {
    ctx.starter.skipped(armed, firingOf(newest.trigger, newest.at), `${total} due ${down} (catch_up: skip)`);
    return;
  }
  if (spec.catch_up === 'once') {
    if (total > 1)
      ctx.starter.skipped(
        armed,
        firingOf(newest.trigger, newest.at),
        `${total - 1} more due ${down}: one run catches up (catch_up: once)`,
      );
    await ctx.starter.fire(armed, firingOf(newest.trigger, newest.at));
    return;
  }
  missed.sort((a, b) => a.at - b.at);
  const runs = missed.slice(0, spec.catch_up_max);
  if (total > runs.length)
    ctx.starter.skipped(
      armed,
      firingOf(newest.trigger, newest.at),
      `${total - runs.length} more due ${down} than catch_up_max (${spec.catch_up_max})`,
    );
  for (const { trigger, at } of runs) await ctx.starter.fire(armed, firingOf(trigger, at));
}

/** The timer's firings of a unit: each trigger once for its newest due time; older ones (a clock that jumped) are counted as skipped. */
export function fireDue(ctx: Context, armed: Armed, now: number): Array<Promise<FireResult>> {
  const firings: Firing[] = [];
  for (const trigger of armed.unit.triggers) {
    const { due, total } = dueBetween(
      trigger,
      armed.record.anchor,
      armed.record.checked_at,
      now,
      Number.MAX_SAFE_INTEGER,
      1_000,
    );
    const newest = due.at(-1);
    if (newest === undefined) continue;
    const firing: Firing = {
      trigger: trigger.label,
      scheduledFor: newest,
      catchUp: false,
      fields: { kind: trigger.kind, scheduled_for: new Date(newest).toISOString() },
    };
    if (total > 1)
      ctx.starter.skipped(armed, firing, `${total - 1} earlier due times passed at once (the clock jumped)`);
    firings.push(firing);
  }
  if (firings.length === 0) return [];
  armed.record = { ...armed.record, checked_at: now };
  ctx.host.store.units.checked(armed.record.name, now);
  armed.restarts = 0;
  return firings.map((firing) => ctx.starter.fire(armed, firing));
}
