/**
 * The calls of one reply, run in order — the spine around each: its syscall event and its row as
 * started, then dispatch (below: prepare it — look up, normalise, validate, check the capability —
 * then run it through the interceptors installed now and its handler, call-chain.ts), then its
 * record: its result event, a line of the kernel message that ends the turn, and (while more calls
 * follow) a row, so a restarted kernel goes on from the call it was at. Then the process goes on:
 * its next turn, or its end (SYS_EXIT, a loop, max turns). Every failure of a call becomes a result
 * for the model; nothing thrown in dispatch reaches the turn loop.
 */
import { hash } from 'node:crypto';
import type { z } from 'zod';
import type { ParsedBlock } from '../../sys/abi/parser.js';
import { fail, toResult } from '../../sys/abi/result.js';
import { NO_CALL_CONTEXT, type SyscallContext, type SyscallDef } from '../../syscalls/define.js';
import { findSyscall, suggestSyscalls } from '../../syscalls/table.js';
import { runAs } from '../../sys/blame.js';
import { resultChars } from '../context/context-budget.js';
import { formatResult } from '../context/context.js';
import { type Call, type CallChain, type Dispatched, runCall } from './call-chain.js';
import type { LoopHost } from './host.js';
import { param } from '../../sys/param.js';
import type { Proc } from '../proc/proc.js';
import { type Outcome, Waking } from '../../sys/waking.js';
import { persist } from '../proc/proc-runtime.js';
import { appendTranscript, turnOf } from './turn-state.js';
import type { PendingTurn } from './turn-types.js';
import { finish, makeReady } from '../proc/lifecycle.js';

/** Kernel-ended processes (limits, loops, model failures) exit with 1; killed ones with 137. */
export const KERNEL_EXIT_CODE = 1;

const INTERRUPTED =
  'interrupted: the kernel stopped while this call was running. It was not run again and may or may not have taken effect.';

/**
 * Run the reply's calls from `pending.next` on: synchronously while they answer at once, so
 * undefined when all ran; a promise for the rest when one has to wait. When what it waits on is a
 * Waking (a blocking call: WAIT, RECV_MSG, SLEEP…), the calls go on in the stack that wakes it, as
 * this process (runAs): its result does not queue behind every other process's microtasks.
 */
export function continueCalls(kernel: LoopHost, proc: Proc): Promise<void> | undefined {
  const pending = turnOf(proc).pending;
  if (!pending) {
    next(kernel, proc);
    return undefined;
  }
  const first = runCalls(kernel, proc, pending);
  if (!first) return undefined;
  return new Promise<void>((resolve, reject) => {
    const goOn = (done: Dispatched): void => {
      try {
        const waiting = runAs(proc.pid, () =>
          takeResult(kernel, proc, pending, done) ? runCalls(kernel, proc, pending) : undefined,
        );
        if (waiting) waitFor(waiting);
        else resolve();
      } catch (error) {
        reject(error);
      }
    };
    const settled = (o: Outcome<Dispatched>): void => (o.ok ? goOn(o.value) : reject(o.error));
    const waitFor = (running: Promise<Dispatched>): void => {
      if (running instanceof Waking) (running as Waking<Dispatched>).listen((o) => nested(() => settled(o)));
      else running.then(goOn, reject);
    };
    waitFor(first);
  });
}

/** How many woken processes are going on in the current call stack. */
let nesting = 0;

/** Go on now, unless param.maxWakeNesting woken processes already are in this stack: then from a microtask. */
function nested(goOn: () => void): void {
  if (nesting >= param.maxWakeNesting) {
    queueMicrotask(goOn);
    return;
  }
  nesting++;
  try {
    goOn();
  } finally {
    nesting--;
  }
}

/** Calls until one has to wait (its promise) or none is left (undefined: the reply's calls are done, or the process is ending). */
function runCalls(kernel: LoopHost, proc: Proc, pending: PendingTurn): Promise<Dispatched> | undefined {
  const { blocks } = pending;
  while (pending.next < blocks.length) {
    if (proc.killRequested || kernel.closing) return undefined;
    if (proc.exitRequested) {
      turnOf(proc).noteLine(`[KERNEL] ${blocks.length - pending.next} call(s) after SYS_EXIT were not run.`);
      break;
    }
    const running = runOne(kernel, proc, pending.turn, pending.next);
    if (running instanceof Promise) return running;
    if (!takeResult(kernel, proc, pending, running)) return undefined;
  }
  endCalls(kernel, proc, pending);
  return undefined;
}

