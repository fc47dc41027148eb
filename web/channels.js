// @ts-check
// The channels screen (issue 34): every Telegram and Slack channel (aos channel ls) and, per channel,
// its bindings, pending pairings, paired senders and conversations grouped by the thread each is
// kept in (linked to the thread's page). Chats, senders, names, texts and errors are written by
// whoever can message the bot: they go on the page as text (h() appends strings as text nodes, and
// attributes are set with setAttribute), never as markup, and their control characters and bidi
// overrides are shown as escapes (as the CLI's printable()).
import { age, clear, h } from './dom.js';
import { failure, get } from './api.js';
import { threadHref } from './threads.js';
/** @typedef {import('./dom.js').Child} Child */
/** @typedef {import('../protocol/web-api.js').WebResult<'channel_ls'>} ChannelList */
/** @typedef {import('../protocol/web-api.js').WebResult<'channel_show'>} ChannelPage */
/** @typedef {ChannelPage['channel']} ChannelInfo */
/** @typedef {NonNullable<ChannelInfo['last_message']>} ChannelMessage */
/** @typedef {ChannelPage['messages'][number]} MessageEntry */
/** The messages kept in one thread (null: in none), and when the newest was. @typedef {{ thread: string | null, messages: MessageEntry[], last: string }} Conversation */

/** Messages a channel's page asks for (the newest). */
const MESSAGES = 200;
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
function oneLine(text, max = LAST_CHARS) {
  const line = visible(text).replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** @param {string} name */
export function channelHref(name) {
  return `#channels/${encodeURIComponent(name)}`;
}

/** @param {string | null} iso */
function ago(iso) {
  return iso ? `${age({ created_at: Date.parse(iso) })} ago` : '—';
}

/** @type {Readonly<Record<string, string>>} */
const STATE_CLASS = { running: 'state-running', starting: 'state-ready', backoff: 'state-blocked', stopped: 'state-exited', failed: 'state-killed' };

/** @param {string} state */
function stateBadge(state) {
  return h('span', { class: `badge ${STATE_CLASS[state] ?? ''}` }, state);
}

/**
 * A sender as `Name (id)`, written by someone else: shown as text, on one line.
 * @param {ChannelMessage} m
 */
function who(m) {
  if (m.sender === null || m.sender === undefined) return '?';
  return m.sender_name ? `${oneLine(m.sender_name, 64)} (${oneLine(m.sender, 64)})` : oneLine(m.sender, 64);
}

/**
 * A message at a glance: `2m ago · in · 4242 · from 777: hello`.
 * @param {ChannelMessage | null} m
 */
function lastMessage(m) {
  if (!m) return '—';
  const from = m.direction === 'in' ? ` from ${who(m)}` : '';
  return h('span', { title: m.at }, `${ago(m.at)} · ${m.direction} ${oneLine(m.chat, 64)}${from}${m.status === 'accepted' || m.status === 'sent' ? '' : ` [${oneLine(m.status, 32)}]`}: ${oneLine(m.text)}`);
}

/**
 * @param {string} cls
 * @param {readonly string[]} head
 * @param {readonly Child[]} rows
 */
function grid(cls, head, rows) {
  return h('table', { class: cls }, h('thead', {}, h('tr', {}, head.map((c) => h('th', {}, c)))), h('tbody', {}, rows));
}

/** @param {readonly ChannelInfo[]} channels */
function listTable(channels) {
  return grid(
    'threads channels',
    ['Channel', 'Kind', 'State', 'Account', 'Restarts', 'Last message', 'Last error'],
    channels.map((c) =>
      h(
        'tr',
        { dataset: { channel: c.name, state: c.state } },
        h('td', {}, h('a', { href: channelHref(c.name) }, visible(c.name))),
        h('td', {}, c.kind),
        h('td', {}, stateBadge(c.state)),
        h('td', {}, c.account === null ? '—' : oneLine(c.account, 64)),
        h('td', { class: 'num' }, String(c.restarts)),
        h('td', { class: 'last-message' }, lastMessage(c.last_message)),
        h('td', { class: 'last-error' }, c.last_error === null ? '' : oneLine(c.last_error, 200)),
      ),
    ),
  );
}

/**
 * Where a binding sends: a unit, or a process (a link to it).
 * @param {ChannelPage['bindings'][number]} b
 */
function target(b) {
  return b.unit !== null ? `unit ${visible(b.unit)}` : [`pid `, h('a', { href: `#procs/${b.pid}` }, String(b.pid))];
}

/** @param {ChannelInfo} c */
function details(c) {
  const n = c.counts;
  /** @type {Array<[string, Child | Child[]]>} */
  const rows = [
    ['State', [stateBadge(c.state), c.pid === null ? '' : ` adapter pid ${c.pid}`, ` · ${c.restarts} restarts`]],
    ['Account', c.account === null ? 'not yet (the adapter has not said hello)' : visible(c.account)],
    ['Token', `policy secret ${c.token_secret}${c.signing_secret === null ? '' : ` · signing secret ${c.signing_secret}`}`],
    [c.api_root ? 'API' : 'Reaches', c.api_root || (c.egress ?? []).join(', ') || 'nothing'],
    ['Unknown senders', c.unknown === 'pair' ? 'get a pairing code' : 'dropped'],
    ['Messages', `${n.inbound} in (${n.duplicate} duplicate, ${n.dropped} dropped, ${n.held} held) · ${n.outbound} out (${n.failed} failed)`],
  ];
  if (c.kind === 'slack') rows.push(['Events URL', c.events_url === null ? 'none yet (the gateway is not listening)' : h('code', {}, c.events_url)]);
  if (c.last_error !== null) rows.push(['Last error', h('span', { class: 'last-error' }, visible(c.last_error))]);
  return h('table', { class: 'threads channel-details' }, h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v)))));
}

