/**
 * One firing of a unit's trigger, carried out: the caps on runs a minute, the overlap policy
 * (skip, queue, replace, parallel), then the run — an ordinary root process named for its unit,
 * told why it runs at the top of its first turn (`[EVENT::TRIGGER] {...}`). Every firing is a row
 * of unit_runs, a `trigger` event and an audit record, whatever came of it (run-record.ts).
 */
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import { jsonLine } from '../../sys/json-line.js';
import type { Pcb } from '../../sys/types.js';
import type { UnitRecord, UnitRunOutcome } from '../store/api.js';
import type { Clock } from '../../sys/clock.js';
import type { Unit } from './spec.js';
import { renderAttach, renderTask } from './template.js';
import { framedEvent, outsideOf, startOutside } from './outside-run.js';
import { runCapabilities } from './run-caps.js';
import type { SpawnRequest } from '../../syscalls/services.js';
import type { Armed, Firing, FireResult, UnitsHost } from './unit-types.js';
import { type Chain, TriggerChains } from './chains.js';
import { recordFiring } from './run-record.js';

export type { Armed, Firing, FireResult, UnitsHost } from './unit-types.js';
export { capabilitiesBeyond, runCapabilities } from './run-caps.js';

export class RunStarter {
  /** Every unit's starts in the last minute (the global cap). */
  private recent: number[] = [];
  /** Which runs started which (chains.ts): a loop the trigger graph could not see stops at its limit. */
  readonly chains: TriggerChains;

  constructor(
    private readonly host: UnitsHost,
    private readonly clock: Clock,
    /** A run ended (its restart policy and queue): also for a run that ended before its spawn was answered. */
    private readonly onEnded: (armed: Armed, pid: number, state: 'exited' | 'killed', code: number | null) => void,
  ) {
    this.chains = new TriggerChains((pid) => host.parentOf(pid));
  }

  /** Carry out a firing once the unit's earlier ones are done (a spawn takes a while: two firings must not both see no run going). */
  fire(armed: Armed, firing: Firing): Promise<FireResult> {
    const result = (armed.chain ?? Promise.resolve()).then(() => this.fireNow(armed, firing));
    armed.chain = result.catch(() => undefined);
    return result;
  }

  private async fireNow(armed: Armed, firing: Firing): Promise<FireResult> {
    const now = this.clock.now();
    const { spec } = armed.unit;
    for (const pid of armed.live) if (!this.host.isLive(pid)) armed.live.delete(pid);
    const duplicate = this.duplicate(armed, firing);
    if (duplicate !== null) return duplicate;
    const looped = this.looped(armed.unit.spec.name, firing.chain ?? []);
    if (looped !== null) return this.record(armed, firing, 'skipped', null, looped);
    const capped = this.capped(armed, now);
    if (capped !== null) return this.record(armed, firing, 'skipped', null, capped);
    if (armed.live.size > 0) {
      switch (spec.on_overlap) {
        case 'skip':
          return this.record(
            armed,
            firing,
            'skipped',
            null,
            `a run is still going (pid ${[...armed.live].join(', ')}; on_overlap: skip)`,
          );
        case 'queue':
          if (armed.queue.length >= spec.max_queue)
            return this.record(
              armed,
              firing,
              'skipped',
              null,
              `the queue is full (${spec.max_queue}; on_overlap: queue)`,
            );
          armed.queue.push(firing);
          return this.record(
            armed,
            firing,
            'queued',
            null,
            `after pid ${[...armed.live].join(', ')} (on_overlap: queue)`,
          );
        case 'replace':
          for (const pid of armed.live) {
            armed.replaced.add(pid);
            this.host.kill(pid, { tree: true });
          }
          armed.live.clear();
          break;
        case 'parallel':
          if (armed.live.size >= spec.max_parallel)
            return this.record(
              armed,
              firing,
              'skipped',
              null,
              `${armed.live.size} runs going (max_parallel ${spec.max_parallel})`,
            );
          break;
      }
    }
    return this.start(armed, firing, now);
  }