/** A call's result: its event, its line of the kernel message, its row. False when the kernel is closing. */
function takeResult(kernel: LoopHost, proc: Proc, pending: PendingTurn, done: Dispatched): boolean {
  if (kernel.closing) return false;
  const { pcb } = proc;
  const { turn, blocks } = pending;
  const seq = pending.next;
  const { result } = done;
  kernel.events.emit(
    result.ok
      ? { type: 'result', pid: pcb.pid, turn, seq, name: done.name, ok: true, value: result.value }
      : {
          type: 'result',
          pid: pcb.pid,
          turn,
          seq,
          name: done.name,
          ok: false,
          errno: result.errno,
          message: result.message,
        },
  );
  const line = formatResult(done, resultChars(pcb.limits.contextTokens, blocks.length), { turn, seq });
  const state = turnOf(proc);
  state.callAnswered(line);
  proc.routing?.noteResult(result.ok ? null : result.errno);
  // Only a result that another call of this reply will follow needs a row of its own: the last one joins the transcript.
  if (seq + 1 < blocks.length) kernel.store.transcripts.putResult(pcb.pid, seq, line);
  persist(kernel.store, proc);
  state.nextCall();
  return true;
}

/** Every call ran: the results go to the transcript as one kernel message, and the process goes on. */
function endCalls(kernel: LoopHost, proc: Proc, pending: PendingTurn): void {
  if (proc.killRequested || kernel.closing) return;
  const { pcb } = proc;
  const state = turnOf(proc);
  state.setPending(null);
  if (pending.blocks.length > 1) kernel.store.transcripts.clearResults(pcb.pid);
  if (proc.exitRequested) {
    const { code, result } = proc.exitRequested;
    finish(kernel, proc, 'exited', code, code === 0 ? 'exited' : `exited with code ${code}`, result);
    return;
  }
  const message = pending.lines.join('\n');
  appendTranscript(kernel.store, proc, 'user', message);
  const signature = hash('sha1', `${pending.reply}\u0000${message}`, 'base64');
  if (state.repeatStreak(signature, proc.parkedThisTurn) >= param.maxIdenticalTurns) {
    const reason = `loop detected: ${state.identicalStreak} identical turns in a row (same calls, same results)`;
    finish(kernel, proc, 'exited', KERNEL_EXIT_CODE, reason);
    return;
  }
  next(kernel, proc);
}

/** Run call `seq`, or, when a restart cut it off mid-way, resume a wait or report it interrupted. Synchronous when the call is. */
function runOne(kernel: LoopHost, proc: Proc, turn: number, seq: number): Dispatched | Promise<Dispatched> {
  const state = turnOf(proc);
  const pending = state.pending as PendingTurn;
  const block = pending.blocks[seq] as NonNullable<(typeof pending.blocks)[number]>;
  const def = block.ok ? findSyscall(block.name) : undefined;
  const args = block.ok ? block.args : {};
  let resumeDeadline: number | null = null;
  const resumed = pending.started;
  if (resumed) {
    const wait = proc.pcb.wait;
    const cut = { name: def?.name ?? block.name, args };
    // Parked on an approval asked while its command ran (the exec gate): part of it ran, so it is never run again.
    if (wait?.kind === 'approval' && wait.during === 'run') {
      const reason = `the command was cut by a restart while it waited for approval ${wait.id}; it did not run to its end — check what it did before running it again`;
      proc.waitOver();
      kernel.safety?.approvals.cutByRestart(proc, wait.id, reason);
      return { ...cut, result: fail('EINTR', `interrupted: ${reason}`) };
    }
    // A call parked on an approval before it ran waits on it again: it has not run.
    if (!def?.blocking && wait?.kind !== 'approval') return { ...cut, result: fail('EINTR', INTERRUPTED) };
    resumeDeadline = wait?.deadline ?? null;
  } else {
    kernel.events.emit({ type: 'syscall', pid: proc.pid, turn, seq, name: block.name, args });
    proc.countSyscall();
    state.callStarted();
    persist(kernel.store, proc);
  }
  const ctx: SyscallContext = {
    pid: proc.pid,
    ppid: proc.pcb.ppid,
    caps: proc.caps,
    signal: proc.abort.signal,
    drivers: kernel.drivers(proc),
    proc: kernel.services(proc, resumeDeadline),
    call: NO_CALL_CONTEXT,
  };
  // What touches the host is committed as started before it runs (commit-barrier.ts, the chain's outermost), so it is never re-run.
  return dispatch(block, ctx, proc, kernel.callChain, resumed);
}