/**
 * @param {ChannelPage['bindings']} list
 * @param {string} name
 */
function bindings(list, name) {
  if (list.length === 0) return h('p', { class: 'empty' }, `No bindings: its messages go nowhere until one (aos channel bind ${name} --unit <unit>).`);
  /** @param {string} v */
  const any = (v) => (v === '*' ? 'any' : visible(v));
  return grid('threads channel-bindings', ['Id', 'Account', 'Chat', 'Sender', 'To', 'Thread'], list.map((b) => h('tr', { dataset: { id: b.id } }, h('td', {}, b.id), h('td', {}, any(b.account)), h('td', {}, any(b.chat)), h('td', {}, any(b.sender)), h('td', {}, target(b)), h('td', {}, visible(b.thread)))));
}

/** @param {ChannelPage['pairings']} list */
function pairings(list) {
  return grid(
    'threads channel-pairings',
    ['Code', 'Sender', 'Name', 'Chat', 'Held', 'Asked', 'Expires'],
    list.map((p) => h('tr', { dataset: { code: p.code } }, h('td', {}, h('code', {}, p.code)), h('td', {}, oneLine(p.sender, 64)), h('td', {}, oneLine(p.sender_name, 64)), h('td', {}, oneLine(p.chat, 64)), h('td', { class: 'num' }, String(p.held)), h('td', { title: p.created_at }, ago(p.created_at)), h('td', {}, p.expires_at.slice(0, 19).replace('T', ' ')))),
  );
}

/** @param {ChannelPage['senders']} list */
function senders(list) {
  return grid('threads channel-senders', ['Sender', 'Name', 'Paired'], list.map((s) => h('tr', {}, h('td', {}, oneLine(s.sender, 64)), h('td', {}, oneLine(s.name, 64)), h('td', { title: s.paired_at }, ago(s.paired_at)))));
}

/** @param {MessageEntry} m */
function messageRow(m) {
  return h(
    'tr',
    { class: 'entry', dataset: { direction: m.direction, status: m.status } },
    h('td', { class: 'when', title: m.at }, m.at.slice(0, 19).replace('T', ' ')),
    h('td', { class: 'who' }, m.direction === 'in' ? `← ${who(m)}` : '→ bot'),
    h('td', {}, oneLine(m.chat, 64)),
    h('td', {}, m.status === 'accepted' || m.status === 'sent' ? '' : h('span', { class: 'badge' }, visible(m.status))),
    h('td', { class: 'who' }, m.pid ? h('a', { href: `#procs/${m.pid}` }, String(m.pid)) : ''),
    h('td', { class: 'text' }, visible(m.text)),
  );
}

