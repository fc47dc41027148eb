/**
 * `on` triggers: a unit started by what happens in the kernel — a run of another unit ending (with
 * the exit codes that count), an approval request expiring. The run is told what happened
 * (`"event"` in its `[EVENT::TRIGGER]`, `{{trigger.*}}`); a budget over time crossing 80 % or 100 %.
 * The kernel's events are heard only while units exist (UnitEvents): a kernel without units runs
 * no units code per event.
 */
import type { EventBus, KernelEvent } from '../../protocol/events.js';
import type { Armed, RunStarter } from './runs.js';
import type { Trigger } from './trigger-spec.js';
import { onEventId } from './event-id.js';
import type { Chain } from './chains.js';

type On = Extract<Trigger, { kind: 'on' }>;

/** `chain`: the runs whose doing this is (chains.ts), which the run continues. */
function fire(
  starter: RunStarter,
  armed: Armed,
  trigger: On,
  event: Record<string, string | number>,
  chain: Chain,
): void {
  if (!armed.record.enabled) return;
  armed.restarts = 0;
  const eventId = onEventId(event);
  void starter.fire(armed, {
    trigger: trigger.label,
    scheduledFor: null,
    catchUp: false,
    fields: { kind: 'on', ...event },
    event,
    chain,
    ...(eventId === null ? {} : { eventId }),
  });
}

/** A run of unit `unit` ended: the units whose `on: {exit}` names it (and its code) fire. */
export function onRunExit(
  starter: RunStarter,
  units: Iterable<Armed>,
  unit: string,
  pid: number,
  state: 'exited' | 'killed',
  code: number | null,
): void {
  const exit = code ?? (state === 'killed' ? 137 : 0);
  for (const armed of units) {
    for (const trigger of armed.unit.triggers) {
      if (trigger.kind !== 'on' || trigger.on.event !== 'exit') continue;
      if (!trigger.on.unit.test(unit)) continue;
      if (trigger.on.codes !== null && !trigger.on.codes.includes(exit)) continue;
      fire(starter, armed, trigger, { event: 'exit', unit, pid, code: exit, state }, starter.chains.of(pid));
    }
  }
}

/** A budget crossed its warning (80 %) or its limit (100 %): the units whose `on: {budget}` covers it fire. */
function onBudget(starter: RunStarter, units: Iterable<Armed>, event: Extract<KernelEvent, { type: 'budget' }>): void {
  if (event.state !== 'warning' && event.state !== 'exhausted') return;
  for (const armed of units) {
    for (const trigger of armed.unit.triggers) {
      if (trigger.kind !== 'on' || trigger.on.event !== 'budget') continue;
      if (trigger.on.budget && !trigger.on.budget.test(event.budget)) continue;
      if (trigger.on.level !== null && trigger.on.level !== event.state) continue;
      const chain = starter.chains.ofBudgetKey(event.key);
      fire(
        starter,
        armed,
        trigger,
        {
          event: 'budget',
          budget: event.budget,
          key: event.key,
          window: event.window,
          level: event.state,
          spent_usd: event.spent_usd,
          spent_tokens: event.spent_tokens,
        },
        chain,
      );
    }
  }
}

/** A kernel event the `on` triggers may be waiting for (an approval that expired, a budget crossed). */
export function onKernelEvent(starter: RunStarter, units: Iterable<Armed>, event: KernelEvent): void {
  if (event.type === 'budget') return onBudget(starter, units, event);
  if (event.type !== 'approval' || event.status !== 'expired') return;
  for (const armed of units) {
    for (const trigger of armed.unit.triggers) {
      if (trigger.kind !== 'on' || trigger.on.event !== 'approval_expired') continue;
      fire(
        starter,
        armed,
        trigger,
        { event: 'approval_expired', pid: event.pid, approval: event.id, call: event.call, rule: event.rule },
        starter.chains.of(event.pid),
      );
    }
  }
}

/**
 * The units' ear on the kernel's events, attached only while it is wanted (there are units): the
 * first unit added attaches it, the last one removed detaches it. A removed unit's runs go on as
 * ordinary processes, no unit's any more, so nothing is missed while no unit exists.
 */
export class UnitEvents {
  private stop: (() => void) | null = null;

  constructor(
    private readonly events: Pick<EventBus, 'subscribe'>,
    private readonly listener: (event: KernelEvent) => void,
  ) {}

  follow(wanted: boolean): void {
    if (wanted && !this.stop) this.stop = this.events.subscribe(this.listener);
    else if (!wanted && this.stop) {
      this.stop();
      this.stop = null;
    }
  }
}
