/**
 * The last guard before a request leaves the kernel: the system prompt plus the messages never
 * exceed the budget. Compaction and result excerpts normally keep the context well inside it; when
 * they could not (a huge task, a model reply of megabytes, a burst of notices) the largest messages
 * are cut here, for this request only — the transcript and the store keep every character.
 */
import type { ModelMessage } from '../../drivers/llm/types.js';
import { tokensToChars } from './context-budget.js';

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
