/**
 * An email as the channel protocol's inbound message (the email adapter, email-adapter.ts): who
 * sent it (the From address, lower-cased — forgeable, so pairing binds an address, not a person),
 * its chat (that address: replies go back where the message came from), its id (the Message-ID,
 * else the mailbox's UIDVALIDITY and UID), and what of it reaches the agent — the text part, or
 * the HTML made text; a quoted tail of earlier mail trimmed; attachments named and sized, never
 * delivered. Everything here is someone else's bytes: a header that will not parse, a name with
 * line breaks, an id of any length are made safe or refused here, never passed on raw.
 */
import { type AddressObject, simpleParser } from 'mailparser';
import { createHash } from 'node:crypto';
import type { InboundMessage } from './protocol.js';

/** What the adapter keeps of a message to answer it: the ids its reply names, and its subject. */
export interface ReplyContext {
  /** Its Message-ID as written (`<…>`), or null when it had none. */
  messageId: string | null;
  /** Its References and its own id: what a reply's References header carries (at most MAX_REFERENCES). */
  references: string[];
  subject: string;
}

export interface ParsedEmail {
  message: InboundMessage;
  reply: ReplyContext;
  /** Why the message is not handed over (no usable From, an automatic reply, our own mail), or null. */
  skip: string | null;
}

/** How the mailbox names the message: its UIDVALIDITY and UID, and its whole size (what was read may be less). */
export interface MailboxRef {
  uidValidity: string;
  uid: number;
  size: number;
}

const MAX_TEXT_CHARS = 64 * 1024;
const MAX_ATTACHMENTS = 20;
export const MAX_REFERENCES = 20;
/** The kernel's ids are at most 200 characters: a longer Message-ID is named by its hash. */
const MAX_ID_CHARS = 190;

/** An address as aos compares it: one mailbox, plain ASCII, lower-cased; anything else is null. */
export function normalAddress(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const address = raw.trim().toLowerCase();
  if (address.length > 254) return null;
  return /^[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})+$/.test(address) ? address : null;
}

/** Text for one line of a header or a name: no control characters (a line break would be a new header), cut. */
export function oneLine(text: string, max: number): string {
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .trim()
    .slice(0, max);
}

/** A message id as a header carries it (`<left@right>`), or null for anything that is not one. */
export function headerId(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const id = raw.trim();
  return /^<[\x21-\x3b\x3d\x3f-\x7e]{1,250}>$/.test(id) ? id : null;
}

/** The kernel's id for a Message-ID: without its brackets, or its hash when long. */
export function kernelId(header: string): string {
  const bare = header.slice(1, -1);
  return bare.length <= MAX_ID_CHARS ? bare : `sha256-${createHash('sha256').update(bare).digest('hex')}`;
}

function firstAddress(field: AddressObject | AddressObject[] | undefined): { address: string; name: string } | null {
  const list = Array.isArray(field) ? field : field ? [field] : [];
  // More than one From is a message that names no one sender: refused, not guessed.
  const all = list.flatMap((a) => a.value);
  if (all.length !== 1) return null;
  const address = normalAddress(all[0]?.address);
  return address ? { address, name: oneLine(all[0]?.name ?? '', 200) } : null;
}

/**
 * The reply's new words without the mail it quotes: a tail of `>` lines (and the "On … wrote:"
 * line before them), or everything from an Outlook "Original Message" separator on. Quotes
 * between the new words (an answer written inline) stay.
 */
export function trimQuoted(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const original = lines.findIndex((l) => /^-{2,}\s*Original Message\s*-{2,}$/i.test(l.trim()));
  let end = original >= 0 ? original : lines.length;
  while (end > 0 && (lines[end - 1]?.trim() === '' || /^\s*>/.test(lines[end - 1] ?? ''))) end--;
  if (end < lines.length && end > 0 && /\bwrote:\s*$/i.test(lines[end - 1] ?? '')) end--;
  const kept = lines.slice(0, end).join('\n').trim();
  // A message that is all quote says so rather than nothing.
  return kept || lines.join('\n').trim();
}

