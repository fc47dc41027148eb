/** The kernel's event stream: the shape `aos logs --json` prints, one object per line. */
import type { ProcState } from '../sys/types.js';

interface EventBase {
  ts: string;
  pid: number;
}

export type KernelEvent = EventBase &
  (
    | {
        type: 'state';
        from: ProcState | null;
        to: ProcState;
        reason?: string;
        code?: number;
        /** On spawn (from null): who the process is. */
        name?: string;
        ppid?: number;
        role?: string;
        model?: string;
      }
    | {
        type: 'prompt';
        turn: number;
        /** The transcript row that holds `text`: the store keeps the text once, in that row. */
        transcript_seq?: number;
        text: string;
      }
    | {
        type: 'model';
        turn: number;
        /** The transcript row that holds `text` (see `prompt`). */
        transcript_seq?: number;
        usage?: { prompt: number; output: number; cached?: number };
        finish?: string;
        /** The model the turn ran on, when the process has a ladder of them. */
        model?: string;
        text: string;
      }
    /**
     * What the turn's request held that `prompt` and `model` do not say (kernel/loop/sent-record.ts),
     * just before its `model` event: the system prompt when it is new for the process, and every
     * message when the list is not the last request's grown by its reply and this prompt (a
     * compaction, a cut, a fork's or a restart's first turn). `aos record` keeps both.
     */
    | { type: 'request'; turn: number; system?: string; messages?: Array<{ role: 'user' | 'model'; text: string }> }
    /** A laddered process's rung for a turn, and why (kernel/sched/ladder.ts). */
    | { type: 'route'; turn: number; rung: number; model: string; reason: string }
    /**
     * A budget over time (kernel/cost/budgets.ts): 80 % spent (`warning`), all of it (`exhausted`),
     * a process paused on it or going on (`paused`, `resumed`: `pid` is the process's), or a person's
     * `raised` / `reset`. `key` is what it counts (`kernel`, `unit:digest`, `tree:7`), `window` when.
     */
    | {
        type: 'budget';
        budget: string;
        key: string;
        window: string;
        state: 'warning' | 'exhausted' | 'paused' | 'resumed' | 'raised' | 'reset';
        spent_usd: number;
        spent_tokens: number;
        limit_usd?: number;
        limit_tokens?: number;
      }
    | { type: 'syscall'; turn: number; seq: number; name: string; args: Record<string, unknown> }
    | {
        type: 'result';
        turn: number;
        seq: number;
        name: string;
        ok: boolean;
        errno?: string;
        message?: string;
        value?: unknown;
      }
    | {
        type: 'message';
        from_pid: number;
        to_pid: number;
        channel: 'msg' | 'stdin' | 'stdout' | 'webhook';
        content: string;
      }
    | { type: 'error'; message: string }
    /** The model call failed and the pool retries it after `delay_ms` (a 429 waits out the provider's Retry-After); `endpoint`: where it went. */
    | {
        type: 'retry';
        turn: number;
        attempt: number;
        max: number;
        delay_ms: number;
        kind: string;
        status?: number;
        endpoint?: string;
        message: string;
      }
    | {
        type: 'approval';
        id: string;
        call: string;
        rule: string;
        status: 'pending' | 'approved' | 'denied' | 'expired' | 'superseded' | 'withdrawn';
        decided_by?: 'person' | 'policy' | 'timeout';
        via?: string;
        reason?: string;
      }
    /** A call a `propose` rule let run (kernel/safety/proposals.ts): pending until `expires_at`, then undone or final. */
    | {
        type: 'proposal';
        id: string;
        call: string;
        rule: string;
        subject: string;
        state: 'pending' | 'undone' | 'final';
        expires_at: string;
        decided_by?: 'person' | 'timeout';
        via?: string;
      }
    /**
     * A unit's trigger fired (kernel/units): the run it started (`pid` is the run's), or why it did
     * not start one (`pid` 0: skipped, queued, failed).
     */
    | {
        type: 'trigger';
        unit: string;
        trigger: string;
        outcome: 'started' | 'skipped' | 'queued' | 'failed';
        scheduled_for?: string;
        catch_up?: boolean;
        reason?: string;
      }
    /**
     * A context thread changed (kernel/ipc/threads.ts): an entry appended (`seq`, `kind`, the start
     * of its `text`), its rolling summary brought up to `through` (a model call: `model`, `tokens`),
     * created or removed. `pid` is the process that did it; 0 for a person.
     */
    | {
        type: 'thread';
        key: string;
        action: 'created' | 'appended' | 'summarized' | 'removed';
        seq?: number;
        kind?: 'note' | 'message' | 'decision' | 'result';
        unit?: string;
        text?: string;
        through?: number;
        model?: string;
        tokens?: number;
      }
  );

export type KernelEventType = KernelEvent['type'];

/** Distributes an event without the `ts`/`pid` boilerplate at every call site. */
export type EventInput = KernelEvent extends infer E ? (E extends KernelEvent ? Omit<E, 'ts'> : never) : never;

export type EventListener = (event: KernelEvent) => void;

let lastMs = 0;
let lastIso = '';

/** The time as ISO text; many events share a millisecond, and formatting a Date is not free. */
function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

export class EventBus {
  private readonly listeners = new Set<EventListener>();

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(input: EventInput): KernelEvent {
    const event = { ts: isoNow(), ...input } as KernelEvent;
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken listener (a client that went away) must not break the kernel.
      }
    }
    return event;
  }
}
