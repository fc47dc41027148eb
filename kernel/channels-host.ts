/** What the channels need of the kernel (kernel/channels/host.ts ChannelsHost), made from the kernel's parts. */
import type { ChannelsHost } from './channels/host.js';
import type { UnitsSource } from './units-host.js';
import type { Units } from './units/units.js';
import type { Threads } from './ipc/threads.js';
import type { Mailboxes } from './ipc/mailboxes.js';
import type { SecretBox } from './safety/secrets.js';
import { isEnded } from '../sys/types.js';
import type { EventBus } from '../protocol/events.js';
import type { Approvals } from './safety/approvals.js';
import type { Proposals } from './safety/proposals.js';

export interface ChannelsSource extends Pick<
  UnitsSource,
  'store' | 'closing' | 'webhooks' | 'table' | 'keys' | 'log' | 'safety' | 'opened'
> {
  readonly units: Units;
  readonly threads: Threads;
  readonly mailboxes: Mailboxes;
  readonly safety: UnitsSource['safety'] & {
    readonly secrets: SecretBox;
    readonly approvals: Approvals;
    readonly proposals: Pick<Proposals, 'undo'>;
  };
  readonly events: EventBus;
}

export function channelsHost(k: ChannelsSource): ChannelsHost {
  return {
    store: k.store,
    get keys() {
      return k.keys;
    },
    get secrets() {
      return k.safety.secrets;
    },
    webhooks: k.webhooks,
    workspace: k.opened.fs.root,
    get closing() {
      return k.closing;
    },
    appendThread: (key, entry) =>
      void k.threads.append(key, { text: entry.text, kind: entry.kind, pid: entry.pid, unit: null }),
    // One lookup (list() would read every unit's runs from the store).
    hasUnit: (name) => {
      try {
        k.units.spec(name);
        return true;
      } catch {
        return false;
      }
    },
    fireUnit: (name, f) =>
      k.units.fire(name, {
        trigger: f.label,
        scheduledFor: null,
        catchUp: false,
        fields: f.fields,
        event: f.event,
        eventId: f.eventId,
        attach: f.attach,
        bind: (pid) => (f.bind(pid), {}),
      }),
    sendStdin: (pid, text, queued) => k.mailboxes.sendStdin(pid, text, queued),
    onStdinShown: (listener) => k.mailboxes.onShown(listener),
    isLive: (pid) => {
      const proc = k.table.get(pid);
      return proc !== undefined && !isEnded(proc.pcb.state);
    },
    lineage: (pid) => {
      const proc = k.table.get(pid);
      return {
        unit: k.table.pcb(pid)?.unit ?? null,
        ancestors: proc ? k.table.lineage(proc).map((a) => ({ pid: a.pid, unit: a.unit })) : [],
      };
    },
    outside: (pid, detail, text) => k.safety.outside(pid, 'channel', detail, text, true),
    audit: (input) => k.safety.audit.record(input),
    log: (level, message) => k.log(level, message),
    approvals: {
      subscribe: (listener) =>
        k.events.subscribe((e) => {
          if (e.type === 'approval')
            listener({
              id: e.id,
              pid: e.pid,
              status: e.status,
              ...(e.via ? { via: e.via } : {}),
              ...(e.reason ? { reason: e.reason } : {}),
            });
        }),
      view: (id) => k.safety.approvals.list(1_000).find((a) => a.id === id),
      pendingOf: (pid) =>
        k.safety.approvals
          .list(1_000)
          .filter((a) => a.pid === pid)
          .map((a) => a.id),
      approve: (id, via) => void k.safety.approvals.approve(id, via),
      deny: (id, reason, via) => void k.safety.approvals.deny(id, reason, via),
    },
    proposals: {
      subscribe: (listener) =>
        k.events.subscribe((e) => {
          if (e.type === 'proposal')
            listener({
              id: e.id,
              pid: e.pid,
              call: e.call,
              rule: e.rule,
              subject: e.subject,
              state: e.state,
              expires_at: e.expires_at,
              ...(e.via ? { via: e.via } : {}),
            });
        }),
      undo: (id, via) => k.safety.proposals.undo(id, via),
    },
  };
}
