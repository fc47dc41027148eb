/**
 * Bindings (issue 34): which messages of a channel go where. Each names an account, a chat and a
 * sender (`*`: every one) and a target — a unit (a run per message, its thread attached) or a live
 * process (its stdin) — and the thread the conversation is kept in, a template of the message's
 * `{channel} {account} {chat} {sender}`. The most specific binding wins: the one naming the sender,
 * then the chat, then the account; among equals the newest.
 */
import { AosError } from '../../sys/errno.js';
import { checkThreadKey, keySegment } from '../../sys/thread-key.js';
import type { BindingRecord } from '../store/api.js';

export const DEFAULT_THREAD = 'chat:{channel}:{chat}';
const PLACEHOLDERS = new Set(['channel', 'account', 'chat', 'sender']);

export interface MessageAddress {
  channel: string;
  account: string;
  chat: string;
  sender: string;
}

/** How specific a binding is: sender 4, chat 2, account 1, summed. */
function weight(b: BindingRecord): number {
  return (b.sender !== '*' ? 4 : 0) + (b.chat !== '*' ? 2 : 0) + (b.account !== '*' ? 1 : 0);
}

const fits = (pattern: string, value: string): boolean => pattern === '*' || pattern === value;

/** The binding a message goes by, or null. */
export function bindingFor(bindings: Iterable<BindingRecord>, to: MessageAddress): BindingRecord | null {
  let best: BindingRecord | null = null;
  for (const b of bindings) {
    if (
      b.channel !== to.channel ||
      !fits(b.account, to.account) ||
      !fits(b.chat, to.chat) ||
      !fits(b.sender, to.sender)
    )
      continue;
    if (best === null || weight(b) > weight(best) || (weight(b) === weight(best) && b.created_at >= best.created_at))
      best = b;
  }
  return best;
}

export { keySegment } from '../../sys/thread-key.js';

/** The thread of a message under a binding's template. */
export function threadKeyOf(template: string, to: MessageAddress): string {
  const key = template.replace(/\{([a-z]+)\}/g, (_m, name: string) => keySegment(to[name as keyof MessageAddress]));
  // A key that is not one (a chat id too long for it) fails loudly here, never folded into another.
  return checkThreadKey(key);
}

/** A template as a person wrote it, checked: only the four placeholders, and a valid key once filled. */
export function checkThreadTemplate(template: string): string {
  for (const match of template.matchAll(/\{([^}]*)\}/g)) {
    if (!PLACEHOLDERS.has(match[1] ?? ''))
      throw new AosError(
        'EINVAL',
        `thread template "${template}": {${match[1] ?? ''}} is not one of {channel} {account} {chat} {sender}`,
      );
  }
  threadKeyOf(template, { channel: 'c', account: 'a', chat: 'c1', sender: 's1' });
  return template;
}

/** An id a binding may name: a platform id as the adapter gives it, or `*`. */
export function checkIdPattern(what: string, value: string | undefined): string {
  if (value === undefined || value === '' || value === '*') return '*';
  if (value.length > 200 || /[\p{Cc}\s]/u.test(value))
    throw new AosError(
      'EINVAL',
      `${what} "${value.slice(0, 40)}" is not a platform id (no spaces or control characters, at most 200 characters)`,
    );
  return value;
}
