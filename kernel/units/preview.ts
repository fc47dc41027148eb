/**
 * A unit's listing (`aos unit ls`, `status`), and what adding one would do, nothing kept: its
 * listing, what its runs would hold, what the policy's root lacks (a real add refuses those).
 */
import type { CapabilitySet } from '../../sys/capabilities.js';
import type { UnitRecord, UnitRunRecord } from '../store/api.js';
import { type Armed, capabilitiesBeyond, newArmed, runCapabilities, type UnitsHost } from './runs.js';
import { unanswerableWebhook } from './run-caps.js';
import { AosError } from '../../sys/errno.js';
import { failingInARow, type UnitRun, withEnd } from './run-ends.js';
import { toUnit } from './spec.js';

export interface UnitInfo {
  name: string;
  description: string | null;
  enabled: boolean;
  triggers: string[];
  /** ms since the epoch; null when no trigger will fire again (or the unit is disabled). */
  next_run: number | null;
  live: number[];
  queued: number;
  /** Its newest firing, with how its run ended. */
  last: UnitRun | null;
  runs: number;
  skips: number;
  /** Its newest firings that failed in a row (run-ends.ts): 0 when the last that ended did not fail. */
  failing: number;
}

export interface Preview {
  info: UnitInfo;
  capabilities: string[];
  beyond: string[];
  /** Its policies in words. */
  policies: string;
  /** A unit of that name exists. */
  exists: boolean;
}

/** The listing of a unit the kernel holds: `runs` are its kept runs, newest first; `next`, when a trigger fires next. */
export function unitInfo(
  armed: Armed,
  runs: readonly UnitRunRecord[],
  next: number | null,
  endOf: UnitsHost['endOf'],
): UnitInfo {
  const { spec } = armed.unit;
  return {
    name: spec.name,
    description: spec.description ?? null,
    enabled: armed.record.enabled,
    triggers: armed.unit.triggers.map((t) => t.label),
    next_run: next,
    live: [...armed.live],
    queued: armed.queue.length,
    last: runs[0] ? withEnd(runs[0], endOf) : null,
    runs: runs.filter((r) => r.outcome === 'started').length,
    skips: runs.filter((r) => r.outcome === 'skipped').length,
    failing: failingInARow(runs, endOf),
  };
}

export function previewUnit(
  document: unknown,
  rootCaps: CapabilitySet,
  now: number,
  nextOf: (armed: Armed, after: number) => number | null,
  exists: (name: string) => boolean,
): Preview {
  const unit = toUnit(document);
  const { spec } = unit;
  // Shown, not refused, when it asks for too much (the preview names each); a webhook no run could answer is refused now.
  const unanswerable = unanswerableWebhook(unit, rootCaps);
  if (unanswerable !== null) throw new AosError('EINVAL', unanswerable);
  const record: UnitRecord = {
    name: spec.name,
    spec: '',
    enabled: spec.enabled,
    anchor: now,
    added_at: now,
    updated_at: now,
    checked_at: now,
  };
  const armed = newArmed(record, unit);
  const info: UnitInfo = {
    name: spec.name,
    description: spec.description ?? null,
    enabled: spec.enabled,
    triggers: unit.triggers.map((t) => t.label),
    next_run: spec.enabled ? nextOf(armed, now) : null,
    live: [],
    queued: 0,
    last: null,
    runs: 0,
    skips: 0,
    failing: 0,
  };
  const overlap =
    spec.on_overlap === 'parallel'
      ? `parallel (${spec.max_parallel})`
      : spec.on_overlap === 'queue'
        ? `queue (${spec.max_queue})`
        : spec.on_overlap;
  const policies = `on_overlap ${overlap}, catch_up ${spec.catch_up}, restart ${spec.restart}${spec.restart === 'no' ? '' : ` (at most ${spec.restart_max})`}`;
  return {
    info,
    capabilities: runCapabilities(unit, rootCaps),
    beyond: capabilitiesBeyond(unit, rootCaps),
    policies,
    exists: exists(spec.name),
  };
}
