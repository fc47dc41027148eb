/**
 * One turn of one process: build the context, infer, parse every syscall block, dispatch them
 * in order, and append all results as one kernel message. The loop is closed: whatever happened
 * reaches the model in the next turn. The calls of a reply are persisted as a pending turn (a few
 * numbers plus one row per result), so a restarted kernel goes on from the call it was at.
 *
 * Nothing a process brings can escape from here: a model failure ends it with `model error: …`,
 * anything else that goes wrong while running its calls ends it with `kernel error: …`.
 */
import { hash } from 'node:crypto';
import type { ModelReply } from '../../drivers/llm/types.js';
import { ModelStop } from '../../drivers/llm/types.js';
import type { SyscallContext } from '../../syscalls/define.js';
import { findSyscall } from '../../syscalls/table.js';
import { runAs } from './blame.js';
import { manageContext, requestMessages } from './compaction.js';
import { resultChars } from './context-budget.js';
import { buildSystemPrompt, formatNotices, formatResult, reminderMessage } from './context.js';
import { type Dispatched, dispatch, fail } from './dispatcher.js';
import type { LoopHost } from './host.js';
import type { Lease } from '../sched/model-pool.js';
import { param } from '../param.js';
import { type ParsedBlock, parseSyscalls } from './parser.js';
import type { Proc } from '../proc/proc.js';
import { turnSlot } from './turn-gate.js';

/** Kernel-ended processes (limits, loops, model failures) exit with 1; killed ones with 137. */
const KERNEL_EXIT_CODE = 1;

const INTERRUPTED =
  'interrupted: the kernel stopped while this call was running. It was not run again and may or may not have taken effect.';

const PARSE_LIMITS = {
  maxBlocks: param.maxSyscallsPerReply,
  maxArgsBytes: param.maxSyscallArgsBytes,
  maxArgsDepth: param.maxSyscallArgsDepth,
  maxLeadInChars: param.maxSyscallLeadInChars,
};

/** The model's reply failed (after the pool's retries): not the kernel's fault. */
class ModelFailure extends Error {
  constructor(readonly original: unknown) {
    super(original instanceof Error ? original.message : String(original));
  }
}

export function runTurn(kernel: LoopHost, proc: Proc, lease: Lease): Promise<void> {
  return runAs(proc.pid, () => turn(kernel, proc, lease));
}

async function turn(kernel: LoopHost, proc: Proc, lease: Lease): Promise<void> {
  let slotHeld = true;
  let used: number | null = null;
  const releaseSlot = (): void => {
    if (slotHeld) kernel.scheduler.release(lease, used);
    slotHeld = false;
  };
  const begun = proc.beginTurn();
  try {
    // A burst of instant turns must not starve the socket and the store's commits (turn-gate.ts).
    const slot = turnSlot();
    if (slot) await slot;
    if (proc.killRequested || kernel.closing) return;
    if (proc.pcb.startedAt === null) proc.pcb.startedAt = Date.now();
    kernel.setState(proc, 'running');
    let reply: ModelReply;
    try {
      reply = await infer(kernel, proc, lease);
    } catch (error) {
      throw error instanceof ModelStop ? error : new ModelFailure(error);
    }
    used = reply.usage ? reply.usage.prompt + reply.usage.output : null;
    kernel.scheduler.charge(proc.pid, used ?? 1);
    releaseSlot();
    const over = kernel.budgetExceeded(proc);
    if (over) {
      kernel.finish(proc, 'exited', KERNEL_EXIT_CODE, over);
      return;
    }
    if (!proc.killRequested && !kernel.closing) {
      const calls = startCalls(kernel, proc, reply);
      if (calls) await calls;
    }
  } catch (error) {
    releaseSlot();
    if (!proc.killRequested && !kernel.closing) endOnError(kernel, proc, error);
  } finally {
    releaseSlot();
    settle(kernel, proc, begun);
  }
}

/** After a restart: go on with the calls of a reply that had not all run. */
export function resumeTurn(kernel: LoopHost, proc: Proc): Promise<void> {
  return runAs(proc.pid, async () => {
    const begun = proc.beginTurn();
    try {
      kernel.setState(proc, 'running', { reason: 'resumed after a kernel restart' });
      await continueCalls(kernel, proc);
    } catch (error) {
      if (!proc.killRequested && !kernel.closing) endOnError(kernel, proc, error);
    } finally {
      settle(kernel, proc, begun);
    }
  });
}

/** A turn's end: the process is idle, and a kill it was asked is carried out — unless a newer turn of it runs, whose end does both. */
function settle(kernel: LoopHost, proc: Proc, begun: number): void {
  if (proc.turnsBegun !== begun) return;
  proc.inTurn = false;
  const end = proc.killRequested;
  if (end) kernel.finish(proc, end.state, end.code, end.reason);
}

