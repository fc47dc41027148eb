/**
 * One turn of one process, the spine: infer, parse, run, record. Infer: the request prepared and
 * sent through the model chain (model-chain.ts; what wraps it — thread summaries, compaction,
 * privacy, budgets — is listed in that file's table, not here), its reply recorded (the
 * events, the transcript, the counters). Parse every syscall block, run them in order (calls.ts),
 * and append all results as one kernel message. The loop is closed: whatever happened reaches the
 * model in the next turn. The calls of a reply are persisted as a pending turn (a few numbers plus
 * one row per result), so a restarted kernel goes on from the call it was at.
 *
 * Nothing a process brings can escape from here: a model failure ends it with `model error: …`,
 * anything else that goes wrong while running its calls ends it with `kernel error: …`.
 */
import type { ModelMessage, ModelReply, ModelRequest } from '../../drivers/llm/types.js';
import { ModelStop } from '../../drivers/llm/types.js';
import { runAs } from '../../sys/blame.js';
import { continueCalls, KERNEL_EXIT_CODE, next } from './calls.js';
import { estimateTokens, fitMessages, withoutCorrected } from '../context/context-budget.js';
import { buildSystemPrompt, formatNotices, reminderMessage } from '../context/context.js';
import type { LoopHost } from './host.js';
import type { Lease } from '../sched/model-pool.js';
import { param } from '../../sys/param.js';
import { parseSyscalls } from '../../sys/abi/parser.js';
import type { Proc } from '../proc/proc.js';
import type { Entry } from '../proc/proc-types.js';
import { turnSlot } from '../../sys/turn-gate.js';
import { persist } from '../proc/proc-runtime.js';
import { amendTranscript, appendTranscript, turnOf } from './turn-state.js';
import { finish, setState } from '../proc/lifecycle.js';
import { endForKernelError } from '../proc/kill.js';
import { BudgetSpent } from '../cost/budgets.js';
import { pauseOnBudget } from './budget-pause.js';
import { recordRequest } from './sent-record.js';
import { isEnded } from '../../sys/types.js';

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

/** The scheduler's dispatch: a lease granted to a process that is still alive starts its turn; otherwise it goes back. */
export function startTurn(host: LoopHost, pid: number, lease: Lease): void {
  const proc = host.table.get(pid);
  if (!proc || isEnded(proc.pcb.state) || host.closing) {
    host.scheduler.release(lease);
    return;
  }
  void runTurn(host, proc, lease);
}

