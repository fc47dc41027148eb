/**
 * The units a kernel holds, and the one timer that fires their time triggers. Units are added,
 * enabled, disabled and removed here (the daemon's `unit_*` methods); each change is stored before
 * it is answered. At start the kernel reads them back: the runs still going are theirs again, and
 * the due times that fell while the kernel was down are caught up as each unit says (`catch_up`).
 * When a run ends, the unit's queue goes on and its restart policy is applied (restarts.ts).
 */
import { AosError } from '../../sys/errno.js';
import type { Pcb } from '../../sys/types.js';
import type { SpawnRequest } from '../../syscalls/services.js';
import { param } from '../../sys/param.js';
import type { UnitRecord, UnitRunRecord } from '../store/api.js';
import { type Clock, realClock } from '../../sys/clock.js';
import {
  type Armed,
  type Firing,
  type FireResult,
  newArmed,
  RunStarter,
  runCapabilities,
  type UnitsHost,
} from './runs.js';
import { nextOfUnit } from './schedule.js';
import { refuseUnheld, refuseUnseenSkills, unanswerableWebhook } from './run-caps.js';
import { type UnitRun, withEnd } from './run-ends.js';
import { toUnit, type Unit } from './spec.js';
import { RunsElsewhere } from './elsewhere.js';
import { catchUp, fireDue } from './catch-up.js';
import { onRunEnded } from './restarts.js';
import { onKernelEvent, onRunExit, UnitEvents } from './on-events.js';
import { startWatches, stopWatches } from './watching.js';
import { hookUrls, loadTokens, startHooks, stopHooks } from './hooks.js';
import { type Preview, previewUnit, type UnitInfo, unitInfo } from './preview.js';
import { ExecWindows } from './own-writes.js';
import { describeLoop, findTriggerLoop, type LoopPolicy, refuseTriggerLoop } from './trigger-graph.js';

export type { UnitInfo } from './preview.js';

export class Units {
  private readonly armed = new Map<string, Armed>();
  private readonly starter: RunStarter;
  private cancelTimer: (() => void) | null = null;
  private readonly heard: UnitEvents;
  /** start() has read the units back: from then on the events are heard while any exist (listen). */
  private started = false;
  private closed = false;
  private readonly elsewhere: RunsElsewhere;
  /** The commands processes are running and ran lately (a watch tells a run's own changes by them). */
  private readonly execs: ExecWindows;

  constructor(
    private readonly host: UnitsHost,
    private readonly clock: Clock = realClock,
  ) {
    this.starter = new RunStarter(host, clock, (armed, pid, state, code) => this.runEnded(armed, pid, state, code));
    this.elsewhere = new RunsElsewhere(host, (pid, state, code) => this.runGone(pid, state, code));
    this.execs = new ExecWindows(clock);
    this.heard = new UnitEvents(host.events, (event) => {
      this.execs.onEvent(event);
      onKernelEvent(this.starter, this.armed.values(), event);
      if (event.type === 'state' && (event.to === 'exited' || event.to === 'killed'))
        this.runGone(event.pid, event.to, event.code ?? null);
    });
  }

  /** Read the units back, take up their runs, catch up what was missed, and arm the timer. */
  async start(): Promise<void> {
    const records = await this.host.store.units.all();
    const started = await this.host.store.units.started();
    // Runs another node adopted while this one was dead count as live (isLive) until they end there.
    await this.elsewhere.find(started.map((r) => r.pid).filter((pid) => !this.host.isLive(pid)));
    for (const record of records) {
      let unit: Unit;
      try {
        unit = toUnit(JSON.parse(record.spec));
      } catch (error) {
        this.host.log('warn', `unit ${record.name} is not valid any more and stays idle: ${(error as Error).message}`);
        continue;
      }
      const unanswerable = unanswerableWebhook(unit, this.host.rootCaps); // the policy changed since its add
      if (unanswerable !== null) this.host.log('warn', unanswerable);
      const armed = newArmed(record, unit);
      for (const r of started) if (r.unit === record.name && this.host.isLive(r.pid)) armed.live.add(r.pid);
      this.armed.set(record.name, armed);
    }
    // Kept from before this check, or made by a policy edit: they stay, bounded as they run (chains.ts).
    const loop = findTriggerLoop(this.declared(), this.loopPolicy(), new Set(this.armed.keys()));
    if (loop)
      this.host.log(
        'warn',
        `${describeLoop(loop)}; each chain of their runs stops at ${param.unitChainMaxRuns} (param.unitChainMaxRuns)`,
      );
    this.started = true;
    this.listen();
    const now = this.clock.now();
    for (const armed of this.armed.values()) {
      if (armed.record.enabled) await catchUp(this.context(), armed, now);
      startWatches(this.context(), armed);
      await loadTokens(this.host, armed);
      startHooks(this.context(), armed);
    }
    this.arm();
  }

