/**
 * How `aos channel …` prints channels, bindings, pairings and messages (the --json twins print the
 * results as they are). Chats, senders, names, texts and errors come from Telegram's and Slack's
 * users — anyone who can message the bot: every such string goes through printable() (control
 * characters and bidi overrides shown as escapes) and onto one line before it is measured or cut.
 */
import type { ResultOf } from '../protocol/protocol.js';
import { printable } from './printable.js';
import { cutEnd, displayWidth, pad } from './text-width.js';
import { formatAgo } from './top/format.js';

type Info = ResultOf<'channel_ls'>['channels'][number];
type Show = ResultOf<'channel_show'>;
type Message = NonNullable<Info['last_message']>;
type Entry = Show['messages'][number];
type Binding = ResultOf<'channel_bind'>['binding'];

/** Someone else's text on one line of a terminal: escaped, its line breaks and tabs as single spaces. */
export function oneLine(text: string): string {
  return printable(text).replace(/\s+/g, ' ').trim();
}

/** `3m ago`, or `—` for no time. */
function ago(iso: string | null, now: number): string {
  if (iso === null) return '—';
  const at = Date.parse(iso);
  return Number.isNaN(at) ? '—' : formatAgo((now - at) / 1000);
}

/** `2026-05-01 12:04:05` */
function when(iso: string): string {
  return iso.slice(0, 19).replace('T', ' ');
}

const who = (m: { sender: string | null; sender_name: string | null }): string =>
  m.sender === null ? '?' : m.sender_name ? `${oneLine(m.sender_name)} (${oneLine(m.sender)})` : oneLine(m.sender);

/** A message at a glance: `2m ago in 4242 from 777: hello`, `just now out 4242: on it`. */
export function messageLine(m: Message, now = Date.now()): string {
  const from = m.direction === 'in' ? ` from ${who(m)}` : '';
  const status = m.status === 'accepted' || m.status === 'sent' ? '' : ` [${oneLine(m.status)}]`;
  return `${ago(m.at, now)} ${m.direction} ${oneLine(m.chat)}${from}${status}: ${oneLine(m.text)}`;
}

/** How a table gives way when it is too wide: each step cuts a column (by index) down to `to` columns (never below its title), in order. */
export type Shrink = ReadonlyArray<readonly [column: number, to: number]>;

/** Columns two spaces apart, cut step by step (`shrink`) so each line fits `total` columns; a column no step names is never cut. */
export function fitTable(
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  total: number,
  shrink: Shrink = [],
): string {
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  let over = widths.reduce((a, b) => a + b, 0) + 2 * (header.length - 1) - total;
  for (const [i, to] of shrink) {
    if (over <= 0) break;
    const take = Math.min(over, Math.max(0, (widths[i] ?? 0) - Math.max(to, displayWidth(header[i] ?? ''))));
    widths[i] = (widths[i] ?? 0) - take;
    over -= take;
  }
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => {
        const cut = cutEnd(c, widths[i] as number);
        return i === cells.length - 1 ? cut : pad(cut, widths[i] as number);
      })
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const LS_HEADER = ['NAME', 'KIND', 'STATE', 'ACCOUNT', 'RESTARTS', 'LAST MESSAGE', 'LAST ERROR'];
/** The last message gives way first, then the error, then both to their titles, then the account, the name last. */
const LS_SHRINK: Shrink = [
  [5, 28],
  [6, 24],
  [5, 0],
  [6, 0],
  [3, 0],
  [0, 8],
];
/** What the last message and the error keep at least before LAST ERROR moves to a line of its own under its channel. */
const KEEP_MESSAGE = 28;
const KEEP_ERROR = 24;

/** Is there room for LAST ERROR as a column, the last message and the error each kept to a useful width? */
function errorColumnFits(rows: ReadonlyArray<readonly string[]>, total: number): boolean {
  const natural = LS_HEADER.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const [message = 0, error = 0] = natural.slice(5);
  const need =
    natural.slice(0, 5).reduce((a, b) => a + b, 0) +
    Math.min(message, KEEP_MESSAGE) +
    Math.min(error, KEEP_ERROR) +
    2 * (LS_HEADER.length - 1);
  return need <= total;
}

export function formatChannels(channels: readonly Info[], total: number, now = Date.now()): string {
  if (channels.length === 0) return 'no channels (add one with: aos channel add telegram --token-secret TG_TOKEN)';
  const rows = channels.map((c) => [
    oneLine(c.name),
    c.kind,
    c.state,
    c.account === null ? '—' : oneLine(c.account),
    String(c.restarts),
    c.last_message === null ? '—' : messageLine(c.last_message, now),
    c.last_error === null ? '' : oneLine(c.last_error),
  ]);
  if (errorColumnFits(rows, total)) return fitTable(LS_HEADER, rows, total, LS_SHRINK);
  // Narrow: the error goes on a line of its own under its channel, cut to the width.
  const lines = fitTable(
    LS_HEADER.slice(0, 6),
    rows.map((r) => r.slice(0, 6)),
    total,
    LS_SHRINK.filter(([i]) => i !== 6),
  ).split('\n');
  const out = [lines[0] as string];
  rows.forEach((r, i) => {
    out.push(lines[i + 1] as string);
    if (r[6]) out.push(cutEnd(`  last error: ${r[6]}`, total));
  });
  return out.join('\n');
}

/** Where a binding sends messages. */
function target(b: Binding): string {
  return b.unit !== null ? `unit ${oneLine(b.unit)}` : `pid ${b.pid ?? '?'}`;
}

