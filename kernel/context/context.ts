/**
 * What the model sees: the system prompt (role, capabilities, limits, the generated reference of
 * the syscalls its capabilities allow) and the kernel's messages (task, results, events) in the
 * ABI's text form. A syscall result arrives whole when it fits its share of the context, else as
 * an excerpt with the result's own JSON shape (so `ok`, `truncated`, `exit_code`, `status` always
 * arrive; excerpt.ts shrinks the value) plus where the rest is: the whole result stays in the
 * store, and SYS_RESULT_READ pages it.
 */
import { syscallReference } from '../../syscalls/reference.js';
import type { SyscallResult } from '../../sys/abi/result.js';
import { param } from '../../sys/param.js';
import { escapeLineBreaks } from '../../sys/json-line.js';
import { type FieldCut, jsonSize, prefixLength, shrink, shrinkObject } from './excerpt.js';
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

Syscalls you may make (NAME {arguments, ? when optional} -> what the result's value holds):
${syscallReference(pcb.capabilities)}`;
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

/** One result line, in at most `maxChars` characters of JSON (an excerpt that names its rest when larger). */
export function formatResult(
  call: { name: string; result: SyscallResult },
  maxChars: number,
  place: ResultPlace | null = null,
): string {
  return `[SYS_RESULT::${call.name}] ${escapeLineBreaks(fitResult(call.result, maxChars, place))}`;
}

export function formatEvent(kind: string, payload: Record<string, unknown>): string {
  return `[EVENT::${kind}] ${escapeLineBreaks(clip(JSON.stringify(payload), param.maxNoticePreviewBytes))}`;
}

/** Something that happened while the process was busy; shown at the top of its next turn. */
export interface Notice {
  kind: 'message' | 'stdin' | 'child_exit' | 'timer' | 'webhook' | 'stop' | 'proposal';
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

// ---- a result in its share of the context ----

/** Where a result sits in the process's history: what SYS_RESULT_READ asks for. */
export interface ResultPlace {
  turn: number;
  seq: number;
}

interface Rest {
  field?: string;
  offset: number;
}

/** The result in at most `max` characters of JSON. */
export function fitResult(result: SyscallResult, max: number, place: ResultPlace | null = null): string {
  const body = JSON.stringify(result) ?? 'null';
  if (body.length <= max) return body;
  let room = max;
  for (let attempt = 0; attempt < 4; attempt++) {
    const text = excerpt(result, room, body.length, place);
    if (text.length <= max) return text;
    room -= text.length - max + 16;
  }
  // Only for a `max` too small for the value's own structure: the head of its JSON, as a string.
  const shell = (head: string): string =>
    JSON.stringify({ ok: result.ok, excerpt: { of_chars: body.length, json_head: head } });
  return shell(body.slice(0, prefixLength(body, max - shell('').length)));
}

function excerpt(result: SyscallResult, room: number, total: number, place: ResultPlace | null): string {
  if (!result.ok) return JSON.stringify(shrink(result, room));
  const value = result.value;
  const longest =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? longestKey(value as Record<string, unknown>)
      : undefined;
  const probe = describe(total, place, { field: longest, offset: total });
  const inner = room - '{"ok":true,"value":,"excerpt":}'.length - jsonSize(probe);
  const { shown, rest } = cutValue(value, inner);
  return JSON.stringify({ ok: true, value: shown, excerpt: describe(total, place, rest) });
}

function cutValue(value: unknown, room: number): { shown: unknown; rest: Rest } {
  if (typeof value === 'string') {
    const kept = prefixLength(value, Math.max(0, room - 2));
    return { shown: value.slice(0, kept), rest: { offset: kept } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { shown: shrink(value, room), rest: { offset: 0 } };
  const cuts: FieldCut[] = [];
  const shown = shrinkObject(value as Record<string, unknown>, room, cuts);
  // A cut string reads on from its cut; a shrunk array or object is paged as JSON text from its start.
  const biggest = cuts.sort((a, b) => Number(a.nested) - Number(b.nested) || b.cut - a.cut)[0];
  return { shown, rest: biggest ? { field: biggest.key, offset: biggest.kept } : { offset: 0 } };
}

/** The excerpt's note: how big the whole result is and the call that reads on from the cut. */
function describe(total: number, place: ResultPlace | null, rest: Rest): Record<string, unknown> {
  if (!place) return { of_chars: total };
  const args = {
    turn: place.turn,
    seq: place.seq,
    ...(rest.field === undefined ? {} : { field: rest.field }),
    offset: rest.offset,
  };
  return { of_chars: total, rest: { SYS_RESULT_READ: args } };
}

/** The longest key name: the note is sized for the longest `field` it could name. */
function longestKey(value: Record<string, unknown>): string | undefined {
  let best: string | undefined;
  for (const key of Object.keys(value)) if (best === undefined || key.length > best.length) best = key;
  return best;
}
