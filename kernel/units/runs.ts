/**
 * One firing of a unit's trigger, carried out: the caps on runs a minute, the overlap policy
 * (skip, queue, replace, parallel), then the run — an ordinary root process named for its unit,
 * told why it runs at the top of its first turn (`[EVENT::TRIGGER] {...}`). Every firing is a row
 * of unit_runs, a `trigger` event and an audit record, whatever came of it.
 */
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import { jsonLine } from '../../sys/json-line.js';
import type { Pcb } from '../../sys/types.js';
import type { EventBus } from '../../protocol/events.js';
import type { AuditInput, KernelStore, UnitRecord, UnitRunOutcome } from '../store/api.js';
import type { SpawnOptions } from '../proc/spawn.js';
import type { CapabilitySet } from '../../sys/capabilities.js';
import type { Clock } from '../../sys/clock.js';
import type { Unit } from './spec.js';
import { renderAttach, renderTask, type TriggerFields } from './template.js';
import type { TriggerWatch } from './watch.js';
import type { Webhooks } from '../ipc/webhooks.js';
import type { SpawnRequest } from '../../syscalls/services.js';
import type { IdempotencyKeys } from '../proc/idempotency.js';

export interface UnitsHost {
  readonly store: KernelStore;
  readonly events: EventBus;
  readonly rootCaps: CapabilitySet;
  readonly closing: boolean;
  readonly cwd: string;
  spawn(options: SpawnOptions): Promise<Pcb>;
  kill(pid: number, options: { tree?: boolean }): number[];
  isLive(pid: number): boolean;
  /**
   * A node of a cluster: these pids' states on other nodes (a run of this node's unit adopted
   * elsewhere while this node was dead), those found. Absent alone.
   */
  statesElsewhere?(pids: readonly number[]): Promise<Map<number, { state: string; code: number | null }>>;
  /** Runs of this node's units that live on another node: counted live (isLive) until they end there. */
  readonly elsewhere?: Set<number>;
  /** The workspace's directory on the host (watch triggers). */
  readonly workspaceRoot: string;
  /** The gateway's routes for webhook triggers, and the requests waiting for a run's reply. */
  readonly webhooks: Pick<Webhooks, 'addRoute' | 'removeRoute' | 'urlOf' | 'awaitReply'>;
  /** Event ids that started runs, per unit (scope `unit:<name>`): the kernel's idempotency keys. */
  readonly keys: Pick<IdempotencyKeys, 'seen' | 'remember' | 'forget'>;
  /** The workspace paths these processes wrote since `since` (ms), as the rollback journal has them. */
  wroteBy(pids: readonly number[], since: number): Set<string>;
  /** How an ended process ended; null while it lives (or when it is unknown). */
  endOf(pid: number): { state: 'exited' | 'killed'; code: number | null } | null;
  audit(input: AuditInput): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/** What fired, and what the run is told. */
export interface Firing {
  trigger: string;
  scheduledFor: number | null;
  catchUp: boolean;
  fields: TriggerFields;
  /** A restart of a failed run (its count), not a trigger's firing: keeps the restart count. */
  restart?: number;
  /** What happened, for an `on` trigger: `"event"` in the run's [EVENT::TRIGGER]. */
  event?: Record<string, string | number>;
  /** Given the run's pid before it can run: what else its [EVENT::TRIGGER] says (a webhook's request id, bound to it). */
  bind?: (pid: number) => Record<string, unknown>;
  /** The event's id (event-id.ts): a firing for an id that already started a run starts none. */
  eventId?: string;
  /** Threads the run gets attached besides the unit's own (a channel's conversation). */
  attach?: readonly string[];
}

/** A unit as the kernel holds it: its declaration, its stored row, and its runs now. */
export interface Armed {
  record: UnitRecord;
  unit: Unit;
  live: Set<number>;
  queue: Firing[];
  /** Restarts since the last firing of a trigger. */
  restarts: number;
  cancelRestart: (() => void) | null;
  /** Runs this kernel killed itself (replace): their end is no failure to restart. */
  replaced: Set<number>;
  /** When its runs started in the last minute (the cap). */
  recent: number[];
  /** Its firings, one after another: a policy decides on what the one before it started. */
  chain?: Promise<unknown>;
  /** Its watch triggers' watchers, while it is enabled. */
  watches: TriggerWatch[];
  /** Its runs that ended lately, and when (a watch tells their writes from others'). */
  ended: Array<{ pid: number; at: number }>;
  /** Its webhook triggers' routes: the token of each path. */
  hooks: Map<string, string>;
  /** Its runs that are another process's children (SPAWN_AGENT): no restart, no queue of theirs. */
  spawned: Set<number>;
}

export interface FireResult {
  outcome: UnitRunOutcome;
  pid: number | null;
  reason: string | null;
  /** Skipped as a duplicate: `pid` is the run its event id started before. */
  deduped?: boolean;
}

export class RunStarter {
  /** Every unit's starts in the last minute (the global cap). */
  private recent: number[] = [];