export function next(kernel: LoopHost, proc: Proc): void {
  if (proc.pcb.counters.turns >= proc.pcb.limits.maxTurns) {
    finish(kernel, proc, 'exited', KERNEL_EXIT_CODE, `max turns reached (${proc.pcb.limits.maxTurns})`);
    return;
  }
  makeReady(kernel, proc);
}

// ---- one call: prepared, then through the chain and its handler ----

function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(args)'}: ${issue.message}`)
    .join('; ');
}

/** Resolve and validate without running: the call as the interceptors will see it, or its refusal. */
export function prepare(
  block: ParsedBlock,
  ctx: SyscallContext,
): { def: SyscallDef; args: Record<string, unknown>; capability: string | null } | Dispatched {
  if (!block.ok) return { name: block.name, args: {}, result: fail('EINVAL', `malformed syscall: ${block.error}`) };
  const def = findSyscall(block.name);
  if (!def) {
    const hints = suggestSyscalls(block.name);
    const hint = hints.length ? ` — did you mean ${hints.join(' or ')}?` : '';
    return { name: block.name, args: block.args, result: fail('ENOSYS', `no such syscall ${block.name}${hint}`) };
  }
  const raw = def.normalize ? def.normalize(block.args) : block.args;
  const parsed = def.args.safeParse(raw);
  if (!parsed.success) {
    return {
      name: def.name,
      args: block.args,
      result: fail('EINVAL', `bad arguments for ${def.name}: ${formatIssues(parsed.error)}`),
    };
  }
  const args = parsed.data as Record<string, unknown>;
  let needed: string | null;
  try {
    needed =
      def.capability === null || typeof def.capability === 'string' ? def.capability : def.capability.of(args, ctx);
    if (needed !== null && !ctx.caps.allows(needed)) {
      return {
        name: def.name,
        args,
        result: fail('EPERM', `${def.name} needs capability "${needed}", which this process does not hold`),
        lacked: needed,
      };
    }
  } catch (error) {
    return { name: def.name, args, result: toResult(error, ctx) };
  }
  return { def, args, capability: needed };
}

/**
 * Run one call of `proc` (`resumed`: a restart cut it mid-way and it goes on). A call whose
 * interceptors and handler answer synchronously (most in-kernel calls) is answered synchronously:
 * no await, so no other process's work slips in between its syscall and its result.
 */
export function dispatch(
  block: ParsedBlock,
  ctx: SyscallContext,
  proc: Proc,
  chain: CallChain,
  resumed: boolean,
): Dispatched | Promise<Dispatched> {
  let prepared: ReturnType<typeof prepare>;
  try {
    prepared = prepare(block, ctx);
  } catch (error) {
    return { name: block.name, args: {}, result: toResult(error, ctx) };
  }
  if (!('def' in prepared)) {
    const { lacked } = prepared;
    if (lacked !== undefined)
      for (const { interceptor } of chain.installed) interceptor.lacked?.(proc, prepared.name, lacked);
    return prepared;
  }
  const { def, args, capability } = prepared;
  const call: Call = {
    proc,
    def,
    args,
    capability,
    resumed,
    state: 'prepared',
    runArgs: args,
    context: NO_CALL_CONTEXT,
  };
  // The handler gets what the interceptors filled in (runArgs) and handed beside (ctx.call); the call is reported with `args`.
  const handler = (c: Call): unknown =>
    c.def.run(c.runArgs, c.context === NO_CALL_CONTEXT ? ctx : { ...ctx, call: c.context });
  return runCall(call, chain, handler, (error) => toResult(error, ctx));
}