function runTurn(kernel: LoopHost, proc: Proc, lease: Lease): Promise<void> {
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
    proc.markStarted();
    setState(kernel, proc, 'running');
    let reply: ModelReply;
    try {
      reply = await infer(kernel, proc, lease);
    } catch (error) {
      throw error instanceof ModelStop || error instanceof BudgetSpent ? error : new ModelFailure(error);
    }
    used = reply.usage ? reply.usage.prompt + reply.usage.output : null;
    kernel.scheduler.charge(proc.pid, used ?? 1);
    releaseSlot();
    const over = proc.overBudget();
    if (over) {
      finish(kernel, proc, 'exited', KERNEL_EXIT_CODE, over);
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
      setState(kernel, proc, 'running', { reason: 'resumed after a kernel restart' });
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
  if (!proc.endTurn(begun)) return;
  const end = proc.killRequested;
  if (end) finish(kernel, proc, end.state, end.code, end.reason);
}

function endOnError(kernel: LoopHost, proc: Proc, error: unknown): void {
  if (error instanceof BudgetSpent) {
    pauseOnBudget(kernel, proc, error);
    return;
  }
  if (error instanceof ModelStop) {
    finish(kernel, proc, 'exited', KERNEL_EXIT_CODE, error.reason);
    return;
  }
  if (error instanceof ModelFailure) {
    // The reason says it; an `error` event as well would print it twice.
    finish(kernel, proc, 'exited', KERNEL_EXIT_CODE, `model error: ${error.message}`);
    return;
  }
  endForKernelError(kernel, proc, error);
}

/** Notices that arrived since the last turn join the latest kernel message. */
function flushNotices(kernel: LoopHost, proc: Proc): void {
  if (proc.queues.notices.length === 0) return;
  const notices = proc.queues.takeNotices();
  const text = formatNotices(notices);
  kernel.stdinShown?.(
    proc.pid,
    notices.flatMap((n) => (n.stdin === undefined ? [] : [n.stdin])),
  );
  const { transcript } = turnOf(proc);
  const last = transcript[transcript.length - 1];
  if (last && last.role === 'user') amendTranscript(kernel.store, proc, `${last.text}\n${text}`);
  else appendTranscript(kernel.store, proc, 'user', text);
}

/** Infer: the request prepared and sent through the model chain (model-chain.ts), its reply recorded. */
async function infer(kernel: LoopHost, proc: Proc, lease: Lease): Promise<ModelReply> {
  flushNotices(kernel, proc);
  const { pcb } = proc;
  // A laddered process runs this turn on the rung it was queued for: the ladder chooses when the turn is queued (lifecycle.ts route).
  const model = proc.routing?.model ?? pcb.model;
  const turn = pcb.counters.turns;
  const state = turnOf(proc);
  // The registry is asked at a process's first turn, a new model, or a changed source (turn-state.ts driverFor).
  const driver =
    state.driverFor(model) ?? state.ranOnDriver(model, kernel.models.loaded(model) ?? (await kernel.models.get(model)));
  const chain = kernel.modelChain;
  // The context brought up to date (threads' summaries, then compaction), each stage awaited only when it has work.
  const preparing = chain.prepare({ proc, driver, lease, system: () => systemPrompt(kernel, proc) });
  if (preparing) await preparing;
  const system = state.systemPrompt ?? (await systemPrompt(kernel, proc));
  if (state.promptTurn !== turn) {
    // Once per turn, even when a restart runs the turn's inference again.
    const latest = state.transcript[state.transcript.length - 1];
    const row = latest ? { transcript_seq: latest.seq } : {};
    kernel.events.emit({ type: 'prompt', pid: pcb.pid, turn, ...row, text: latest?.text ?? '' });
    state.promptShown(turn);
    persist(kernel.store, proc);
  }
  // The transcript without the mistakes corrected since (context-budget.ts): what the request is built from, and said to be.
  const from = withoutCorrected(state.transcript);
  const messages = requestMessages(kernel, proc, system, from);
  const request: ModelRequest = {
    system,
    messages,
    proc: { pid: pcb.pid, name: pcb.name, turn },
    signal: proc.abort.signal,
  };
  const { live } = kernel;
  if (live.watched) request.onText = (text) => live.emit({ pid: pcb.pid, turn, text });
  const { reply, sent } = await chain.send({ purpose: 'turn', payer: proc, model, driver, request }, (c) =>
    kernel.pool.complete(c.driver, c.request, lease),
  );
  if (!kernel.closing) recordReply(kernel, proc, { request, from }, reply, sent.model);
  return reply;
}

/** The request and its reply kept: the events, the transcript, the counters (`model`: where it went, privacy may have changed it). */
function recordReply(
  kernel: LoopHost,
  proc: Proc,
  { request, from }: { request: ModelRequest; from: readonly Entry[] },
  reply: ModelReply,
  model: string,
): void {
  const { pcb } = proc;
  const { turn } = request.proc;
  // What it was sent that the prompt and model events do not say, before the reply joins the transcript (sent-record.ts).
  const said = recordRequest(turnOf(proc), request, from);
  if (said) kernel.events.emit({ type: 'request', pid: pcb.pid, turn, ...said });
  proc.countTurn();
  if (proc.routing) proc.ranOn(model);
  if (reply.usage) proc.charge(reply.usage, model);
  const replySeq = appendTranscript(kernel.store, proc, 'model', reply.text);
  kernel.events.emit({
    type: 'model',
    pid: pcb.pid,
    turn,
    transcript_seq: replySeq,
    ...(reply.usage ? { usage: reply.usage } : {}),
    ...(reply.finishReason ? { finish: reply.finishReason } : {}),
    ...(proc.routing || model !== pcb.model ? { model } : {}),
    text: reply.text,
  });
}

/**
 * The same every turn (a stable prefix also keeps a provider's prompt cache warm): built once per
 * process, its interceptors' parts after the MCP tools. Masked whole, here, before it is kept: a part
 * that quotes outside text (an MCP server's, a skill's, a role) cannot carry a secret past it.
 */
function systemPrompt(kernel: LoopHost, proc: Proc): string | Promise<string> {
  const state = turnOf(proc);
  if (state.systemPrompt !== undefined) return state.systemPrompt;
  return (async () => {
    const text =
      buildSystemPrompt(proc.pcb) + (await kernel.mcpReference(proc)) + (await kernel.modelChain.system(proc));
    return state.keepSystemPrompt(kernel.maskPrompt(text));
  })();
}

/** The messages of this request from `from`, never over the context budget (the transcript itself is left whole). */
function requestMessages(kernel: LoopHost, proc: Proc, system: string, from: readonly Entry[]): ModelMessage[] {
  const budget = proc.pcb.limits.contextTokens;
  const fitted = fitMessages(system, from, budget);
  if (!fitted)
    throw new ModelStop(
      `context budget too small: ${budget} tokens do not hold the system prompt (about ${estimateTokens(system, [])} tokens)`,
    );
  if (fitted.cut > 0) {
    const reason = `context cut to fit its budget: ${fitted.cut} characters left out of this request`;
    kernel.events.emit({ type: 'state', pid: proc.pid, from: proc.pcb.state, to: proc.pcb.state, reason });
  }
  return fitted.messages;
}

/** The blocks of a reply, parsed with the kernel's limits (again after a restart: the parser is deterministic). */
export function parseReply(text: string): ReturnType<typeof parseSyscalls> {
  return parseSyscalls(text, PARSE_LIMITS);
}

/** A promise while the calls run; undefined when there were none (or all answered at once). */
function startCalls(kernel: LoopHost, proc: Proc, reply: ModelReply): Promise<void> | undefined {
  const blocks = parseReply(reply.text);
  if (blocks.length === 0) {
    proc.routing?.noteReminder();
    const streak = turnOf(proc).replyWithoutSyscall();
    if (streak >= param.maxNoSyscallReplies) {
      finish(kernel, proc, 'exited', KERNEL_EXIT_CODE, `no syscall in ${streak} consecutive replies`);
      return;
    }
    appendTranscript(kernel.store, proc, 'user', reminderMessage(streak));
    next(kernel, proc);
    return;
  }
  const state = turnOf(proc);
  const replySeq = state.transcript[state.transcript.length - 1]?.seq ?? -1;
  proc.callsBegin();
  state.startCalls({
    turn: proc.pcb.counters.turns - 1,
    reply: reply.text,
    blocks,
    lines: [],
    next: 0,
    started: false,
    replySeq,
  });
  persist(kernel.store, proc);
  return continueCalls(kernel, proc);
}