/**
 * The messages by the thread each was kept in, the thread with the newest message first; those kept in none last.
 * @param {readonly MessageEntry[]} messages
 * @returns {Conversation[]}
 */
export function conversations(messages) {
  /** @type {Map<string | null, MessageEntry[]>} */
  const byThread = new Map();
  for (const m of messages) byThread.set(m.thread, [...(byThread.get(m.thread) ?? []), m]);
  const groups = [...byThread].map(([thread, list]) => ({ thread, messages: list, last: list.at(-1)?.at ?? '' }));
  return groups.sort((a, b) => Number(a.thread === null) - Number(b.thread === null) || (a.last < b.last ? 1 : a.last > b.last ? -1 : 0));
}

/** @param {Conversation} group */
function conversation(group) {
  const title = group.thread === null ? h('h3', {}, 'Not in a thread (dropped or held)') : h('h3', { class: 'thread-key' }, 'Thread ', h('a', { href: threadHref(group.thread) }, visible(group.thread)));
  const table = grid('thread-entries channel-messages', ['Time (UTC)', 'From', 'Chat', 'Status', 'Pid', 'Text'], group.messages.map(messageRow));
  return h('section', { class: 'conversation', dataset: { thread: group.thread ?? '' } }, title, table);
}

/** The list or one channel, drawn into one element; `gen` drops an answer the page has moved on from. */
export class ChannelsScreen {
  /** @param {HTMLElement} el */
  constructor(el) {
    this.el = el;
    /** @type {string | null} the channel shown; null: the list */
    this.name = null;
    this.gen = 0;
  }

  /**
   * The list (name null) or one channel; drawn again by refresh().
   * @param {string | null} name
   */
  async show(name) {
    const gen = ++this.gen;
    this.name = name;
    try {
      if (name === null) this.drawList(gen, await get('/api/channels'));
      else this.drawOne(gen, await get('/api/channel', { name, limit: MESSAGES }));
    } catch (error) {
      if (gen === this.gen) this.gone(`${failure(error)}.`);
    }
  }

  refresh() {
    return this.show(this.name);
  }

  /** Leave the screen: answers in flight are dropped. */
  close() {
    this.gen++;
    this.name = null;
  }

  /**
   * @param {number} gen
   * @param {ChannelList} list
   */
  drawList(gen, { channels }) {
    if (gen !== this.gen) return;
    clear(this.el).append(h('h2', {}, 'Channels: Telegram and Slack bots'));
    if (channels.length === 0) return this.el.append(h('p', { class: 'empty' }, 'No channels. Add one with aos channel add telegram --token-secret TG_TOKEN (the policy secret whose channels: lists it).'));
    this.el.append(listTable(channels));
  }

  /**
   * @param {number} gen
   * @param {ChannelPage} r
   */
  drawOne(gen, r) {
    if (gen !== this.gen) return;
    const c = r.channel;
    const groups = conversations(r.messages);
    clear(this.el).append(
      h('p', {}, h('a', { href: '#channels' }, '← all channels')),
      h('h2', { class: 'thread-key' }, `${visible(c.name)} (${c.kind})`),
      details(c),
      h('h3', {}, 'Bindings'),
      bindings(r.bindings, c.name),
      ...(r.pairings.length ? [h('h3', {}, 'Pending pairings'), h('p', { class: 'muted' }, 'Let a sender in with aos channel pair <code>.'), pairings(r.pairings)] : []),
      ...(r.senders.length ? [h('h3', {}, 'Paired senders'), senders(r.senders)] : []),
      h('h3', {}, 'Conversations'),
      ...(groups.length ? groups.map(conversation) : [h('p', { class: 'empty' }, 'No messages yet.')]),
    );
  }

  /** @param {string} message */
  gone(message) {
    clear(this.el).append(h('p', { class: 'empty' }, message), h('p', {}, h('a', { href: '#channels' }, '← all channels')));
  }
}