  /** The kernel's events are heard while there are units (on-events.ts UnitEvents). */
  private listen(): void {
    this.heard.follow(this.started && !this.closed && this.armed.size > 0);
  }

  private runGone(pid: number, state: 'exited' | 'killed', code: number | null): void {
    for (const armed of [...this.armed.values()]) if (armed.live.delete(pid)) this.runEnded(armed, pid, state, code);
  }

  /** A run ended: its unit's restart policy and queue, then the units waiting on it (`on: {exit}`). */
  private runEnded(armed: Armed, pid: number, state: 'exited' | 'killed', code: number | null): void {
    armed.ended = [...armed.ended.slice(-49), { pid, at: this.clock.now() }];
    onRunEnded(this.context(), armed, pid, state, code);
    onRunExit(this.starter, this.armed.values(), armed.unit.spec.name, pid, state, code);
  }

  close(): void {
    this.closed = true;
    this.elsewhere.close();
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.listen();
    for (const armed of this.armed.values()) {
      armed.cancelRestart?.();
      stopWatches(armed);
      stopHooks(this.host, armed, false);
    }
  }

  /** What adding `document` would do, nothing kept (preview.ts); a loop it would make with the units here is refused already. */
  preview(document: unknown): Preview {
    this.refuseLoops([toUnit(document)]);
    return previewUnit(document, this.host.rootCaps, this.clock.now(), nextOfUnit, (name) => this.armed.has(name));
  }

  /**
   * SPAWN_AGENT {"unit"}: the unit as a child of `parent` (its role, model, capabilities and
   * budgets, which `spawn` — the child spawn — narrows to the parent's), recorded as a run of the
   * unit. Not under its overlap policy or restarts: the parent owns its child.
   */
  spawnChild(
    parent: number,
    request: SpawnRequest,
    spawn: (request: SpawnRequest) => Pcb | Promise<Pcb>,
  ): Promise<number> {
    const armed = this.get(request.unit as string);
    if (!armed.record.enabled) throw new AosError('EPERM', `unit ${armed.unit.spec.name} is disabled`);
    return this.starter.spawnChild(armed, parent, request, spawn);
  }

  /** The URLs of its webhook triggers. */
  webhooks(name: string): Array<{ path: string; url: string | null }> {
    return hookUrls(this.host, this.get(name));
  }

  /** What a unit's runs hold now (its capabilities within the policy's root in force). */
  capabilities(name: string): string[] {
    return runCapabilities(this.get(name).unit, this.host.rootCaps);
  }

  /** EINVAL naming the loop these units (new, or in place of those of their names) would make with the rest, less `removed`. */
  refuseLoops(changed: readonly Unit[], removed: readonly string[] = []): void {
    refuseTriggerLoop(this.declared(), changed, removed, this.loopPolicy());
  }

  private declared = (): Unit[] => [...this.armed.values()].map((a) => a.unit);
  private loopPolicy = (): LoopPolicy => this.host.loopPolicy;

  /** Add a unit, or replace the one of that name (its runs going on); EEXIST when it exists and `replace` is not set. `loopsChecked`: by its set, whole (unit-set.ts). */
  add(document: unknown, options: { replace?: boolean; loopsChecked?: boolean } = {}): UnitInfo {
    const unit = toUnit(document);
    const { name } = unit.spec;
    // Before anything is kept: a unit refused here must not come back at the next start.
    if (unit.triggers.some((t) => t.kind === 'webhook') && this.host.webhooks.urlOf('x', 'x') === null) {
      throw new AosError(
        'EIO',
        `unit ${name} has a webhook trigger, and webhooks are not enabled in this kernel (start it with a webhook port)`,
      );
    }
    refuseUnheld(unit, this.host.rootCaps);
    refuseUnseenSkills(unit, this.host.rootCaps, this.host.hasSkill);
    const old = this.armed.get(name);
    if (old && !options.replace)
      throw new AosError('EEXIST', `a unit named ${name} exists: remove it first, or apply the file with aos up`);
    if (!options.loopsChecked) this.refuseLoops([unit]);
    if (!old && this.armed.size >= param.maxUnits)
      throw new AosError('EAGAIN', `this kernel holds ${param.maxUnits} units, its most`);
    const now = this.clock.now();
    const record: UnitRecord = {
      name,
      spec: JSON.stringify(document),
      enabled: unit.spec.enabled,
      anchor: old?.record.anchor ?? now,
      added_at: old?.record.added_at ?? now,
      updated_at: now,
      checked_at: old?.record.checked_at ?? now,
    };
    this.host.store.units.put(record);
    old?.cancelRestart?.();
    if (old) {
      stopWatches(old);
      stopHooks(this.host, old, false);
    }
    const armed = newArmed(record, unit, old);
    this.armed.set(name, armed);
    startWatches(this.context(), armed);
    startHooks(this.context(), armed);
    this.arm();
    this.listen();
    return this.info(name);
  }

