// @ts-check
// The channels screen (issue 34): every Telegram and Slack channel (aos channel ls) and, per channel,
// its page (channel-page.js): bindings, pending pairings, paired senders and conversations. What
// others wrote goes on it as text, its controls shown as escapes (channel-text.js).
import { clear, h } from './dom.js';
import { failure, get } from './api.js';
import { channelPage } from './channel-page.js';
import { ago, grid, oneLine, stateBadge, visible, who } from './channel-text.js';
/** @typedef {import('../protocol/web-api.js').WebResult<'channel_ls'>} ChannelList */
/** @typedef {import('../protocol/web-api.js').WebResult<'channel_show'>} ChannelPage */
/** @typedef {ChannelPage['channel']} ChannelInfo */
/** @typedef {NonNullable<ChannelInfo['last_message']>} ChannelMessage */

/** Messages a channel's page asks for (the newest). */
const MESSAGES = 200;

/** @param {string} name */
export function channelHref(name) {
  return `#channels/${encodeURIComponent(name)}`;
}

/**
 * A message at a glance: `2m ago · in · 4242 · from 777: hello`.
 * @param {ChannelMessage | null} m
 */
function lastMessage(m) {
  if (!m) return '—';
  const from = m.direction === 'in' ? ` from ${who(m)}` : '';
  return h(
    'span',
    { title: m.at },
    `${ago(m.at)} · ${m.direction} ${oneLine(m.chat, 64)}${from}${m.status === 'accepted' || m.status === 'sent' ? '' : ` [${oneLine(m.status, 32)}]`}: ${oneLine(m.text)}`,
  );
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
    if (channels.length === 0)
      return this.el.append(
        h(
          'p',
          { class: 'empty' },
          'No channels. Add one with aos channel add telegram --token-secret TG_TOKEN (the policy secret whose channels: lists it).',
        ),
      );
    this.el.append(listTable(channels));
  }

  /**
   * @param {number} gen
   * @param {ChannelPage} r
   */
  drawOne(gen, r) {
    if (gen !== this.gen) return;
    clear(this.el).append(...channelPage(r));
  }

  /** @param {string} message */
  gone(message) {
    clear(this.el).append(
      h('p', { class: 'empty' }, message),
      h('p', {}, h('a', { href: '#channels' }, '← all channels')),
    );
  }
}
