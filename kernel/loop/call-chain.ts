/**
 * The interceptors around a syscall (Temporal's interceptors) and a call's life as one state union
 * (gemini-cli's scheduler). An interceptor does one thing around every call — the commit barrier,
 * the audit trail, the policy, secrets, the exec gate, the rollback journal — and
 * kernel/safety/call-interceptors.ts lists them in order, each installed only when configured: the
 * loop sits below safety, so it defines what an interceptor is and runs the chain it is handed,
 * and the table that names safety's interceptors lives where it may import them.
 *
 * The chain: each installed interceptor is entered outermost first, and goes on (handing the call
 * what it needs beside its arguments, and an `after` for its end) or refuses it, when those further
 * in and the handler never run. The `after`s run innermost first however the call ended: refused,
 * failed or answered. A call whose interceptors and handler all answer at once is answered at once:
 * no await, so no other process's work slips in between its syscall and its result.
 */
import type { CallContext, SyscallDef } from '../../syscalls/define.js';
import type { SyscallResult } from '../../sys/abi/result.js';
import { andThen } from '../../sys/waking.js';
import type { Proc } from '../proc/proc.js';

/**
 * Where a call is in its life; `advance` below moves it, and nothing else does:
 * prepared → (asking → prepared)* → refused | running → (waiting →) settled; refused | settled → done.
 */
export type CallState =
  /** Found, its arguments valid, its capability held: the next installed interceptor is entered. */
  | 'prepared'
  /** An interceptor has not said yet whether it goes on: a person's approval, a commit, a snapshot. */
  | 'asking'
  /** An interceptor refused it: those further in and the handler never run. */
  | 'refused'
  /** In its handler. */
  | 'running'
  /** Its handler answered with a promise: a blocking call parked, a driver at work. */
  | 'waiting'
  /** Its handler answered, with a value or a failure. */
  | 'settled'
  /** Every `after` has run: the result is the one the model reads. */
  | 'done';

/** A call that passed lookup, its schema and its capability: what an interceptor sees. */
export interface Call {
  readonly proc: Proc;
  readonly def: SyscallDef;
  /** As the model wrote them, validated: what events, the audit trail and the transcript show. */
  readonly args: Record<string, unknown>;
  /** The capability it needed, null for calls every process may make. */
  readonly capability: string | null;
  /** A restart cut its process mid-way and it goes on (a blocking wait, an approval): it was committed as started. */
  readonly resumed: boolean;
  state: CallState;
  /** What the handler is given: `args`, unless an interceptor filled something in (a secret in a header). */
  runArgs: Record<string, unknown>;
  /** What the kernel hands the handler beside its arguments (ctx.call): the exec gate, a secret run. */
  context: CallContext;
}

/** What becomes of a call's result on its way out: masked, recorded. Runs however the call ended. */
export type After = (call: Call, result: SyscallResult) => SyscallResult | Promise<SyscallResult>;

/** An interceptor's answer on the way in: go on (with what it hands the call), or the refusal the model reads. */
export type Step =
  { refused: SyscallResult } | { args?: Record<string, unknown>; context?: CallContext; after?: After };

/** Go on, handing nothing. */
export const GO: Step = Object.freeze({});

export interface CallInterceptor {
  /** As the table (kernel/safety/call-interceptors.ts) names it. */
  readonly name: string;
  /** The syscalls it wraps, when not every one: entered for those alone, a call of another runs none of its code. */
  readonly calls?: ReadonlySet<string>;
  enter(call: Call): Step | Promise<Step>;
  /** The capability check refused a call before any interceptor was entered: told, for the record. */
  lacked?(proc: Proc, name: string, capability: string): void;
}

/** An installed interceptor at its line of the table. */
export interface Installed {
  readonly place: number;
  readonly interceptor: CallInterceptor;
}

/** The interceptors installed now, outermost first. A policy reload may change them while a call is on its way in. */
export interface CallChain {
  readonly installed: readonly Installed[];
}

/** A call's answer, as the turn records it. */
export interface Dispatched {
  /** The canonical name when known, else the name as written. */
  name: string;
  args: Record<string, unknown>;
  result: SyscallResult;
  /** The capability the process lacked, when that refused the call (for the audit trail). */
  lacked?: string;
}