  constructor(
    private readonly host: UnitsHost,
    private readonly clock: Clock,
    /** A run ended (its restart policy and queue): also for a run that ended before its spawn was answered. */
    private readonly onEnded: (armed: Armed, pid: number, state: 'exited' | 'killed', code: number | null) => void,
  ) {}

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
    const capped = this.capped(armed, now);
    if (capped !== null) return this.record(armed, firing, 'skipped', null, capped);
    if (armed.live.size > 0) {
      switch (spec.on_overlap) {
        case 'skip':
          return this.record(armed, firing, 'skipped', null, `a run is still going (pid ${[...armed.live].join(', ')}; on_overlap: skip)`);
        case 'queue':
          if (armed.queue.length >= spec.max_queue) return this.record(armed, firing, 'skipped', null, `the queue is full (${spec.max_queue}; on_overlap: queue)`);
          armed.queue.push(firing);
          return this.record(armed, firing, 'queued', null, `after pid ${[...armed.live].join(', ')} (on_overlap: queue)`);
        case 'replace':
          for (const pid of armed.live) {
            armed.replaced.add(pid);
            this.host.kill(pid, { tree: true });
          }
          armed.live.clear();
          break;
        case 'parallel':
          if (armed.live.size >= spec.max_parallel) return this.record(armed, firing, 'skipped', null, `${armed.live.size} runs going (max_parallel ${spec.max_parallel})`);
          break;
      }
    }
    return this.start(armed, firing, now);
  }

  /** SPAWN_AGENT {"unit"}: the unit as a child; recorded as its run, its end no failure to restart. */
  async spawnChild(armed: Armed, parent: number, request: SpawnRequest, spawn: (request: SpawnRequest) => Pcb | Promise<Pcb>): Promise<number> {
    const { spec } = armed.unit;
    const firing: Firing = { trigger: `spawned by ${parent}`, scheduledFor: null, catchUp: false, fields: { kind: 'spawn', parent } };
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
    if (prior !== null) return { ...this.record(armed, firing, 'skipped', prior, `duplicate of event ${id}: run ${prior} was started for it`), deduped: true };
    if (armed.queue.some((f) => f.eventId === id)) return { ...this.record(armed, firing, 'skipped', null, `duplicate of event ${id}: a run for it is queued`), deduped: true };
    return null;
  }

  private capped(armed: Armed, now: number): string | null {
    const since = now - 60_000;
    armed.recent = armed.recent.filter((t) => t > since);
    this.recent = this.recent.filter((t) => t > since);
    if (armed.recent.length >= param.unitMaxRunsPerMinute) return `${param.unitMaxRunsPerMinute} runs in the last minute (the unit's cap)`;
    if (this.recent.length >= param.unitsMaxRunsPerMinute) return `${param.unitsMaxRunsPerMinute} runs of all units in the last minute (the kernel's cap)`;
    return null;
  }

  private async start(armed: Armed, firing: Firing, now: number): Promise<FireResult> {
    const { spec } = armed.unit;
    const scheduled = firing.scheduledFor === null ? {} : { scheduled_for: new Date(firing.scheduledFor).toISOString() };
    const { paths } = firing.fields;
    const told = { unit: spec.name, trigger: firing.trigger, ...scheduled, ...(firing.catchUp ? { catch_up: true } : {}), ...(Array.isArray(paths) ? { paths } : {}), ...(firing.event ? { event: firing.event } : {}) };
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
        attach: withAttached(renderAttach(spec.attach, { unit: spec.name, name: firing.trigger, ...scheduled, ...firing.fields }), firing.attach),
        preface: (pid) => `[EVENT::TRIGGER] ${jsonLine({ ...told, ...(firing.bind?.(pid) ?? {}) })}`,
      });
    } catch (error) {
      return this.record(armed, firing, 'failed', null, error instanceof Error ? error.message : String(error));
    }
    // Kept before the firing is answered: a retry of the event, now or after a restart, finds this run.
    if (firing.eventId !== undefined) this.host.keys.remember(`unit:${spec.name}`, firing.eventId, pcb.pid);
    const result = this.record(armed, firing, 'started', pcb.pid, firing.catchUp ? 'catch-up' : null);
    // A quick run may have ended before its spawn was answered: its end was not seen as a run's.
    const end = this.host.endOf(pcb.pid);
    if (end === null) armed.live.add(pcb.pid);
    else this.onEnded(armed, pcb.pid, end.state, end.code);
    return result;
  }

  private record(armed: Armed, firing: Firing, outcome: UnitRunOutcome, pid: number | null, reason: string | null): FireResult {
    const name = armed.unit.spec.name;
    const firedAt = this.clock.now();
    this.host.store.units.addRun({ unit: name, trigger: firing.trigger, scheduled_for: firing.scheduledFor, fired_at: firedAt, pid, outcome, reason });
    this.host.events.emit({
      type: 'trigger',
      pid: pid ?? 0,
      unit: name,
      trigger: firing.trigger,
      outcome,
      ...(firing.scheduledFor === null ? {} : { scheduled_for: new Date(firing.scheduledFor).toISOString() }),
      ...(firing.catchUp ? { catch_up: true } : {}),
      ...(reason === null ? {} : { reason }),
    });
    this.host.audit({
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
}

/** The unit's threads and the firing's, once each. */
function withAttached(own: string[] | undefined, more: readonly string[] | undefined): string[] | undefined {
  return more?.length ? [...new Set([...(own ?? []), ...more])] : own;
}

/** What a run may hold: the unit's capabilities (its MCP servers as mcp:<server>/*), never more than the root's now. */
export function runCapabilities(unit: Unit, rootCaps: CapabilitySet): string[] {
  const asked = unit.spec.capabilities ?? [...rootCaps.list];
  const withMcp = [...asked, ...(unit.spec.mcp ?? []).map((server) => `mcp:${server}/*`)];
  return rootCaps.intersect(withMcp).list.slice();
}

/** The capabilities a unit asks for that the root does not hold: refused at `add`, each named. */
export function capabilitiesBeyond(unit: Unit, rootCaps: CapabilitySet): string[] {
  const asked = [...(unit.spec.capabilities ?? []), ...(unit.spec.mcp ?? []).map((server) => `mcp:${server}/*`)];
  return asked.filter((cap) => rootCaps.intersect([cap]).list.length === 0);
}
