/**
 * The gauges of the kernel's Prometheus metrics (metrics.ts): what is true now — processes by
 * state, the scheduler's queues, approvals waiting and for how long, budgets' spend in their
 * current windows, channel adapters, the cluster's nodes — read from the kernel's door at each
 * scrape. Each gauge is reset before it is read, so a label set that is gone (a budget removed from
 * the policy, a node that left) stops being exported.
 */
import { Gauge, type Registry } from 'prom-client';
import type { KernelApi } from '../kernel/api.js';
import { param } from '../sys/param.js';
import type { CAPS, LabelCap } from './metrics-labels.js';

type Caps = { [K in keyof typeof CAPS]: LabelCap };

export class KernelGauges {
  private readonly all: Array<Gauge<string>> = [];
  private readonly processes: Gauge<'state'>;
  private readonly inferences: Gauge<never>;
  private readonly queueDepth: Gauge<never>;
  private readonly providerQueued: Gauge<'provider'>;
  private readonly providerInFlight: Gauge<'provider'>;
  private readonly approvalsPending: Gauge<never>;
  private readonly approvalOldest: Gauge<never>;
  private readonly budgetUsd: Gauge<'budget'>;
  private readonly budgetTokens: Gauge<'budget'>;
  private readonly budgetPaused: Gauge<'budget'>;
  private readonly channelUp: Gauge<'channel' | 'state'>;
  private readonly channelMessages: Gauge<'channel' | 'direction'>;
  private readonly clusterNodes: Gauge<'state'>;
  private readonly nodeBehind: Gauge<'node'>;

  constructor(
    registry: Registry,
    private readonly caps: Caps,
  ) {
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> => {
      const made = new Gauge({ name, help, labelNames, registers: [registry] });
      this.all.push(made as Gauge<string>);
      return made;
    };
    this.processes = gauge('aos_processes', 'Processes by state (ended ones the store still has included).', ['state']);
    this.inferences = gauge('aos_inferences_active', 'Model requests in flight now.');
    this.queueDepth = gauge('aos_scheduler_queue_depth', 'Turns waiting for the scheduler.');
    this.providerQueued = gauge('aos_provider_queued', 'Turns waiting for a provider.', ['provider']);
    this.providerInFlight = gauge('aos_provider_in_flight', 'Model requests in flight, by provider.', ['provider']);
    this.approvalsPending = gauge('aos_approvals_pending', 'Approval requests waiting for an answer.');
    this.approvalOldest = gauge(
      'aos_approval_oldest_age_seconds',
      'How long the oldest approval request has waited (0 when none waits).',
    );
    this.budgetUsd = gauge('aos_budget_spent_usd', 'Spend counted against a budget in its current windows, in USD.', [
      'budget',
    ]);
    this.budgetTokens = gauge('aos_budget_spent_tokens', 'Tokens counted against a budget in its current windows.', [
      'budget',
    ]);
    this.budgetPaused = gauge('aos_budget_paused_processes', 'Processes paused on a budget.', ['budget']);
    this.channelUp = gauge('aos_channel_state', 'A channel adapter: 1 on the label of its state.', [
      'channel',
      'state',
    ]);
    this.channelMessages = gauge(
      'aos_channel_messages',
      "A channel's messages by direction (inbound, outbound, duplicate, dropped, held, failed), as its adapter counts them.",
      ['channel', 'direction'],
    );
    this.clusterNodes = gauge('aos_cluster_nodes', "The cluster's nodes by state (none when the kernel runs alone).", [
      'state',
    ]);
    this.nodeBehind = gauge('aos_cluster_node_heartbeat_behind_seconds', "How far a node's heartbeat is behind.", [
      'node',
    ]);
  }

  /** Every gauge read from `kernel` now. */
  read(kernel: KernelApi): void {
    for (const g of this.all) g.reset();
    const c = this.caps;
    const stats = kernel.stats();
    for (const [state, n] of Object.entries(stats.processes)) this.processes.set({ state }, n);
    this.inferences.set(stats.active_inferences);
    this.queueDepth.set(stats.queue_depth);
    for (const p of stats.providers) {
      const provider = c.provider.value(p.provider);
      this.providerQueued.inc({ provider }, p.queued);
      this.providerInFlight.inc({ provider }, p.in_flight);
    }
    // As `aos approvals` reads them: a request whose process has ended is settled on the way, not counted.
    const pending = kernel.safety.approvals.list(param.approvalsMaxListed);
    this.approvalsPending.set(pending.length);
    const oldest = Math.min(...pending.map((a) => Date.parse(a.requested_at)).filter(Number.isFinite));
    this.approvalOldest.set(Number.isFinite(oldest) ? Math.max(0, (Date.now() - oldest) / 1000) : 0);
    for (const spec of kernel.budgets.budgets) {
      const budget = c.budget.value(spec.name);
      for (const count of kernel.budgets.current(spec.name)) {
        this.budgetUsd.inc({ budget }, count.usd);
        this.budgetTokens.inc({ budget }, count.tokens);
      }
      this.budgetPaused.inc({ budget }, kernel.budgets.pausedPids(spec.name).length);
    }
    for (const info of kernel.channels.list()) {
      const channel = c.channel.value(info.name);
      this.channelUp.set({ channel, state: info.state }, 1);
      for (const [direction, n] of Object.entries(info.counts)) this.channelMessages.inc({ channel, direction }, n);
    }
    for (const node of stats.cluster?.nodes ?? []) {
      this.clusterNodes.inc({ state: node.state });
      this.nodeBehind.set({ node: c.node.value(node.name) }, node.behind_ms / 1000);
    }
  }
}