interface Run {
  readonly call: Call;
  readonly chain: CallChain;
  readonly handler: (call: Call) => unknown;
  /** A thrown error as the model reads it (AosError's errno, EINTR when killed, else EIO). */
  readonly fail: (error: unknown) => SyscallResult;
  /** The table line of the last interceptor entered: the next is the first installed after it, as the chain is then. */
  place: number;
  /** The `after`s handed back so far, outermost first. */
  afters: After[] | null;
  result: SyscallResult;
}

/** Held until the call is refused or settled: nothing reads a result before then. */
const NO_RESULT: SyscallResult = { ok: false, errno: 'EIO', message: 'no result' };

/** Run a prepared call through the chain and its handler; synchronous when every step is. */
export function runCall(
  call: Call,
  chain: CallChain,
  handler: (call: Call) => unknown,
  fail: (error: unknown) => SyscallResult,
): Dispatched | Promise<Dispatched> {
  return advance({ call, chain, handler, fail, place: -1, afters: null, result: NO_RESULT });
}

/** Move the call on from state to state until it is done, or returns what it waits on. */
function advance(run: Run): Dispatched | Promise<Dispatched> {
  const { call } = run;
  for (;;) {
    switch (call.state) {
      case 'prepared': {
        const next = nextInstalled(run.chain, run.place, call.def.name);
        if (!next) {
          call.state = 'running';
          break;
        }
        run.place = next.place;
        let step: Step | Promise<Step>;
        try {
          step = next.interceptor.enter(call);
        } catch (error) {
          refuse(run, run.fail(error));
          break;
        }
        if (!(step instanceof Promise)) {
          take(run, step);
          break;
        }
        call.state = 'asking';
        return andThen(
          step,
          (answer) => {
            take(run, answer);
            return advance(run);
          },
          (error) => {
            refuse(run, run.fail(error));
            return advance(run);
          },
        );
      }
      case 'running': {
        let out: unknown;
        try {
          out = run.handler(call);
        } catch (error) {
          settle(run, run.fail(error));
          break;
        }
        if (!(out instanceof Promise)) {
          settle(run, { ok: true, value: out });
          break;
        }
        call.state = 'waiting';
        // A Waking (a blocking call woken) goes on in the waker's stack: no microtask before the result.
        return andThen(
          out,
          (value) => {
            settle(run, { ok: true, value });
            return advance(run);
          },
          (error) => {
            settle(run, run.fail(error));
            return advance(run);
          },
        );
      }
      case 'refused':
      case 'settled': {
        const after = run.afters?.pop();
        if (!after) {
          call.state = 'done';
          break;
        }
        let out: SyscallResult | Promise<SyscallResult>;
        try {
          out = after(call, run.result);
        } catch (error) {
          out = run.fail(error);
        }
        if (!(out instanceof Promise)) {
          run.result = out;
          break;
        }
        return andThen(
          out,
          (result) => {
            run.result = result;
            return advance(run);
          },
          (error) => {
            run.result = run.fail(error);
            return advance(run);
          },
        );
      }
      case 'done':
        return { name: call.def.name, args: call.args, result: run.result };
      default:
        // asking and waiting return what they wait on: the loop never holds a call in either.
        throw new Error(`call ${call.def.name} advanced while ${call.state}`);
    }
  }
}

/** The first interceptor installed after table line `after` that wraps the syscall `name`. */
function nextInstalled(chain: CallChain, after: number, name: string): Installed | undefined {
  for (const entry of chain.installed) {
    const { calls } = entry.interceptor;
    if (entry.place > after && (calls === undefined || calls.has(name))) return entry;
  }
  return undefined;
}

/** An interceptor's answer: the call goes on to the next, or ends refused. */
function take(run: Run, step: Step): void {
  if ('refused' in step) {
    refuse(run, step.refused);
    return;
  }
  const { call } = run;
  if (step.args) call.runArgs = step.args;
  if (step.context) call.context = { ...call.context, ...step.context };
  if (step.after) (run.afters ??= []).push(step.after);
  call.state = 'prepared';
}

function refuse(run: Run, result: SyscallResult): void {
  run.result = result;
  run.call.state = 'refused';
}

function settle(run: Run, result: SyscallResult): void {
  run.result = result;
  run.call.state = 'settled';
}