  /** Its triggers stop and what was queued is dropped; runs going on go on (they are ordinary processes). */
  remove(name: string): UnitInfo {
    const armed = this.get(name);
    const info = this.info(name);
    armed.cancelRestart?.();
    stopWatches(armed);
    stopHooks(this.host, armed, true);
    this.armed.delete(name);
    this.host.store.units.remove(name);
    this.host.keys.forget(`unit:${name}`); // a new unit of the name is new: no event of the old one is its duplicate
    this.arm();
    this.listen();
    return info;
  }

  setEnabled(name: string, enabled: boolean): UnitInfo {
    const armed = this.get(name);
    if (armed.record.enabled !== enabled) {
      const now = this.clock.now();
      // Enabled again: counted from now, nothing caught up for the time it was off.
      armed.record = {
        ...armed.record,
        enabled,
        updated_at: now,
        ...(enabled ? { anchor: now, checked_at: now } : {}),
      };
      if (!enabled) {
        armed.queue.length = 0;
        armed.cancelRestart?.();
        armed.cancelRestart = null;
      }
      this.host.store.units.put(armed.record);
      startWatches(this.context(), armed);
      if (enabled) startHooks(this.context(), armed);
      else stopHooks(this.host, armed, false);
      this.arm();
    }
    return this.info(name);
  }

  /** `aos unit run`: one run now, by hand, under the unit's overlap policy. */
  run(name: string, fields: Record<string, string> = {}): Promise<FireResult> {
    const armed = this.get(name);
    armed.restarts = 0;
    return this.starter.fire(armed, {
      trigger: 'by hand',
      scheduledFor: null,
      catchUp: false,
      fields: { kind: 'hand', ...fields },
    });
  }

  /** A firing from outside the unit's triggers (a channel's message, kernel/channels): under the same caps and overlap policy. */
  fire(name: string, firing: Firing): Promise<FireResult> {
    const armed = this.get(name);
    return armed.record.enabled
      ? this.starter.fire(armed, firing)
      : Promise.resolve(this.starter.skipped(armed, firing, 'the unit is disabled'));
  }

  list<T = UnitInfo>(each: (name: string) => T = (name) => this.info(name) as T): T[] {
    return [...this.armed.keys()].sort().map(each);
  }

  info(name: string, runs?: readonly UnitRunRecord[], endOf = this.host.endOf): UnitInfo {
    const armed = this.get(name);
    for (const pid of armed.live) if (!this.host.isLive(pid)) armed.live.delete(pid);
    return unitInfo(
      armed,
      runs ?? this.host.store.units.runs(name, 1_000),
      armed.record.enabled ? nextOfUnit(armed, this.clock.now()) : null,
      endOf,
    );
  }

  /** Resolves once the unit's watch triggers see changes (their first read of the workspace is done). */
  async watching(name: string): Promise<void> {
    await Promise.all(this.get(name).watches.map((w) => w.ready));
  }

  spec(name: string): Unit['spec'] {
    return this.get(name).unit.spec;
  }

  runs(name: string, limit: number, rows?: readonly UnitRunRecord[], endOf = this.host.endOf): UnitRun[] {
    this.get(name);
    return (rows ?? this.host.store.units.runs(name, limit)).map((run) => withEnd(run, endOf));
  }

  private get(name: string): Armed {
    const armed = this.armed.get(name);
    if (!armed)
      throw new AosError(
        'ESRCH',
        `no unit named ${name}${this.armed.size ? ` (there are: ${[...this.armed.keys()].sort().slice(0, 10).join(', ')})` : ''}`,
      );
    return armed;
  }

  /** One timer, for the earliest due time of every enabled unit. */
  private arm(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    if (this.closed) return;
    const now = this.clock.now();
    let next: number | null = null;
    for (const armed of this.armed.values()) {
      if (!armed.record.enabled) continue;
      const due = nextOfUnit(armed, now);
      if (due !== null && (next === null || due < next)) next = due;
    }
    if (next !== null) this.cancelTimer = this.clock.setTimer(next - now, () => void this.tick());
  }

  /** Fire what is due (catch-up.ts fireDue). */
  private async tick(): Promise<void> {
    this.cancelTimer = null;
    const now = this.clock.now();
    const starts = [...this.armed.values()].flatMap((armed) =>
      armed.record.enabled && !this.closed ? fireDue(this.context(), armed, now) : [],
    );
    // Armed before the runs start: the next due time does not wait for a slow spawn.
    this.arm();
    await Promise.all(starts);
  }

  private context(): {
    starter: RunStarter;
    clock: Clock;
    host: UnitsHost;
    execs: ExecWindows;
    units: () => Iterable<Armed>;
  } {
    return {
      starter: this.starter,
      clock: this.clock,
      host: this.host,
      execs: this.execs,
      units: () => this.armed.values(),
    };
  }
}
