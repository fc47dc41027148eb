/**
 * One turn of one process: build the context, infer, parse every syscall block, dispatch them
 * in order, and append all results as one kernel message. The loop is closed: whatever happened
 * reaches the model in the next turn.
 */
import { ModelStop } from '../drivers/llm/types.js';
import type { ModelReply } from '../drivers/llm/types.js';
import type { SyscallContext } from '../syscalls/define.js';
import { buildSystemPrompt, formatNotices, formatResult, reminderMessage } from './context.js';
import { dispatch } from './dispatcher.js';
import type { Kernel } from './kernel.js';
import { param } from './param.js';
import { parseSyscalls } from './parser.js';
import type { Proc } from './proc.js';
import { ProcServices } from './proc-services.js';

/** Kernel-ended processes (limits, loops, model failures) exit with 1; killed ones with 137. */
const KERNEL_EXIT_CODE = 1;

export async function runTurn(kernel: Kernel, proc: Proc): Promise<void> {
  let slotHeld = true;
  const releaseSlot = (): void => {
    if (slotHeld) kernel.scheduler.release();
    slotHeld = false;
  };
  try {
    if (proc.killRequested) return;
    if (proc.pcb.startedAt === null) proc.pcb.startedAt = Date.now();
    kernel.setState(proc, 'running');
    const reply = await infer(kernel, proc);
    releaseSlot();
    if (!proc.killRequested) await runCalls(kernel, proc, reply);
  } catch (error) {
    releaseSlot();
    if (!proc.killRequested) endOnError(kernel, proc, error);
  } finally {
    releaseSlot();
    if (proc.killRequested) kernel.finish(proc, 'killed', 137, proc.killRequested.reason);
  }
}

function endOnError(kernel: Kernel, proc: Proc, error: unknown): void {
  if (error instanceof ModelStop) {
    kernel.finish(proc, 'exited', KERNEL_EXIT_CODE, error.reason);
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  kernel.events.emit({ type: 'error', pid: proc.pid, message: `model call failed: ${message}` });
  kernel.finish(proc, 'exited', KERNEL_EXIT_CODE, `model error: ${message}`);
}

/** Notices that arrived since the last turn join the latest kernel message. */
function flushNotices(proc: Proc): void {
  if (proc.notices.length === 0) return;
  const last = proc.transcript[proc.transcript.length - 1];
  const text = formatNotices(proc.notices);
  proc.notices = [];
  if (last && last.role === 'user') last.text = `${last.text}\n${text}`;
  else proc.transcript.push({ role: 'user', text });
}

async function infer(kernel: Kernel, proc: Proc): Promise<ModelReply> {
  flushNotices(proc);
  const { pcb } = proc;
  const turn = pcb.counters.turns;
  const latest = proc.transcript[proc.transcript.length - 1];
  kernel.events.emit({ type: 'prompt', pid: pcb.pid, turn, text: latest?.text ?? '' });
  const driver = await kernel.models.get(pcb.model);
  const reply = await driver.complete({
    system: buildSystemPrompt(pcb),
    messages: proc.transcript,
    proc: { pid: pcb.pid, name: pcb.name, turn },
    signal: proc.abort.signal,
  });
  pcb.counters.turns++;
  if (reply.usage) {
    pcb.counters.promptTokens += reply.usage.prompt;
    pcb.counters.outputTokens += reply.usage.output;
    pcb.counters.cachedTokens += reply.usage.cached ?? 0;
  }
  proc.transcript.push({ role: 'model', text: reply.text });
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

async function runCalls(kernel: Kernel, proc: Proc, reply: ModelReply): Promise<void> {
  const { pcb } = proc;
  const turn = pcb.counters.turns - 1;
  const blocks = parseSyscalls(reply.text, { maxBlocks: param.maxSyscallsPerReply, maxArgsBytes: param.maxSyscallArgsBytes });
  if (blocks.length === 0) {
    proc.noSyscallStreak++;
    if (proc.noSyscallStreak >= param.maxNoSyscallReplies) {
      kernel.finish(proc, 'exited', KERNEL_EXIT_CODE, `no syscall in ${proc.noSyscallStreak} consecutive replies`);
      return;
    }
    proc.transcript.push({ role: 'user', text: reminderMessage(proc.noSyscallStreak) });
    return next(kernel, proc);
  }
  proc.noSyscallStreak = 0;
  proc.parkedThisTurn = false;
  const ctx: SyscallContext = { pid: pcb.pid, caps: proc.caps, signal: proc.abort.signal, kernel: new ProcServices(kernel, proc) };
  const lines: string[] = [];
  for (const [seq, block] of blocks.entries()) {
    if (proc.killRequested) return;
    if (proc.exitRequested) {
      lines.push(`[KERNEL] ${blocks.length - seq} call(s) after SYS_EXIT were not run.`);
      break;
    }
    kernel.events.emit({ type: 'syscall', pid: pcb.pid, turn, seq, name: block.name, args: block.ok ? block.args : {} });
    pcb.counters.syscalls++;
    const done = await dispatch(block, ctx);
    const { result } = done;
    kernel.events.emit(
      result.ok
        ? { type: 'result', pid: pcb.pid, turn, seq, name: done.name, ok: true, value: result.value }
        : { type: 'result', pid: pcb.pid, turn, seq, name: done.name, ok: false, errno: result.errno, message: result.message },
    );
    lines.push(formatResult(done));
  }
  if (proc.killRequested) return;
  if (proc.exitRequested) {
    const { code, result } = proc.exitRequested;
    kernel.finish(proc, 'exited', code, code === 0 ? 'exited' : `exited with code ${code}`, result);
    return;
  }
  const message = lines.join('\n');
  proc.transcript.push({ role: 'user', text: message });
  if (isLooping(proc, reply.text, message)) {
    kernel.finish(proc, 'exited', KERNEL_EXIT_CODE, `loop detected: ${proc.identicalStreak} identical turns in a row (same calls, same results)`);
    return;
  }
  next(kernel, proc);
}

function isLooping(proc: Proc, reply: string, results: string): boolean {
  if (proc.parkedThisTurn) {
    proc.identicalStreak = 0;
    proc.lastSignature = '';
    return false;
  }
  const signature = `${reply}\u0000${results}`;
  proc.identicalStreak = signature === proc.lastSignature ? proc.identicalStreak + 1 : 1;
  proc.lastSignature = signature;
  return proc.identicalStreak >= param.maxIdenticalTurns;
}

function next(kernel: Kernel, proc: Proc): void {
  if (proc.pcb.counters.turns >= proc.pcb.limits.maxTurns) {
    kernel.finish(proc, 'exited', KERNEL_EXIT_CODE, `max turns reached (${proc.pcb.limits.maxTurns})`);
    return;
  }
  kernel.makeReady(proc);
}