  /** SPAWN_AGENT {"unit"}: the unit as a child; recorded as its run, its end no failure to restart. */
  async spawnChild(
    armed: Armed,
    parent: number,
    request: SpawnRequest,
    spawn: (request: SpawnRequest) => Pcb | Promise<Pcb>,
  ): Promise<number> {
    const { spec } = armed.unit;
    const before = this.chains.of(parent);
    const firing: Firing = {
      trigger: `spawned by ${parent}`,
      scheduledFor: null,
      catchUp: false,
      fields: { kind: 'spawn', parent },
      chain: before,
    };
    const looped = this.looped(spec.name, before);
    if (looped !== null) {
      this.record(armed, firing, 'skipped', null, looped);
      throw new AosError('EAGAIN', `unit ${spec.name} not started: ${looped}`);
    }
    const told = { unit: spec.name, trigger: firing.trigger };
    const pcb = await spawn({
      ...request,
      role: request.role || spec.role || spec.name,
      task: request.task || renderTask(spec.task, { unit: spec.name, name: firing.trigger, kind: 'spawn', parent }),
      name: request.name ?? spec.name,
      ...(spec.model === undefined || request.model !== undefined ? {} : { model: spec.model }),
      capabilities: request.capabilities ?? runCapabilities(armed.unit, this.host.rootCaps),
      maxTurns: request.maxTurns ?? spec.max_turns,
      maxTokens: request.maxTokens ?? spec.max_tokens,
      maxCost: request.maxCost ?? spec.max_cost,
      maxChildren: request.maxChildren ?? spec.max_children,
      maxLiveDescendants: request.maxLiveDescendants ?? spec.max_live_descendants,
      maxWallS: request.maxWallS ?? armed.unit.maxWallS ?? undefined,
      workdir: request.workdir ?? armed.unit.workdir ?? undefined,
      attach: request.attach ?? renderAttach(spec.attach, { unit: spec.name, kind: 'spawn', parent }),
      unit: spec.name,
      preface: `[EVENT::TRIGGER] ${jsonLine(told)}`,
    });
    this.chains.keep(pcb.pid, spec.name, before);
    armed.spawned.add(pcb.pid);
    if (this.host.endOf(pcb.pid) === null) armed.live.add(pcb.pid);
    this.record(armed, firing, 'started', pcb.pid, null);
    return pcb.pid;
  }

  /** A firing that does not run (a jumped clock's older due times, a missed run not caught up, a restart past its limit). */
  skipped(armed: Armed, firing: Firing, reason: string): FireResult {
    return this.record(armed, firing, 'skipped', null, reason);
  }

  /** The same event again (a platform's retry, a re-sent event): answered with the run it started, or its queued place. */
  private duplicate(armed: Armed, firing: Firing): FireResult | null {
    const id = firing.eventId;
    if (id === undefined) return null;
    const prior = this.host.keys.seen(`unit:${armed.unit.spec.name}`, id);
    if (prior !== null)
      return {
        ...this.record(armed, firing, 'skipped', prior, `duplicate of event ${id}: run ${prior} was started for it`),
        deduped: true,
      };
    if (armed.queue.some((f) => f.eventId === id))
      return {
        ...this.record(armed, firing, 'skipped', null, `duplicate of event ${id}: a run for it is queued`),
        deduped: true,
      };
    return null;
  }

  /** A run that would make its chain longer than the limit: why it is not started (logged once a chain). */
  private looped(unit: string, before: Chain): string | null {
    const refusal = this.chains.refusal(unit, before);
    if (refusal === null) return null;
    if (refusal.tell) this.host.log('warn', `unit ${unit} not started: ${refusal.reason}`);
    return refusal.reason;
  }

  private capped(armed: Armed, now: number): string | null {
    const since = now - 60_000;
    armed.recent = armed.recent.filter((t) => t > since);
    this.recent = this.recent.filter((t) => t > since);
    if (armed.recent.length >= param.unitMaxRunsPerMinute)
      return `${param.unitMaxRunsPerMinute} runs in the last minute (the unit's cap)`;
    if (this.recent.length >= param.unitsMaxRunsPerMinute)
      return `${param.unitsMaxRunsPerMinute} runs of all units in the last minute (the kernel's cap)`;
    return null;
  }

