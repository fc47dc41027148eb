/**
 * One process's run as tape entries, from its stored events: per whole turn (a `prompt` event and
 * its `model` event) the reply, its usage, the kernel message it answered (`sent`), what else the
 * request held when the stream does not say it otherwise (its `request` event: the system prompt
 * when new, every message when they are not the last request's with its reply and `sent` after it)
 * and the stable lines of that message the replay must see again (`expect`).
 */
import type { ModelMessage } from '../../drivers/llm/types.js';
import type { KernelEvent } from '../../protocol/events.js';

export interface RecordedUsage {
  prompt: number;
  output: number;
  cached?: number;
}

export interface RecordedTurn {
  reply: string;
  usage?: RecordedUsage;
  sent: string;
  /** The system prompt this turn was sent, when it differs from the turn before's (the first turn's always). */
  system?: string;
  /** Every message this turn was sent, when they are not the turn before's with its reply and `sent` after it. */
  context?: ModelMessage[];
  expect: string[];
}

type PromptEvent = Extract<KernelEvent, { type: 'prompt' }>;
type ModelEvent = Extract<KernelEvent, { type: 'model' }>;
type RequestEvent = Extract<KernelEvent, { type: 'request' }>;

/** The head of a result line: its name and whether it succeeded (with the errno when not). */
const RESULT_HEAD = /^\[SYS_RESULT::[A-Za-z0-9_]+\] \{"ok":(?:true|false,"errno":"[A-Z]+")/;
/** The task's line of a first message: `[TASK] …` or `[TASK (from your parent, pid 7)] …` (the pid is not stable). */
const TASK_LINE = /^\[TASK(?: \(from your parent, pid \d+\))?\] (.*)$/;
const NO_SYSCALL = '[KERNEL] Your reply contained no syscall.';
/** A task line longer than this is expected by its start. */
const MAX_TASK_EXPECT = 200;

/**
 * The turns of one process, oldest first, up to its last whole turn: a turn cut before its reply
 * (killed mid-turn) and everything after a gap end the list. `mask` goes over every text once more
 * (results are masked at the source, but a task or a reply may hold a secret's value; a tape is a
 * file that travels).
 */
export function turnsOf(
  events: readonly KernelEvent[],
  mask: (text: string) => string = (text) => text,
): RecordedTurn[] {
  const prompts = new Map<number, PromptEvent>();
  const replies = new Map<number, ModelEvent>();
  const requests = new Map<number, RequestEvent>();
  for (const event of events) {
    // The first of each: a turn's events are emitted once (a restart does not repeat them).
    if (event.type === 'prompt' && !prompts.has(event.turn)) prompts.set(event.turn, event);
    if (event.type === 'model' && !replies.has(event.turn)) replies.set(event.turn, event);
    if (event.type === 'request' && !requests.has(event.turn)) requests.set(event.turn, event);
  }
  const turns: RecordedTurn[] = [];
  for (let turn = 0; ; turn++) {
    const prompt = prompts.get(turn);
    const model = replies.get(turn);
    if (prompt === undefined || model === undefined) return turns;
    // A line that held a secret is not expected: the replay's message holds the secret, the tape cannot.
    const expect = expectLines(prompt.text, turn).filter((line) => mask(line) === line);
    const said = requests.get(turn);
    turns.push({
      reply: mask(model.text),
      ...(model.usage === undefined ? {} : { usage: usageOf(model.usage) }),
      sent: mask(prompt.text),
      ...(said?.system === undefined ? {} : { system: mask(said.system) }),
      ...(said?.messages === undefined
        ? {}
        : { context: said.messages.map((m) => ({ role: m.role, text: mask(m.text) })) }),
      expect,
    });
  }
}

function usageOf(usage: NonNullable<ModelEvent['usage']>): RecordedUsage {
  return {
    prompt: usage.prompt,
    output: usage.output,
    ...(usage.cached === undefined ? {} : { cached: usage.cached }),
  };
}

/**
 * What a replay must see again in the kernel's message, each line's stable part only: every
 * result's name and outcome (`[SYS_RESULT::FS_WRITE] {"ok":true`, `… {"ok":false,"errno":"ENOENT"`,
 * never its value, which holds durations, new pids and times), the task's first line on turn 0,
 * and the kernel's reminder after a reply without a syscall. Events (a child's exit, a message)
 * are left out: when they arrive depends on timing, not on the replies.
 */
export function expectLines(sent: string, turn: number): string[] {
  const found = new Set<string>();
  for (const line of sent.split('\n')) {
    const head = RESULT_HEAD.exec(line);
    if (head) found.add(head[0]);
    else if (line.startsWith(NO_SYSCALL)) found.add(NO_SYSCALL);
    else if (turn === 0) {
      const task = TASK_LINE.exec(line)?.[1]?.trim();
      if (task) found.add(cut(task));
    }
  }
  return [...found];
}

function cut(text: string): string {
  if (text.length <= MAX_TASK_EXPECT) return text;
  // Not through a surrogate pair: the expected text must be a substring of the message.
  const end = /[\uD800-\uDBFF]/.test(text.charAt(MAX_TASK_EXPECT - 1)) ? MAX_TASK_EXPECT - 1 : MAX_TASK_EXPECT;
  return text.slice(0, end).trimEnd();
}
