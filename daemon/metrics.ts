/**
 * The kernel's Prometheus metrics (issue 51), served at `/metrics` on the gateway when AOS_METRICS=1
 * (metrics-route.ts). Counters are counted from the events the store has committed, the same
 * stream `aos logs -f` follows, so a count is never of something a crash could undo; gauges
 * (metrics-gauges.ts) are read from the kernel's door at each scrape. prom-client writes the
 * exposition format. No label carries a task, a message or a secret: labels are syscall names,
 * errno codes, model ids, states and names a policy gives, each capped (metrics-labels.ts).
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { KernelApi, StoredEvent } from '../kernel/api.js';
import type { KernelEvent } from '../protocol/events.js';
import { endKind } from '../protocol/status.js';
import { CAPS, LabelCap, providerOf } from './metrics-labels.js';
import { KernelGauges } from './metrics-gauges.js';

type Caps = { [K in keyof typeof CAPS]: LabelCap };

/** Of a `state` event. */
type StateEvent = Extract<KernelEvent, { type: 'state' }>;

export class KernelMetrics {
  readonly registry = new Registry();
  private readonly caps = Object.fromEntries(
    Object.entries(CAPS).map(([label, max]) => [label, new LabelCap(max)]),
  ) as Caps;
  private readonly gauges: KernelGauges;
  /** Each live process's cost when last seen: spend is counted as it grows, by the model it ran on. */
  private readonly costSeen = new Map<number, number>();
  /** Unit runs under way (a trigger's `started` names the run's pid): their unit, counted when they end. */
  private readonly runs = new Map<number, string>();
  private kernel: KernelApi | null = null;
  private stopListening: () => void = () => undefined;

  private readonly events: Counter<'type'>;
  private readonly turns: Counter<'model' | 'provider'>;
  private readonly tokens: Counter<'model' | 'provider' | 'kind'>;
  private readonly spend: Counter<'model' | 'provider'>;
  private readonly retries: Counter<'provider' | 'kind'>;
  private readonly syscalls: Counter<'name'>;
  private readonly results: Counter<'name' | 'ok'>;
  private readonly errors: Counter<'name' | 'errno'>;
  private readonly spawns: Counter<never>;
  private readonly exits: Counter<'state' | 'kind'>;
  private readonly messages: Counter<'channel'>;
  private readonly approvals: Counter<'status'>;
  private readonly budgetEvents: Counter<'budget' | 'state'>;
  private readonly triggers: Counter<'unit' | 'outcome'>;
  private readonly unitRuns: Counter<'unit' | 'outcome'>;
  private readonly commitDelay: Histogram<never>;

