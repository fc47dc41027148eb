/**
 * What the model sees: the system prompt (role, generated syscall reference, capabilities,
 * limits) and the kernel's messages (task, results, events) in the ABI's text form.
 */
import { syscallReference } from '../../syscalls/reference.js';
import type { SyscallResult } from '../../sys/abi/result.js';
import { param } from '../../sys/param.js';
import { escapeLineBreaks } from '../../sys/json-line.js';
import { fitResult, type ResultPlace } from './result-excerpt.js';
import { isShortRole } from './role.js';
import type { Pcb } from '../../sys/types.js';

export function buildSystemPrompt(pcb: Pcb): string {
  const caps = pcb.capabilities.length ? pcb.capabilities.join(', ') : '(none)';
  // A long role is the whole prompt (the seed's dialect): it leads, as the seed puts it before its instructions.
  const [lead, role] = isShortRole(pcb.role) ? ['', `, role: ${pcb.role}`] : [`${pcb.role}\n\n`, ''];
  return `${lead}You are process ${pcb.pid} ("${pcb.name}"${role}) running in aos, an operating system for LLM agents.
You act on the world only through syscalls. To make one, write on its own line:
[SYS_CALL::NAME] {"arg": "value"}
You may make several calls in one reply; they run in order. Every result comes back in the next message as
[SYS_RESULT::NAME] {"ok":true,"value":...} or {"ok":false,"errno":"EPERM","message":"..."}.
A result too large for your context arrives as an excerpt: cut fields say so (e.g. "content_cut_chars"), and
"excerpt":{"rest":{"SYS_RESULT_READ":{...}}} gives the call that reads on from the cut.
Events that happened meanwhile arrive as [EVENT::KIND] {...}. Your workspace root is "/".${pcb.cwd === '/' ? '' : `\nYour working directory is "${pcb.cwd}": relative paths (and commands) start there.`}
When the task is done, call SYS_EXIT with a short result. A reply without a syscall wastes a turn.

Your capabilities: ${caps}
Your limits: ${describeLimits(pcb)}.
${pcb.ppid ? `Your parent is pid ${pcb.ppid}.` : 'You are the root of your process tree.'}

Syscalls:
${syscallReference()}`;
}

function describeLimits(pcb: Pcb): string {
  // No running counts here: a system prompt that never changes keeps the provider's prompt cache warm.
  const l = pcb.limits;
  const parts = [`at most ${l.maxTurns} turns`];
  if (l.maxTokens !== null) parts.push(`${l.maxTokens} tokens`);
  if (l.maxCost !== null) parts.push(`$${l.maxCost}`);
  if (l.maxWallS !== null) parts.push(`${l.maxWallS}s of wall time from your start`);
  return `${parts.join(', ')}; crossing one ends the process`;
}

export function taskMessage(pcb: Pcb): string {
  const from = pcb.ppid ? ` (from your parent, pid ${pcb.ppid})` : '';
  return `[TASK${from}] ${pcb.task || '(no task given: wait for messages or stdin)'}`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}... [${text.length - max} more chars cut]`;
}

export { fitResult } from './result-excerpt.js';

/** One result line, in at most `maxChars` characters of JSON (an excerpt that names its rest when larger). */
export function formatResult(call: { name: string; result: SyscallResult }, maxChars: number, place: ResultPlace | null = null): string {
  return `[SYS_RESULT::${call.name}] ${escapeLineBreaks(fitResult(call.result, maxChars, place))}`;
}

export function formatEvent(kind: string, payload: Record<string, unknown>): string {
  return `[EVENT::${kind}] ${escapeLineBreaks(clip(JSON.stringify(payload), param.maxNoticePreviewBytes))}`;
}

/** Something that happened while the process was busy; shown at the top of its next turn. */
export interface Notice {
  kind: 'message' | 'stdin' | 'child_exit' | 'timer' | 'webhook' | 'stop';
  /** The pid the notice is about (sender, child), for de-duplication when a call consumes it. */
  pid?: number;
  /** A stdin notice: the id of the line it shows the model (Mailboxes.onShown hears of it when shown). */
  stdin?: number;
  text: string;
}

export function formatNotices(notices: readonly Notice[]): string {
  return notices.map((n) => n.text).join('\n');
}

export function reminderMessage(streak: number): string {
  return `[KERNEL] Your reply contained no syscall. Act with [SYS_CALL::NAME] {json}, and call SYS_EXIT when done. (${streak} of ${param.maxNoSyscallReplies} replies without a syscall; at ${param.maxNoSyscallReplies} the process is ended.)`;
}