  private async start(armed: Armed, firing: Firing, now: number): Promise<FireResult> {
    const { spec } = armed.unit;
    const scheduled =
      firing.scheduledFor === null ? {} : { scheduled_for: new Date(firing.scheduledFor).toISOString() };
    const { paths } = firing.fields;
    const outside = outsideOf(firing, this.host);
    const event = framedEvent(firing.event, outside);
    const told = {
      unit: spec.name,
      trigger: firing.trigger,
      ...scheduled,
      ...(firing.catchUp ? { catch_up: true } : {}),
      ...(Array.isArray(paths) ? { paths } : {}),
      ...(event ? { event } : {}),
    };
    armed.recent.push(now);
    this.recent.push(now);
    let pcb: Pcb;
    try {
      if (this.host.closing) throw new AosError('EAGAIN', 'the kernel is shutting down');
      pcb = await this.host.spawn({
        task: renderTask(spec.task, { unit: spec.name, name: firing.trigger, ...scheduled, ...firing.fields }),
        name: spec.name,
        ...(spec.model === undefined ? {} : { model: spec.model }),
        ...(spec.ladder === undefined ? {} : { ladder: spec.ladder }),
        ...(spec.role === undefined ? {} : { role: spec.role }),
        capabilities: runCapabilities(armed.unit, this.host.rootCaps),
        ...(spec.max_turns === undefined ? {} : { maxTurns: spec.max_turns }),
        ...(spec.max_tokens === undefined ? {} : { maxTokens: spec.max_tokens }),
        ...(spec.max_cost === undefined ? {} : { maxCost: spec.max_cost }),
        ...(spec.max_children === undefined ? {} : { maxChildren: spec.max_children }),
        ...(spec.max_live_descendants === undefined ? {} : { maxLiveDescendants: spec.max_live_descendants }),
        ...(armed.unit.maxWallS === null ? {} : { maxWallS: armed.unit.maxWallS }),
        cwd: this.host.cwd,
        unit: spec.name,
        ...(armed.unit.workdir === null ? {} : { workdir: armed.unit.workdir }),
        attach: withAttached(
          renderAttach(spec.attach, { unit: spec.name, name: firing.trigger, ...scheduled, ...firing.fields }),
          firing.attach,
        ),
        preface: (pid) => {
          // Kept before the run can run: what it does at once (a child, an end) continues its chain.
          this.chains.keep(pid, spec.name, firing.chain ?? []);
          return `[EVENT::TRIGGER] ${jsonLine({ ...told, ...(firing.bind?.(pid) ?? {}) })}`;
        },
      });
    } catch (error) {
      return this.record(armed, firing, 'failed', null, error instanceof Error ? error.message : String(error));
    }
    startOutside(this.host, pcb.pid, outside);
    // Kept before the firing is answered: a retry of the event, now or after a restart, finds this run.
    if (firing.eventId !== undefined) this.host.keys.remember(`unit:${spec.name}`, firing.eventId, pcb.pid);
    const result = this.record(armed, firing, 'started', pcb.pid, firing.catchUp ? 'catch-up' : null);
    // A quick run may have ended before its spawn was answered: its end was not seen as a run's.
    const end = this.host.endOf(pcb.pid);
    if (end === null) armed.live.add(pcb.pid);
    else this.onEnded(armed, pcb.pid, end.state, end.code);
    return result;
  }

  private record(
    armed: Armed,
    firing: Firing,
    outcome: UnitRunOutcome,
    pid: number | null,
    reason: string | null,
  ): FireResult {
    return recordFiring(this.host, this.clock.now(), armed, firing, { outcome, pid, reason });
  }
}

/** A unit as the kernel holds it, taking over what an older declaration of it had going (its runs, queue, routes). */
export function newArmed(record: UnitRecord, unit: Unit, old?: Armed): Armed {
  return {
    record,
    unit,
    live: old?.live ?? new Set(),
    queue: old?.queue ?? [],
    restarts: 0,
    cancelRestart: null,
    replaced: old?.replaced ?? new Set(),
    recent: old?.recent ?? [],
    watches: [],
    ended: old?.ended ?? [],
    hooks: old?.hooks ?? new Map(),
    spawned: old?.spawned ?? new Set(),
  };
}

/** The unit's threads and the firing's, once each. */
function withAttached(own: string[] | undefined, more: readonly string[] | undefined): string[] | undefined {
  return more?.length ? [...new Set([...(own ?? []), ...more])] : own;
}