  constructor() {
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> =>
      new Counter({ name, help, labelNames, registers });
    this.events = counter('aos_events_total', 'Kernel events committed to the store, by type.', ['type']);
    this.turns = counter('aos_turns_total', 'Turns: model replies a process received.', ['model', 'provider']);
    this.tokens = counter('aos_model_tokens_total', 'Tokens of model replies, by kind (prompt, output, cached).', [
      'model',
      'provider',
      'kind',
    ]);
    this.spend = counter('aos_spend_usd_total', 'What processes spent on models, in US dollars.', [
      'model',
      'provider',
    ]);
    this.retries = counter('aos_model_retries_total', 'Model calls that failed and were retried, by failure kind.', [
      'provider',
      'kind',
    ]);
    this.syscalls = counter('aos_syscalls_total', 'Syscalls processes made, by name.', ['name']);
    this.results = counter('aos_syscall_results_total', 'Syscall results, by name and whether they succeeded.', [
      'name',
      'ok',
    ]);
    this.errors = counter('aos_syscall_errors_total', 'Syscalls that failed, by name and errno.', ['name', 'errno']);
    this.spawns = counter('aos_process_spawns_total', 'Processes spawned.');
    this.exits = counter('aos_process_exits_total', 'Processes that ended, by state and why (ok, max turns, …).', [
      'state',
      'kind',
    ]);
    this.messages = counter('aos_messages_total', 'Messages between processes and the world, by channel.', ['channel']);
    this.approvals = counter('aos_approvals_total', 'Approval requests and their answers, by status.', ['status']);
    this.budgetEvents = counter('aos_budget_events_total', 'Budget warnings, exhaustions, pauses, raises.', [
      'budget',
      'state',
    ]);
    this.triggers = counter('aos_unit_triggers_total', 'Unit triggers that fired, by outcome.', ['unit', 'outcome']);
    this.unitRuns = counter('aos_unit_runs_total', 'Unit runs that ended, by outcome.', ['unit', 'outcome']);
    this.commitDelay = new Histogram({
      name: 'aos_store_commit_delay_seconds',
      help: 'From an event to its commit in the store: what a client waits before it is shown it.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.gauges = new KernelGauges(this.registry, this.caps);
    collectDefaultMetrics({ register: this.registry, prefix: 'aos_daemon_' });
  }

  /** Count what this kernel commits from now on. */
  attach(kernel: KernelApi): void {
    this.kernel = kernel;
    // Processes resumed from the store spent what they spent before this daemon: not counted again.
    // Live rows come from memory: resolved before any commit can be observed (commits answer on a later turn of the loop).
    void kernel.processes().then((rows) => {
      for (const row of rows) if (!this.costSeen.has(row.pid)) this.costSeen.set(row.pid, row.cost);
    });
    this.stopListening = kernel.store.onCommitted((events) => this.observe(events));
  }

  close(): void {
    this.stopListening();
  }

  /** The exposition text, its gauges read now. */
  async render(): Promise<string> {
    if (this.kernel) this.gauges.read(this.kernel);
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private observe(events: readonly StoredEvent[]): void {
    const now = Date.now();
    for (const { event } of events) {
      const at = Date.parse(event.ts);
      if (Number.isFinite(at)) this.commitDelay.observe(Math.max(0, now - at) / 1000);
      this.count(event);
    }
  }

  private count(event: KernelEvent): void {
    const c = this.caps;
    this.events.inc({ type: c.kind.value(event.type) });
    switch (event.type) {
      case 'model': {
        const model = event.model ?? this.kernel?.pcb(event.pid)?.model;
        const labels = { model: c.model.value(model ?? 'unknown'), provider: c.provider.value(providerOf(model)) };
        this.turns.inc(labels);
        if (event.usage) {
          this.tokens.inc({ ...labels, kind: 'prompt' }, event.usage.prompt);
          this.tokens.inc({ ...labels, kind: 'output' }, event.usage.output);
          if (event.usage.cached) this.tokens.inc({ ...labels, kind: 'cached' }, event.usage.cached);
        }
        this.countSpend(event.pid, labels);
        return;
      }
      case 'retry': {
        const model = this.kernel?.pcb(event.pid)?.model;
        this.retries.inc({ provider: c.provider.value(providerOf(model)), kind: c.kind.value(event.kind) });
        return;
      }
      case 'syscall':
        this.syscalls.inc({ name: c.syscall.value(event.name) });
        return;
      case 'result': {
        const name = c.syscall.value(event.name);
        this.results.inc({ name, ok: String(event.ok) });
        if (!event.ok) this.errors.inc({ name, errno: c.errno.value(event.errno ?? 'unknown') });
        return;
      }
      case 'state':
        return this.countState(event);
      case 'message':
        this.messages.inc({ channel: event.channel });
        return;
      case 'approval':
        this.approvals.inc({ status: event.status });
        return;
      case 'budget':
        this.budgetEvents.inc({ budget: c.budget.value(event.budget), state: event.state });
        return;
      case 'trigger':
        this.triggers.inc({ unit: c.unit.value(event.unit), outcome: event.outcome });
        if (event.outcome === 'started' && event.pid > 0) this.runs.set(event.pid, event.unit);
        return;
      default:
        return;
    }
  }

  private countState(event: StateEvent): void {
    if (event.from === null) this.spawns.inc();
    if (event.to !== 'exited' && event.to !== 'killed') return;
    const kind = endKind(event.reason ?? null) ?? (event.to === 'exited' && (event.code ?? 0) === 0 ? 'ok' : 'other');
    this.exits.inc({ state: event.to, kind });
    // The last of its spend: what its final turn cost may not have been seen at its `model` event.
    const model = this.kernel?.pcb(event.pid)?.model;
    this.countSpend(event.pid, {
      model: this.caps.model.value(model ?? 'unknown'),
      provider: this.caps.provider.value(providerOf(model)),
    });
    this.costSeen.delete(event.pid);
    const unit = this.runs.get(event.pid);
    if (unit === undefined) return;
    this.runs.delete(event.pid);
    const outcome = event.to === 'killed' ? 'killed' : (event.code ?? 0) === 0 ? 'succeeded' : 'failed';
    this.unitRuns.inc({ unit: this.caps.unit.value(unit), outcome });
  }

  /** What the process spent since it was last seen, charged to `labels`. */
  private countSpend(pid: number, labels: { model: string; provider: string }): void {
    const cost = this.kernel?.pcb(pid)?.counters.cost;
    if (cost === undefined) return;
    const grown = cost - (this.costSeen.get(pid) ?? 0);
    this.costSeen.set(pid, cost);
    if (grown > 0) this.spend.inc(labels, grown);
  }
}
