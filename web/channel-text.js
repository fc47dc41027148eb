// @ts-check
// What the channels screens (channels.js, channel-page.js) are made of. Chats, senders, names, texts
// and errors are written by whoever can message the bot: they go on the page as text (h() appends
// strings as text nodes, and attributes are set with setAttribute), never as markup, and their
// control characters and bidi overrides are shown as escapes (as the CLI's printable()). Besides: a
// state badge and a table, the two shapes both screens draw.
import { age, h } from './dom.js';
/** @typedef {import('./dom.js').Child} Child */
/** @typedef {import('../protocol/web-api.js').WebResult<'channel_show'>} ChannelPage */
/** @typedef {NonNullable<ChannelPage['channel']['last_message']>} ChannelMessage */

/** Characters of a last message in the list. */
const LAST_CHARS = 120;

// eslint-disable-next-line no-control-regex -- these are the controls it finds, to show them escaped
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Someone else's text, its invisible controls made visible.
 * @param {string | null | undefined} text
 */
export function visible(text) {
  return String(text ?? '').replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Someone else's text on one line, cut.
 * @param {string | null | undefined} text
 * @param {number} [max]
 */
export function oneLine(text, max = LAST_CHARS) {
  const line = visible(text).replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** @param {string | null} iso */
export function ago(iso) {
  return iso ? `${age({ created_at: Date.parse(iso) })} ago` : '—';
}

/** @type {Readonly<Record<string, string>>} */
const STATE_CLASS = {
  running: 'state-running',
  starting: 'state-ready',
  backoff: 'state-blocked',
  stopped: 'state-exited',
  failed: 'state-killed',
};

/** @param {string} state */
export function stateBadge(state) {
  return h('span', { class: `badge ${STATE_CLASS[state] ?? ''}` }, state);
}

/**
 * A sender as `Name (id)`, written by someone else: shown as text, on one line.
 * @param {ChannelMessage} m
 */
export function who(m) {
  if (m.sender === null || m.sender === undefined) return '?';
  return m.sender_name ? `${oneLine(m.sender_name, 64)} (${oneLine(m.sender, 64)})` : oneLine(m.sender, 64);
}

/**
 * @param {string} cls
 * @param {readonly string[]} head
 * @param {readonly Child[]} rows
 */
export function grid(cls, head, rows) {
  return h(
    'table',
    { class: cls },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        head.map((c) => h('th', {}, c)),
      ),
    ),
    h('tbody', {}, rows),
  );
}
