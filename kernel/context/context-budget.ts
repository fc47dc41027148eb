/**
 * How large a process's context may be and how that budget is shared out. The model's context
 * window (from its driver, else the price table) bounds it; the default keeps turns cheap; each
 * result shown to the model gets a slice of it.
 *
 * And the last guard before a request leaves the kernel (fitMessages): the system prompt plus the
 * messages never exceed the budget. Compaction and result excerpts normally keep the context well
 * inside it; when they could not (a huge task, a model reply of megabytes, a burst of notices) the
 * largest messages are cut here, for this request only — the transcript and the store keep every
 * character. Before that, the mistakes corrected since are left out (withoutCorrected, below).
 */
import { AosError } from '../../sys/errno.js';
import { contextWindowOf } from '../../drivers/llm/prices.js';
import type { ModelDriver, ModelMessage } from '../../drivers/llm/types.js';
import { param } from '../../sys/param.js';

/**
 * Tokens a prompt takes, estimated at param.contextCharsPerToken characters per token. Used to keep
 * the context within its budget — never for accounting, which uses the provider's figures.
 */
export function estimateTokens(system: string, messages: readonly ModelMessage[]): number {
  let chars = system.length;
  for (const m of messages) chars += m.text.length;
  return Math.ceil(chars / param.contextCharsPerToken);
}

export function tokensToChars(tokens: number): number {
  return Math.floor(tokens * param.contextCharsPerToken);
}

/**
 * The budget of a process on `model`: what the spawn asked, else what its parent had, else the
 * default — and never more than the model's window allows (contextWindowShare of it).
 */
export function contextBudget(
  model: string,
  driver: Pick<ModelDriver, 'contextWindow'>,
  asked?: number,
  inherited?: number,
): number {
  if (asked !== undefined && (!Number.isInteger(asked) || asked < param.minContextTokens)) {
    throw new AosError(
      'EINVAL',
      `contextTokens must be an integer of at least ${param.minContextTokens} (got ${asked})`,
    );
  }
  const wanted = asked ?? inherited ?? param.contextBudgetTokens;
  const window = driver.contextWindow ?? contextWindowOf(model);
  return window === undefined ? wanted : Math.min(wanted, Math.floor(window * param.contextWindowShare));
}

/** Characters one of `calls` results of a reply may take in the model's context. */
export function resultChars(budgetTokens: number, calls: number): number {
  const share = tokensToChars(budgetTokens * param.contextMessageShare) / Math.max(1, calls);
  return Math.floor(Math.min(param.maxResultChars, Math.max(param.minResultChars, share)));
}

const CUT_NOTE = (cut: number): string =>
  `\n[KERNEL] ${cut} characters of this message were cut to fit your context budget (the whole message is kept by the kernel).`;

/** Below this, a cut message is not worth a note. */
const MIN_NOTED = 200;

export interface Fitted {
  messages: ModelMessage[];
  /** Characters cut, over all messages. */
  cut: number;
}

/** null when even the system prompt does not fit: no request can honour the budget. */
export function fitMessages(system: string, messages: readonly ModelMessage[], budgetTokens: number): Fitted | null {
  let room = tokensToChars(budgetTokens) - system.length;
  if (room < 0) return null;
  let total = 0;
  for (const m of messages) total += m.text.length;
  const out = messages.map(({ role, text }) => ({ role, text }));
  if (total <= room) return { messages: out, cut: 0 };
  // Water-filling: smallest first, each takes what it needs up to an equal share of what is left.
  const order = out.map((m, i) => ({ i, n: m.text.length })).sort((a, b) => a.n - b.n);
  let left = order.length;
  let cut = 0;
  for (const { i, n } of order) {
    const share = Math.floor(room / left--);
    const m = out[i] as ModelMessage;
    if (n > share) {
      m.text = clip(m.text, share);
      cut += n - m.text.length;
    }
    room -= m.text.length;
  }
  return { messages: out, cut };
}

/** The head of `text` in at most `max` characters, saying how much is gone when there is room to. */
function clip(text: string, max: number): string {
  const note = CUT_NOTE(text.length);
  if (max < MIN_NOTED + note.length) return text.slice(0, Math.max(0, max));
  const keep = max - note.length;
  return `${text.slice(0, keep)}${CUT_NOTE(text.length - keep)}`;
}

// ---- corrected mistakes (issue 50.6) ----

/*
 * Corrected mistakes leave the requests: a reply whose every call was malformed or
 * named no syscall (EINVAL, ENOSYS) and the kernel's message that answered only that, once a later
 * call of the process has succeeded, are not sent again. The model made the call right since; the
 * wrong attempt in every later request costs its tokens on each, and shows the model a wrong form
 * of the call to copy. The transcript keeps them (aos logs, the store, a fork); only the requests
 * leave them out.
 *
 * A pure function of the transcript's entries, so a restart, a fork and a recording's replay send
 * the same requests. Kept: a kernel message with anything else in it (a result that succeeded or
 * failed otherwise — EPERM, ENOENT say something about the world — an event, a notice, a reminder),
 * and every mistake not yet followed by a success.
 */

/** A result line that says only that the call itself was wrong. */
const WRONG_CALL = /^\[SYS_RESULT::[A-Za-z0-9_]+\] \{"ok":false,"errno":"(?:EINVAL|ENOSYS)"/;
/** A result line of a call that ran. */
const RAN = /^\[SYS_RESULT::[A-Za-z0-9_]+\] \{"ok":true/m;

interface Seen {
  text: string;
  wrong: boolean;
  ran: boolean;
}

/** Per message (its text as classified: the latest kernel message may be amended with notices). */
const seen = new WeakMap<ModelMessage, Seen>();

function classify(message: ModelMessage): Seen {
  const known = seen.get(message);
  if (known !== undefined && known.text === message.text) return known;
  const { text } = message;
  // Cheap tests first: most kernel messages hold a success, or no wrong call at all.
  const ran = text.includes('{"ok":true') && RAN.test(text);
  const wrong = !ran && (text.includes('"errno":"EINVAL"') || text.includes('"errno":"ENOSYS"')) && onlyWrong(text);
  const fresh = { text, wrong, ran };
  seen.set(message, fresh);
  return fresh;
}

function onlyWrong(text: string): boolean {
  for (const line of text.split('\n')) if (!WRONG_CALL.test(line)) return false;
  return true;
}

/**
 * The messages a request sends: `transcript` without the corrected mistakes (the same array when
 * there are none, or when param.leaveOutCorrected is off).
 */
export function withoutCorrected<M extends ModelMessage>(transcript: readonly M[]): readonly M[] {
  if (!param.leaveOutCorrected) return transcript;
  let ranAfter = false;
  let drop: Set<number> | null = null;
  // From the newest back: a mistake is corrected when a success comes after it.
  for (let i = transcript.length - 1; i > 0; i--) {
    const message = transcript[i] as M;
    if (message.role !== 'user') continue;
    const { wrong, ran } = classify(message);
    if (ran) ranAfter = true;
    else if (wrong && ranAfter && transcript[i - 1]?.role === 'model') {
      drop ??= new Set();
      drop.add(i).add(i - 1);
    }
  }
  return drop === null ? transcript : transcript.filter((_, i) => !(drop as Set<number>).has(i));
}
