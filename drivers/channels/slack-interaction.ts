/**
 * Slack's buttons (issue 52): a message with buttons (`channel.approval`) is chat.postMessage with
 * a section and an actions block, each button's `value` the kernel's data; a press reaches the
 * kernel's gateway as an interactivity request — form-encoded, `payload=<JSON>` of type
 * `block_actions`, signed as events are (the adapter checks the signature before this reads it) —
 * and becomes `channel.callback`; the kernel's answer is shown to the presser alone
 * (chat.postEphemeral). `channel.edit` is chat.update, its blocks one plain_text section (the buttons go).
 */
import type { WebClient } from '@slack/web-api';
import type { ButtonMessage, CallbackMessage, EditMessage } from './protocol.js';

type SlackClient = Pick<WebClient, 'chat'>;

/** Slack's limit on a section's text. */
const SECTION_MAX = 3000;

/** Whether a forwarded request is an interactivity request (form-encoded), not an event (JSON). */
export function isInteraction(headers: Readonly<Record<string, string>>): boolean {
  return (headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

/** A block_actions request's press as the protocol's callback; null for anything else (a modal, a shortcut, nonsense). */
export function interactionOf(team: string, body: string): Omit<CallbackMessage, 'channel'> | null {
  const raw = new URLSearchParams(body).get('payload');
  if (!raw) return null;
  let payload: {
    type?: unknown;
    user?: { id?: unknown; name?: unknown; username?: unknown };
    channel?: { id?: unknown };
    container?: { message_ts?: unknown; channel_id?: unknown };
    message?: { ts?: unknown };
    actions?: Array<{ value?: unknown }>;
  };
  try {
    payload = JSON.parse(raw) as typeof payload;
  } catch {
    return null;
  }
  if (typeof payload !== 'object' || payload === null || payload.type !== 'block_actions') return null;
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  const user = str(payload.user?.id);
  const chat = str(payload.channel?.id) || str(payload.container?.channel_id);
  const ts = str(payload.container?.message_ts) || str(payload.message?.ts);
  const data = Array.isArray(payload.actions) ? str(payload.actions[0]?.value) : '';
  if (!user || !chat || !data) return null;
  return {
    account: team,
    chat,
    sender: { id: user, name: str(payload.user?.name) || str(payload.user?.username) || user },
    message_id: ts,
    data,
  };
}

/** A message with buttons. */
export async function postButtons(client: SlackClient, ask: ButtonMessage): Promise<{ ts?: string; channel?: string }> {
  const section = ask.text.length > SECTION_MAX ? `${ask.text.slice(0, SECTION_MAX - 1)}…` : ask.text;
  return client.chat.postMessage({
    channel: ask.chat,
    text: ask.text,
    blocks: [
      { type: 'section', text: { type: 'plain_text', text: section, emoji: false } },
      {
        type: 'actions',
        elements: ask.buttons.map((b, i) => ({
          type: 'button',
          action_id: `aos-${i}`,
          text: { type: 'plain_text', text: b.label, emoji: false },
          value: b.data,
        })),
      },
    ],
  });
}

/**
 * A message's text replaced, its buttons gone. The text (the outcome and the call, which holds model
 * text) goes in a plain_text section, as the ask did: a top-level `text` alone is rendered as mrkdwn,
 * where `<!channel>` pings everyone and `<https://x|label>` hides a link behind other words.
 */
export async function updateMessage(client: SlackClient, edit: EditMessage): Promise<void> {
  const section = edit.text.length > SECTION_MAX ? `${edit.text.slice(0, SECTION_MAX - 1)}…` : edit.text;
  await client.chat.update({
    channel: edit.chat,
    ts: edit.message_id,
    text: edit.text,
    blocks: [{ type: 'section', text: { type: 'plain_text', text: section, emoji: false } }],
  });
}

/** What the kernel said of a press, shown to the presser alone. */
export async function tellPresser(client: SlackClient, chat: string, user: string, text: string): Promise<void> {
  if (text) await client.chat.postEphemeral({ channel: chat, user, text });
}