/** `<script>` and `<style>` with what they hold, cut in one pass (an unclosed one runs to the end). */
function withoutScripts(html: string): string {
  const lower = html.toLowerCase();
  let out = '';
  let at = 0;
  for (;;) {
    const script = lower.indexOf('<script', at);
    const style = lower.indexOf('<style', at);
    const start = script < 0 ? style : style < 0 ? script : Math.min(script, style);
    if (start < 0) return out + html.slice(at);
    const close = lower.indexOf(start === script ? '</script' : '</style', start);
    out += `${html.slice(at, start)} `;
    if (close < 0) return out;
    const end = lower.indexOf('>', close);
    at = end < 0 ? html.length : end + 1;
  }
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/**
 * HTML as text, for mail with no text part the parser made text of: scripts and styles dropped,
 * blocks on their own lines, tags taken away, entities decoded. Every pattern is bounded, so no
 * markup a sender writes makes it slow.
 */
export function htmlText(html: string): string {
  return withoutScripts(html)
    .replace(/<(br|\/p|\/div|\/li|\/tr|\/h[1-6]|\/blockquote)\b[^>]{0,200}>/gi, '\n')
    .replace(/<[^>]{0,2000}>/g, '')
    .replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,6});/gi, (all, e: string) => {
      const code = /^#x/i.test(e) ? parseInt(e.slice(2), 16) : e.startsWith('#') ? Number(e.slice(1)) : NaN;
      if (!Number.isNaN(code)) return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
      return ENTITIES[e.toLowerCase()] ?? all;
    })
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const AUTOMATIC = /^(auto-generated|auto-replied|auto-notified)/i;

/** Mail no one wrote to the agent: an out-of-office, a bounce, a list's bulk (answering it makes a loop). */
function automatic(headers: Map<string, unknown>): string | null {
  const submitted = headers.get('auto-submitted');
  if (typeof submitted === 'string' && AUTOMATIC.test(submitted.trim())) return `Auto-Submitted: ${submitted}`;
  const precedence = headers.get('precedence');
  if (typeof precedence === 'string' && /^(bulk|junk|list|auto_reply)$/i.test(precedence.trim()))
    return `Precedence: ${precedence}`;
  return null;
}

function idList(raw: unknown): string[] {
  const all = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(/\s+/) : [];
  return all.map(headerId).filter((id): id is string => id !== null);
}

/** One message as read from the mailbox (its first `source.length` bytes of `ref.size`). */
export async function parseEmail(source: Buffer, ref: MailboxRef, account: string): Promise<ParsedEmail> {
  const parsed = await simpleParser(source, { skipImageLinks: true, skipTextLinks: true, maxHtmlLengthToParse: 1e6 });
  const from = firstAddress(parsed.from);
  const ownId = headerId(parsed.messageId);
  const references = [...idList(parsed.references), ...(ownId ? [ownId] : [])].slice(-MAX_REFERENCES);
  const subject = oneLine(parsed.subject ?? '', 300);
  const body = parsed.text?.trim() ? parsed.text : typeof parsed.html === 'string' ? htmlText(parsed.html) : '';
  let text = trimQuoted(body);
  if (text.length > MAX_TEXT_CHARS) text = `${text.slice(0, MAX_TEXT_CHARS)} [cut: ${text.length} characters in all]`;
  if (source.length < ref.size)
    text += `\n[cut: the message is ${ref.size} bytes; its first ${source.length} were read]`;
  const withSubject = subject ? `Subject: ${subject}\n\n${text}` : text;
  const attachments = parsed.attachments.slice(0, MAX_ATTACHMENTS).map((a) => ({
    kind: 'file',
    ...(a.filename ? { name: oneLine(a.filename, 200) } : {}),
    size: a.size,
  }));
  const date = parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : new Date();
  let skip = from ? automatic(parsed.headers) : 'no single valid From address';
  if (!skip && from?.address === account) skip = 'a message from the channel’s own address';
  const chat = from?.address ?? 'unknown@invalid';
  return {
    message: {
      channel: 'email',
      account,
      chat,
      thread: null,
      sender: { id: chat, name: from?.name || chat },
      message_id: ownId ? kernelId(ownId) : `uid-${ref.uidValidity}-${ref.uid}`,
      text: withSubject,
      attachments,
      platform_ts: date.toISOString(),
    },
    reply: { messageId: ownId, references, subject },
    skip,
  };
}
