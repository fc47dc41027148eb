// @ts-check
// One channel's page on the channels screen (channels.js draws it): its details, bindings, pending
// pairings, paired senders and conversations grouped by the thread each is kept in (linked to the
// thread's page). Others' text goes on it as channel-text.js says.
import { h } from './dom.js';
import { threadHref } from './threads.js';
import { ago, grid, oneLine, stateBadge, visible, who } from './channel-text.js';
/** @typedef {import('./dom.js').Child} Child */
/** @typedef {import('../protocol/web-api.js').WebResult<'channel_show'>} ChannelPage */
/** @typedef {ChannelPage['channel']} ChannelInfo */
/** @typedef {ChannelPage['messages'][number]} MessageEntry */
/** The messages kept in one thread (null: in none), and when the newest was. @typedef {{ thread: string | null, messages: MessageEntry[], last: string }} Conversation */

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
    [
      'Token',
      `policy secret ${c.token_secret}${c.signing_secret === null ? '' : ` · signing secret ${c.signing_secret}`}`,
    ],
    [c.api_root ? 'API' : 'Reaches', c.api_root || (c.egress ?? []).join(', ') || 'nothing'],
    ['Unknown senders', c.unknown === 'pair' ? 'get a pairing code' : 'dropped'],
    [
      'Messages',
      `${n.inbound} in (${n.duplicate} duplicate, ${n.dropped} dropped, ${n.held} held) · ${n.outbound} out (${n.failed} failed)`,
    ],
  ];
  if (c.kind === 'slack')
    rows.push([
      'Events URL',
      c.events_url === null ? 'none yet (the gateway is not listening)' : h('code', {}, c.events_url),
    ]);
  if (c.last_error !== null) rows.push(['Last error', h('span', { class: 'last-error' }, visible(c.last_error))]);
  return h(
    'table',
    { class: 'threads channel-details' },
    h(
      'tbody',
      {},
      rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v))),
    ),
  );
}

/**
 * @param {ChannelPage['bindings']} list
 * @param {string} name
 */
function bindings(list, name) {
  if (list.length === 0)
    return h(
      'p',
      { class: 'empty' },
      `No bindings: its messages go nowhere until one (aos channel bind ${name} --unit <unit>).`,
    );
  /** @param {string} v */
  const any = (v) => (v === '*' ? 'any' : visible(v));
  return grid(
    'threads channel-bindings',
    ['Id', 'Account', 'Chat', 'Sender', 'To', 'Thread'],
    list.map((b) =>
      h(
        'tr',
        { dataset: { id: b.id } },
        h('td', {}, b.id),
        h('td', {}, any(b.account)),
        h('td', {}, any(b.chat)),
        h('td', {}, any(b.sender)),
        h('td', {}, target(b)),
        h('td', {}, visible(b.thread)),
      ),
    ),
  );
}

/** @param {ChannelPage['pairings']} list */
function pairings(list) {
  return grid(
    'threads channel-pairings',
    ['Code', 'Sender', 'Name', 'Chat', 'Held', 'Asked', 'Expires'],
    list.map((p) =>
      h(
        'tr',
        { dataset: { code: p.code } },
        h('td', {}, h('code', {}, p.code)),
        h('td', {}, oneLine(p.sender, 64)),
        h('td', {}, oneLine(p.sender_name, 64)),
        h('td', {}, oneLine(p.chat, 64)),
        h('td', { class: 'num' }, String(p.held)),
        h('td', { title: p.created_at }, ago(p.created_at)),
        h('td', {}, p.expires_at.slice(0, 19).replace('T', ' ')),
      ),
    ),
  );
}

/** @param {ChannelPage['senders']} list */
function senders(list) {
  return grid(
    'threads channel-senders',
    ['Sender', 'Name', 'Paired'],
    list.map((s) =>
      h(
        'tr',
        {},
        h('td', {}, oneLine(s.sender, 64)),
        h('td', {}, oneLine(s.name, 64)),
        h('td', { title: s.paired_at }, ago(s.paired_at)),
      ),
    ),
  );
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
  return groups.sort(
    (a, b) => Number(a.thread === null) - Number(b.thread === null) || (a.last < b.last ? 1 : a.last > b.last ? -1 : 0),
  );
}

/** @param {Conversation} group */
function conversation(group) {
  const title =
    group.thread === null
      ? h('h3', {}, 'Not in a thread (dropped or held)')
      : h('h3', { class: 'thread-key' }, 'Thread ', h('a', { href: threadHref(group.thread) }, visible(group.thread)));
  const table = grid(
    'thread-entries channel-messages',
    ['Time (UTC)', 'From', 'Chat', 'Status', 'Pid', 'Text'],
    group.messages.map(messageRow),
  );
  return h('section', { class: 'conversation', dataset: { thread: group.thread ?? '' } }, title, table);
}

/**
 * The page's parts, in order.
 * @param {ChannelPage} r
 * @returns {HTMLElement[]}
 */
export function channelPage(r) {
  const c = r.channel;
  const groups = conversations(r.messages);
  return [
    h('p', {}, h('a', { href: '#channels' }, '← all channels')),
    h('h2', { class: 'thread-key' }, `${visible(c.name)} (${c.kind})`),
    details(c),
    h('h3', {}, 'Bindings'),
    bindings(r.bindings, c.name),
    ...(r.pairings.length
      ? [
          h('h3', {}, 'Pending pairings'),
          h('p', { class: 'muted' }, 'Let a sender in with aos channel pair <code>.'),
          pairings(r.pairings),
        ]
      : []),
    ...(r.senders.length ? [h('h3', {}, 'Paired senders'), senders(r.senders)] : []),
    h('h3', {}, 'Conversations'),
    ...(groups.length ? groups.map(conversation) : [h('p', { class: 'empty' }, 'No messages yet.')]),
  ];
}