function endOnError(kernel: LoopHost, proc: Proc, error: unknown): void {
  if (error instanceof ModelStop) {
    kernel.finish(proc, 'exited', KERNEL_EXIT_CODE, error.reason);
    return;
  }
  if (error instanceof ModelFailure) {
    // The reason says it; an `error` event as well would print it twice.
    kernel.finish(proc, 'exited', KERNEL_EXIT_CODE, `model error: ${error.message}`);
    return;
  }
  kernel.endForKernelError(proc, error);
}

/** Notices that arrived since the last turn join the latest kernel message. */
function flushNotices(kernel: LoopHost, proc: Proc): void {
  if (proc.notices.length === 0) return;
  const text = formatNotices(proc.notices);
  proc.notices = [];
  const last = proc.transcript[proc.transcript.length - 1];
  if (last && last.role === 'user') kernel.amendTranscript(proc, `${last.text}\n${text}`);
  else kernel.appendTranscript(proc, 'user', text);
}

async function infer(kernel: LoopHost, proc: Proc, lease: Lease): Promise<ModelReply> {
  flushNotices(kernel, proc);
  const { pcb } = proc;
  const turn = pcb.counters.turns;
  const driver = kernel.models.loaded(pcb.model) ?? (await kernel.models.get(pcb.model));
  // The same every turn (a stable prefix also keeps a provider's prompt cache warm): built once per process.
  const system = (proc.systemPrompt ??= buildSystemPrompt(pcb) + (await kernel.mcpReference(proc)));
  const compacting = manageContext(kernel, proc, system, driver, lease);
  if (compacting) await compacting;
  if (proc.promptTurn !== turn) {
    // Once per turn, even when a restart runs the turn's inference again.
    const latest = proc.transcript[proc.transcript.length - 1];
    kernel.events.emit({ type: 'prompt', pid: pcb.pid, turn, text: latest?.text ?? '' });
    proc.promptTurn = turn;
    kernel.persist(proc);
  }
  const messages = requestMessages(kernel, proc, system);
  const request = { system, messages, proc: { pid: pcb.pid, name: pcb.name, turn }, signal: proc.abort.signal };
  const reply = await kernel.pool.complete(driver, request, lease);
  if (kernel.closing) return reply;
  pcb.counters.turns++;
  kernel.account(proc, reply.usage);
  kernel.appendTranscript(proc, 'model', reply.text);
  kernel.events.emit({
    type: 'model',
    pid: pcb.pid,
    turn,
    text: reply.text,
    ...(reply.usage ? { usage: reply.usage } : {}),
    ...(reply.finishReason ? { finish: reply.finishReason } : {}),
  });
  return reply;
}

/** The blocks of a reply, parsed with the kernel's limits (again after a restart: the parser is deterministic). */
export function parseReply(text: string): ReturnType<typeof parseSyscalls> {
  return parseSyscalls(text, PARSE_LIMITS);
}

/** A promise while the calls run; undefined when there were none. */
function startCalls(kernel: LoopHost, proc: Proc, reply: ModelReply): Promise<void> | undefined {
  const blocks = parseReply(reply.text);
  if (blocks.length === 0) {
    proc.noSyscallStreak++;
    if (proc.noSyscallStreak >= param.maxNoSyscallReplies) {
      kernel.finish(proc, 'exited', KERNEL_EXIT_CODE, `no syscall in ${proc.noSyscallStreak} consecutive replies`);
      return;
    }
    kernel.appendTranscript(proc, 'user', reminderMessage(proc.noSyscallStreak));
    next(kernel, proc);
    return;
  }
  proc.noSyscallStreak = 0;
  proc.parkedThisTurn = false;
  const replySeq = proc.transcript[proc.transcript.length - 1]?.seq ?? -1;
  proc.pending = { turn: proc.pcb.counters.turns - 1, reply: reply.text, blocks, lines: [], next: 0, started: false, replySeq };
  kernel.persist(proc);
  return continueCalls(kernel, proc);
}

