/**
 * The chain around a model request, as Temporal's interceptors wrap an activity: what the turn
 * needs besides asking the model — a thread's summary brought up to date, a context compacted,
 * personal data kept local, budgets reserved and settled — is an interceptor, listed once in
 * model-interceptors.ts and installed only while the kernel is configured for it. This file is the
 * part the spine knows: the interface and how a chain runs. It runs whatever chain it is handed.
 *
 * An interceptor has up to three hooks, one per stage of a request:
 * - `system`: its part of a process's system prompt (built once per process, then kept);
 * - `prepare`: before a turn's request is built, the context brought up to date (a turn's only:
 *   it may itself ask the model, through `send`);
 * - `send`: around every request, whatever its purpose — it sees the request before `next` sends
 *   it on (and may change it, or the model it goes to) and the reply after; a throw from further in
 *   passes back through it (its `finally` settles what it holds).
 */
import type { ModelDriver, ModelReply, ModelRequest } from '../../drivers/llm/types.js';
import type { Proc } from '../proc/proc.js';
import type { Lease } from '../sched/model-pool.js';

/** What a request is for: a turn, the summary of a compaction or of a thread, an eval's turn. */
export type ModelPurpose = 'turn' | 'compaction' | 'thread-summary' | 'eval';

/** One model request on its way out. */
export interface ModelCall {
  readonly purpose: ModelPurpose;
  /** Who pays: the process it is for (the budgets over it, its lineage), or null (an eval: the kernel's budgets count it). */
  readonly payer: Proc | null;
  readonly model: string;
  /** `model`'s driver (an interceptor that changes the model changes it too). */
  readonly driver: ModelDriver;
  readonly request: ModelRequest;
}

/** Sends a request on, to the next interceptor or, after the last, to the model pool. */
export type SendModel = (call: ModelCall) => Promise<ModelReply>;

/** What a turn's preparation works on. */
export interface TurnPrep {
  readonly proc: Proc;
  /** The driver of the model the turn runs on, and its lease (a summary made here goes on it). */
  readonly driver: ModelDriver;
  readonly lease: Lease;
  /** The process's system prompt: built at the first ask, after the stages before it have run; kept after. */
  system(): string | Promise<string>;
}

export interface ModelInterceptor {
  system?(proc: Proc): string | Promise<string>;
  /** A promise only when there is something to await: a turn that needs nothing awaits nothing. */
  prepare?(turn: TurnPrep): Promise<unknown> | null;
  send?(call: ModelCall, next: SendModel): Promise<ModelReply>;
}

/** A line of the table: an interceptor and whether it is installed. */
export interface ChainEntry {
  readonly name: string;
  readonly interceptor: ModelInterceptor;
  /** Read again at every request: a reloaded policy installs or removes it from the next request on. */
  installed(): boolean;
}

export class ModelChain {
  constructor(readonly entries: readonly ChainEntry[]) {}

  /** The interceptors installed now that have `hook`, in the table's order. */
  private with<K extends keyof ModelInterceptor>(hook: K): Array<Required<Pick<ModelInterceptor, K>>> {
    const out: Array<Required<Pick<ModelInterceptor, K>>> = [];
    for (const entry of this.entries)
      if (entry.interceptor[hook] && entry.installed())
        out.push(entry.interceptor as Required<Pick<ModelInterceptor, K>>);
    return out;
  }

  /** The interceptors' parts of a system prompt, in order. */
  async system(proc: Proc): Promise<string> {
    let text = '';
    for (const interceptor of this.with('system')) text += await interceptor.system(proc);
    return text;
  }

  /** Each `prepare` in order, the next once the one before is done; null when none had anything to await. */
  prepare(turn: TurnPrep): Promise<void> | null {
    const stages = this.with('prepare');
    const from = (i: number): Promise<void> | null => {
      for (; i < stages.length; i++) {
        const pending = stages[i]?.prepare(turn);
        if (pending) return pending.then(() => from(i + 1) ?? undefined);
      }
      return null;
    };
    return from(0);
  }

  /** `call` through every installed `send`, then `last`; the reply, and the call as it left the last interceptor. */
  async send(call: ModelCall, last: SendModel): Promise<{ reply: ModelReply; sent: ModelCall }> {
    const stages = this.with('send');
    let sent = call;
    const at =
      (i: number): SendModel =>
      (next) => {
        const stage = stages[i];
        if (stage) return stage.send(next, at(i + 1));
        sent = next;
        return last(next);
      };
    const reply = await at(0)(call);
    return { reply, sent };
  }
}
