/**
 * A reply by email (the email adapter's channel.outbound): to the chat's address alone — the one
 * the message came from, never a Reply-To, Cc or any address the text names — with `Re:` on its
 * subject and In-Reply-To/References naming the message it answers, marked Auto-Submitted so
 * other robots do not answer it. Every header is built here from checked parts (an address that
 * is one mailbox, ids of the `<…>` form, a subject on one line): no text of the model's or a
 * sender's becomes a header of its choosing. Which failures surely sent nothing (retryable).
 */
import type { Transporter } from 'nodemailer';
import { type ReplyContext, headerId, kernelId, MAX_REFERENCES, normalAddress, oneLine } from './email-message.js';
import { ChannelError } from './protocol.js';

export interface Reply {
  to: string;
  text: string;
  /** The message answered, when the adapter knows it. */
  context: ReplyContext | null;
}

/** The subject of a reply: `Re: ` once, on one line. */
export function replySubject(subject: string): string {
  const s = oneLine(subject, 200);
  if (!s) return 'Re: your message';
  return /^re:/i.test(s) ? s : `Re: ${s}`;
}

/** nodemailer's message for a reply: the recipient checked, the threading headers from ids alone. */
export function replyMail(from: string, reply: Reply): Record<string, unknown> {
  const to = normalAddress(reply.to);
  if (!to) throw new ChannelError(-32602, `"${oneLine(reply.to, 80)}" is not one email address`, false);
  const context = reply.context;
  const inReplyTo = context?.messageId ? headerId(context.messageId) : null;
  const references = (context?.references ?? [])
    .map(headerId)
    .filter((id): id is string => id !== null)
    .slice(-MAX_REFERENCES);
  return {
    from,
    to,
    subject: context ? replySubject(context.subject) : 'A message from aos',
    text: reply.text,
    headers: { 'Auto-Submitted': 'auto-replied' },
    ...(inReplyTo ? { inReplyTo } : {}),
    ...(references.length ? { references: references.join(' ') } : {}),
    // No envelope of the message's making: the one recipient, from the channel's address.
    envelope: { from, to: [to] },
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

interface MailError {
  code?: string;
  responseCode?: number;
  command?: string;
  message?: string;
}

/**
 * Whether the server surely took nothing: it was not reached (ECONNECTION, a refused login), or
 * it refused the sender, a recipient or the message with a temporary (4xx) answer. A connection
 * lost during or after the message's data may have delivered it: never retryable.
 */
export function sendError(error: unknown): ChannelError {
  const e = (error ?? {}) as MailError;
  const message = oneLine(e.message ?? String(error), 300);
  const beforeData = e.command !== undefined && !/^DATA$|^\.$/i.test(e.command ?? '');
  const temporary = typeof e.responseCode === 'number' && e.responseCode >= 400 && e.responseCode < 500;
  const unreached = e.code === 'ECONNECTION' || e.code === 'EDNS' || (e.code === 'EAUTH' && beforeData);
  return new ChannelError(e.responseCode ?? -32000, `SMTP: ${message}`, unreached || temporary);
}

/** Send one reply; its Message-ID as the kernel's id. */
export async function sendReply(transport: Transporter, from: string, reply: Reply): Promise<{ message_id: string }> {
  const mail = replyMail(from, reply);
  try {
    const info = (await transport.sendMail(mail)) as { messageId?: string; rejected?: unknown[] };
    if (Array.isArray(info.rejected) && info.rejected.length > 0)
      throw new ChannelError(550, `SMTP: the server refused ${String(mail.to)}`, false);
    const id = headerId(info.messageId);
    return { message_id: id ? kernelId(id) : 'sent' };
  } catch (error) {
    throw error instanceof ChannelError ? error : sendError(error);
  }
}