async function continueCalls(kernel: LoopHost, proc: Proc): Promise<void> {
  const pending = proc.pending;
  if (!pending) return next(kernel, proc);
  const { pcb } = proc;
  const { turn, blocks } = pending;
  for (; pending.next < blocks.length; pending.next++) {
    if (proc.killRequested || kernel.closing) return;
    const seq = pending.next;
    const block = blocks[seq];
    if (!block) break;
    if (proc.exitRequested) {
      pending.lines.push(`[KERNEL] ${blocks.length - seq} call(s) after SYS_EXIT were not run.`);
      break;
    }
    const running = runOne(kernel, proc, turn, seq);
    const done = running instanceof Promise ? await running : running;
    if (kernel.closing) return;
    const { result } = done;
    kernel.events.emit(
      result.ok
        ? { type: 'result', pid: pcb.pid, turn, seq, name: done.name, ok: true, value: result.value }
        : { type: 'result', pid: pcb.pid, turn, seq, name: done.name, ok: false, errno: result.errno, message: result.message },
    );
    const line = formatResult(done, resultChars(pcb.limits.contextTokens, blocks.length), { turn, seq });
    pending.lines.push(line);
    pending.started = false;
    // Only a result that another call of this reply will follow needs a row of its own: the last one joins the transcript.
    if (seq + 1 < blocks.length) kernel.store.putTurnResult(pcb.pid, seq, line);
    kernel.persist(proc);
  }
  if (proc.killRequested || kernel.closing) return;
  proc.pending = null;
  if (blocks.length > 1) kernel.store.clearTurnResults(pcb.pid);
  if (proc.exitRequested) {
    const { code, result } = proc.exitRequested;
    kernel.finish(proc, 'exited', code, code === 0 ? 'exited' : `exited with code ${code}`, result);
    return;
  }
  const message = pending.lines.join('\n');
  kernel.appendTranscript(proc, 'user', message);
  if (isLooping(proc, pending.reply, message)) {
    const reason = `loop detected: ${proc.identicalStreak} identical turns in a row (same calls, same results)`;
    kernel.finish(proc, 'exited', KERNEL_EXIT_CODE, reason);
    return;
  }
  next(kernel, proc);
}

/** Run call `seq`, or, when a restart cut it off mid-way, resume a wait or report it interrupted. Synchronous when the call is. */
function runOne(kernel: LoopHost, proc: Proc, turn: number, seq: number): Dispatched | Promise<Dispatched> {
  const pending = proc.pending as NonNullable<Proc['pending']>;
  const block = pending.blocks[seq] as NonNullable<(typeof pending.blocks)[number]>;
  const def = block.ok ? findSyscall(block.name) : undefined;
  let resumeDeadline: number | null = null;
  if (pending.started) {
    // A call parked on an approval waits on it again: it has not run.
    if (!def?.blocking && proc.pcb.wait?.kind !== 'approval') return { name: def?.name ?? block.name, args: block.ok ? block.args : {}, result: fail('EINTR', INTERRUPTED) };
    resumeDeadline = proc.pcb.wait?.deadline ?? null;
  } else {
    kernel.events.emit({ type: 'syscall', pid: proc.pid, turn, seq, name: block.name, args: block.ok ? block.args : {} });
    proc.pcb.counters.syscalls++;
    pending.started = true;
    kernel.persist(proc);
    // What touches the host is committed as started before it runs, so it is never re-run.
    if (!def?.inKernel && !def?.readOnly) {
      return kernel.commitBarrier(proc).then(() =>
        proc.killRequested || kernel.closing
          ? { name: block.name, args: {}, result: fail('EINTR', 'interrupted: the process is being killed') }
          : dispatchFor(kernel, proc, block, resumeDeadline),
      );
    }
  }
  return dispatchFor(kernel, proc, block, resumeDeadline);
}

function dispatchFor(kernel: LoopHost, proc: Proc, block: ParsedBlock, resumeDeadline: number | null): Dispatched | Promise<Dispatched> {
  const services = kernel.services(proc, resumeDeadline);
  const ctx: SyscallContext = { pid: proc.pid, ppid: proc.pcb.ppid, caps: proc.caps, signal: proc.abort.signal, drivers: kernel.drivers(proc), proc: services };
  return dispatch(block, ctx, kernel.gate?.(proc));
}

function isLooping(proc: Proc, reply: string, results: string): boolean {
  if (proc.parkedThisTurn) {
    proc.identicalStreak = 0;
    proc.lastSignature = '';
    return false;
  }
  const signature = hash('sha1', `${reply}\u0000${results}`, 'base64');
  proc.identicalStreak = signature === proc.lastSignature ? proc.identicalStreak + 1 : 1;
  proc.lastSignature = signature;
  return proc.identicalStreak >= param.maxIdenticalTurns;
}

function next(kernel: LoopHost, proc: Proc): void {
  if (proc.pcb.counters.turns >= proc.pcb.limits.maxTurns) {
    kernel.finish(proc, 'exited', KERNEL_EXIT_CODE, `max turns reached (${proc.pcb.limits.maxTurns})`);
    return;
  }
  kernel.makeReady(proc);
}