/** `b1: tg chat 4242 (any sender) → unit support, thread chat:{channel}:{chat}` */
export function bindingLine(b: Binding): string {
  const match = [
    b.account === '*' ? '' : ` account ${oneLine(b.account)}`,
    b.chat === '*' ? ' any chat' : ` chat ${oneLine(b.chat)}`,
    b.sender === '*' ? '' : ` sender ${oneLine(b.sender)}`,
  ].join('');
  const approvers = b.approvers.length ? `, approvals from ${b.approvers.map(oneLine).join(', ')}` : '';
  return `${oneLine(b.id)}: ${oneLine(b.channel)}${match} → ${target(b)}, thread ${oneLine(b.thread)}${approvers}`;
}

/** The channel in a few lines: what it is, how it runs, what it counted. */
export function channelLines(c: Info, now = Date.now()): string[] {
  const running = c.pid === null ? '' : ` (adapter pid ${c.pid})`;
  const account =
    c.account === null ? 'no account yet (the adapter has not said hello)' : `account ${oneLine(c.account)}`;
  const n = c.counts;
  const lines = [
    `${oneLine(c.name)} (${c.kind}): ${c.state}${running}, ${account}, ${c.restarts} restart${c.restarts === 1 ? '' : 's'}`,
    `  token secret ${c.token_secret}${c.signing_secret === null ? '' : `, signing secret ${c.signing_secret}`}; ${c.api_root && c.kind !== 'email' ? `API ${c.api_root}` : `reaches ${c.egress.join(', ') || 'nothing'}`}; unknown senders: ${c.unknown === 'pair' ? 'get a pairing code' : 'dropped'}`,
    `  messages: ${n.inbound} in (${n.duplicate} duplicate, ${n.dropped} dropped, ${n.held} held), ${n.outbound} out (${n.failed} failed)`,
  ];
  if (c.kind === 'slack')
    lines.push(
      c.events_url === null
        ? '  events URL: none yet (the gateway is not listening: see aos kernel status)'
        : `  events URL: ${c.events_url}  (paste it in the Slack app's Event Subscriptions → Request URL)`,
    );
  if (c.last_message !== null) lines.push(`  last message: ${messageLine(c.last_message, now)}`);
  if (c.last_error !== null) lines.push(`  last error: ${oneLine(c.last_error)}`);
  return lines;
}

/** One message of `aos channel show`: `12:04:05 in 4242 from 777 → chat:tg:4242 (pid 12): text`. */
export function entryLine(m: Entry): string {
  const from = m.direction === 'in' ? ` from ${who(m)}` : '';
  const status = m.status === 'accepted' || m.status === 'sent' ? '' : ` [${oneLine(m.status)}]`;
  const where = [
    m.thread === null ? '' : ` ${m.direction === 'in' ? '→' : '←'} ${oneLine(m.thread)}`,
    m.pid ? ` (pid ${m.pid})` : '',
  ].join('');
  return `${when(m.at)} ${m.direction === 'in' ? 'in ' : 'out'} ${oneLine(m.chat)}${from}${status}${where}: ${oneLine(m.text)}`;
}

export function formatShow(r: Show, now = Date.now()): string {
  const lines = channelLines(r.channel, now);
  lines.push(
    '',
    r.bindings.length
      ? 'bindings:'
      : `bindings: none (messages go nowhere until one: aos channel bind ${r.channel.name} --unit <unit>)`,
  );
  for (const b of r.bindings) lines.push(`  ${bindingLine(b)}`);
  if (r.pairings.length) {
    lines.push('', 'pending pairings (approve one with: aos channel pair <code>):');
    const rows = r.pairings.map((p) => [
      p.code,
      oneLine(p.sender),
      oneLine(p.sender_name),
      oneLine(p.chat),
      String(p.held),
      ago(p.created_at, now),
      when(p.expires_at),
    ]);
    lines.push(indent(fitTable(['CODE', 'SENDER', 'NAME', 'CHAT', 'HELD', 'ASKED', 'EXPIRES'], rows, Infinity)));
  }
  if (r.senders.length) {
    lines.push('', 'paired senders:');
    lines.push(
      indent(
        fitTable(
          ['SENDER', 'NAME', 'PAIRED'],
          r.senders.map((s) => [oneLine(s.sender), oneLine(s.name), ago(s.paired_at, now)]),
          Infinity,
        ),
      ),
    );
  }
  lines.push(
    '',
    r.messages.length ? `the newest ${r.messages.length} messages (--limit for more):` : 'messages: none yet',
  );
  for (const m of r.messages) lines.push(`  ${entryLine(m)}`);
  return lines.join('\n');
}

function indent(text: string): string {
  return text.replace(/^/gm, '  ');
}

/** What `aos channel add` says: the channel, and what to do next. */
export function formatAdded(c: Info): string {
  const lines = [`added channel ${oneLine(c.name)}`, ...channelLines(c)];
  lines.push(`next: aos channel bind ${c.name} --unit <unit>   (or --pid <pid>); then aos channel ls`);
  return lines.join('\n');
}

export function formatPaired(r: ResultOf<'channel_pair'>): string {
  const held =
    r.delivered === 0 ? 'no held messages' : `${r.delivered} held message${r.delivered === 1 ? '' : 's'} delivered`;
  return `paired ${oneLine(r.sender.name)} (${oneLine(r.sender.sender)}) on ${oneLine(r.sender.channel)}: ${held}`;
}

export function formatTested(channel: string, r: ResultOf<'channel_test'>): string {
  const who = `${channel}: the adapter is ${oneLine(r.name)} (account ${oneLine(r.account)})`;
  return r.sent === null ? who : `${who}; sent a test message (id ${oneLine(r.sent)})`;
}
