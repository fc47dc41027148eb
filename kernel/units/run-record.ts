/**
 * A firing kept, whatever came of it: a row of unit_runs, a `trigger` event and an audit record
 * (a person's when by hand, the policy's otherwise). Its own file: runs.ts decides what a firing
 * does; this is how each outcome — started, queued, skipped, failed — is written down.
 */
import type { UnitRunOutcome } from '../store/api.js';
import type { Armed, Firing, FireResult, UnitsHost } from './unit-types.js';

/** What came of a firing: its outcome, the run it started or answered with, and why. */
export interface FiringOutcome {
  outcome: UnitRunOutcome;
  pid: number | null;
  reason: string | null;
}

/** Store, tell and audit a firing of `armed`'s unit at `firedAt`. */
export function recordFiring(
  host: UnitsHost,
  firedAt: number,
  armed: Armed,
  firing: Firing,
  { outcome, pid, reason }: FiringOutcome,
): FireResult {
  const name = armed.unit.spec.name;
  host.store.units.addRun({
    unit: name,
    trigger: firing.trigger,
    scheduled_for: firing.scheduledFor,
    fired_at: firedAt,
    pid,
    outcome,
    reason,
  });
  host.events.emit({
    type: 'trigger',
    pid: pid ?? 0,
    unit: name,
    trigger: firing.trigger,
    outcome,
    ...(firing.scheduledFor === null ? {} : { scheduled_for: new Date(firing.scheduledFor).toISOString() }),
    ...(firing.catchUp ? { catch_up: true } : {}),
    ...(reason === null ? {} : { reason }),
  });
  host.audit({
    pid: pid ?? 0,
    call: 'TRIGGER',
    subject: `${name}: ${firing.trigger}`,
    decision: outcome === 'started' || outcome === 'queued' ? 'allow' : 'deny',
    rule: `unit ${name}`,
    decided_by: firing.trigger === 'by hand' ? 'person' : 'policy',
    reason: `${outcome}${reason === null ? '' : `: ${reason}`}`,
  });
  return { outcome, pid, reason };
}
