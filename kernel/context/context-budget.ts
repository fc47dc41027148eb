/**
 * How large a process's context may be and how that budget is shared out. The model's context
 * window (from its driver, else the price table) bounds it; the default keeps turns cheap; each
 * result shown to the model gets a slice of it.
 *
 * And the last guard before a request leaves the kernel (fitMessages): the system prompt plus the
 * messages never exceed the budget. Compaction and result excerpts normally keep the context well
 * inside it; when they could not (a huge task, a model reply of megabytes, a burst of notices) the
 * largest messages are cut here, for this request only — the transcript and the store keep every
 * character.
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
