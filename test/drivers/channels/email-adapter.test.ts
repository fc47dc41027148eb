/**
 * The email adapter against a real IMAP server (dovecot, test/helpers/dovecot.ts) and an SMTP
 * receiver on loopback, the kernel's side played over a pair of streams: mail appended to the
 * mailbox is handed over (IDLE, no polling), marked \Seen only once the kernel answered; a reply
 * goes to the sender alone with Re:, In-Reply-To and References; automatic mail and mail without
 * one From is never handed over; what a sender writes never becomes a header of the reply; a
 * dropped connection is made again, a refused first login ends the adapter saying why, and a
 * restarted adapter threads a reply under the message it finds in the mailbox.
 */
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEmailAdapter } from '../../../drivers/channels/email-adapter.js';
import type { InboundMessage } from '../../../drivers/channels/protocol.js';
import { LineRpc } from '../../../drivers/channels/protocol.js';
import {
  type Dovecot,
  dovecotSkipReason,
  type SmtpReceiver,
  startDovecot,
  startSmtpReceiver,
} from '../../helpers/dovecot.js';
import { until } from '../../helpers/until.js';

const skip = dovecotSkipReason();
if (skip) console.warn(skip);

const ADDRESS = 'bot@example.test';

/** A TCP relay to `port` whose connections the test can cut (a dropped IMAP session). */
async function relay(port: number): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const open = new Set<net.Socket>();
  const server = net.createServer((local) => {
    const remote = net.connect(port, '127.0.0.1');
    for (const s of [local, remote]) {
      open.add(s);
      s.on('error', () => undefined);
      s.on('close', () => open.delete(s));
    }
    local.pipe(remote).pipe(local);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut: () => open.forEach((s) => s.destroy()),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function mail(headers: Record<string, string>, body: string): string {
  return `${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n${body.replace(/\n/g, '\r\n')}\r\n`;
}

describe.skipIf(skip !== null)('email adapter (dovecot + SMTP on loopback)', () => {
  let dovecot: Dovecot;
  let smtp: SmtpReceiver;
  let kernel: LineRpc;
  let stop: () => void;
  let link: Awaited<ReturnType<typeof relay>>;
  const inbound: InboundMessage[] = [];
  /** Hold the kernel's answer to inbound until released: to see \Seen wait for it. */
  let hold: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    dovecot = await startDovecot(ADDRESS);
    smtp = await startSmtpReceiver(ADDRESS, dovecot.password);
    link = await relay(dovecot.port);
    const toAdapter = new PassThrough();
    const toKernel = new PassThrough();
    kernel = new LineRpc(toKernel, toAdapter, async (method, params) => {
      if (method !== 'channel.inbound') return null;
      await hold;
      inbound.push(params as InboundMessage);
      return { status: 'accepted' };
    });
    const running = runEmailAdapter(
      {
        address: ADDRESS,
        openImap: () =>
          new ImapFlow({
            host: '127.0.0.1',
            port: link.port,
            secure: false,
            doSTARTTLS: false,
            auth: { user: ADDRESS, pass: dovecot.password },
            logger: false,
            autoIdleDelay: 200,
          }),
        smtp: nodemailer.createTransport({
          host: '127.0.0.1',
          port: smtp.port,
          secure: false,
          ignoreTLS: true,
          auth: { user: ADDRESS, pass: dovecot.password },
        }),
        fetchMaxBytes: 64 * 1024,
      },
      { input: toAdapter, output: toKernel },
      {
        onFatal: (why) => console.error(`adapter fatal: ${why}`),
        backoff: { firstMs: 50, maxMs: 200, healthyMs: 60_000 },
      },
    );
    stop = running.stop;
  }, 60_000);
  afterAll(async () => {
    stop?.();
    await link?.close();
    await smtp?.close();
    await dovecot?.stop();
  });

  it('hands a message over, marks it seen only after the kernel answered, and replies in its thread', async () => {
    let release: () => void = () => undefined;
    hold = new Promise((resolve) => (release = resolve));
    await dovecot.deliver(
      mail(
        {
          From: '"Dana" <Dana@Example.ORG>',
          To: ADDRESS,
          Subject: 'Invoice 7',
          'Message-ID': '<m1@example.org>',
          References: '<root@example.org>',
          Date: 'Thu, 26 Nov 2026 10:00:00 +0000',
        },
        'Where is my invoice?\n\nOn Monday Bot wrote:\n> old text\n> more',
      ),
    );
    await until(async () => (await dovecot.flags()).length === 1, 20_000, 'the message in the mailbox');
    // Handed over but not answered: not seen yet.
    expect((await dovecot.flags())[0]!.seen).toBe(false);
    release();
    await until(() => inbound.length === 1, 20_000, 'the message handed over');
    await until(async () => (await dovecot.flags())[0]!.seen, 20_000, 'the message marked seen');
    const m = inbound[0]!;
    expect(m).toMatchObject({
      channel: 'email',
      account: ADDRESS,
      chat: 'dana@example.org',
      sender: { id: 'dana@example.org', name: 'Dana' },
      message_id: 'm1@example.org',
    });
    expect(m.text).toBe('Subject: Invoice 7\n\nWhere is my invoice?');

    const sent = await kernel.request<{ message_id: string }>('channel.outbound', {
      ref: 'r1',
      chat: 'dana@example.org',
      text: 'It is on its way.',
      reply_to: 'm1@example.org',
    });
    expect(sent.message_id).toMatch(/@/);
    await until(() => smtp.received.length === 1, 20_000, 'the reply received');
    const reply = smtp.received[0]!;
    expect(reply.to).toEqual(['dana@example.org']);
    expect(reply.from).toBe(ADDRESS);
    expect(reply.mail.subject).toBe('Re: Invoice 7');
    expect(reply.mail.inReplyTo).toBe('<m1@example.org>');
    expect(reply.mail.references).toEqual(['<root@example.org>', '<m1@example.org>']);
    expect(reply.mail.headers.get('auto-submitted')).toBe('auto-replied');
    expect(reply.mail.text?.trim()).toBe('It is on its way.');
  }, 60_000);

  it('never hands over automatic mail or mail without one valid From, and still marks it seen', async () => {
    const before = inbound.length;
    await dovecot.deliver(
      mail({ From: 'ooo@example.org', Subject: 'Out of office', 'Auto-Submitted': 'auto-replied' }, 'away'),
    );
    await dovecot.deliver(mail({ From: 'a@example.org, b@example.org', Subject: 'two' }, 'two senders'));
    await dovecot.deliver(mail({ From: 'not an address', Subject: 'none' }, 'nobody'));
    await dovecot.deliver(mail({ From: ADDRESS, Subject: 'me' }, 'my own'));
    await dovecot.deliver(mail({ From: 'last@example.org', Subject: 'real' }, 'a real one'));
    await until(() => inbound.length === before + 1, 20_000, 'the real one handed over');
    expect(inbound.at(-1)!.chat).toBe('last@example.org');
    // No Message-ID: named by the mailbox's UIDVALIDITY and UID.
    expect(inbound.at(-1)!.message_id).toMatch(/^uid-\d+-\d+$/);
    await until(async () => (await dovecot.flags()).every((f) => f.seen), 20_000, 'all marked seen');
    expect(inbound.length).toBe(before + 1);
  }, 60_000);

  it("keeps what a sender or the model writes out of the reply's headers, and sends only to the chat's address", async () => {
    await dovecot.deliver(
      mail(
        {
          From: '=?utf-8?B?' + Buffer.from('Eve\r\nBcc: all@victim.org').toString('base64') + '?= <eve@example.org>',
          'Reply-To': 'elsewhere@attacker.org',
          Cc: 'cc@victim.org',
          Subject: '=?utf-8?B?' + Buffer.from('Hi\r\nBcc: all@victim.org').toString('base64') + '?=',
          'Message-ID': '<evil@example.org>',
        },
        'hello',
      ),
    );
    await until(() => inbound.some((m) => m.message_id === 'evil@example.org'), 20_000, 'the hostile message');
    const m = inbound.find((x) => x.message_id === 'evil@example.org')!;
    expect(m.sender.name).not.toMatch(/[\r\n]/);
    const count = smtp.received.length;
    await kernel.request('channel.outbound', {
      ref: 'r2',
      chat: 'eve@example.org',
      text: 'Answer.\r\nBcc: model@victim.org\r\n\r\nbody',
      reply_to: 'evil@example.org',
    });
    await until(() => smtp.received.length === count + 1, 20_000, 'the reply');
    const reply = smtp.received.at(-1)!;
    expect(reply.to).toEqual(['eve@example.org']);
    const head = reply.raw.toString('latin1').split('\r\n\r\n')[0]!;
    expect(head).not.toMatch(/^bcc:/im);
    // The subject carries the sender's words on its one line; no other header names their addresses.
    const others = head
      .replace(/\r\n[ \t]+/g, ' ')
      .split('\r\n')
      .filter((l) => !/^subject:/i.test(l));
    expect(others.join('\n')).not.toMatch(/victim|attacker/i);
    expect(reply.mail.subject).toBe('Re: Hi Bcc: all@victim.org');
    // A chat that is not one address is refused, never sent.
    for (const chat of ['a@example.org, b@example.org', 'x@example.org\r\nBcc: y@victim.org', 'nobody']) {
      await expect(kernel.request('channel.outbound', { ref: 'r3', chat, text: 'x' })).rejects.toThrow(
        /is not one email address/,
      );
    }
    expect(smtp.received.length).toBe(count + 1);
  }, 60_000);

  it('makes a lost connection again and reads what arrived meanwhile', async () => {
    const before = inbound.length;
    link.cut();
    await dovecot.deliver(mail({ From: 'after@example.org', Subject: 'after the drop' }, 'still there?'));
    await until(() => inbound.some((m) => m.chat === 'after@example.org'), 30_000, 'the message after the drop');
    expect(inbound.length).toBe(before + 1);
  }, 60_000);

  it('ends, saying why, when the first login fails (a wrong password)', async () => {
    const fatal: string[] = [];
    const running = runEmailAdapter(
      {
        address: ADDRESS,
        openImap: () =>
          new ImapFlow({
            host: '127.0.0.1',
            port: dovecot.port,
            secure: false,
            doSTARTTLS: false,
            auth: { user: ADDRESS, pass: 'wrong' },
            logger: false,
          }),
        smtp: nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true }),
        fetchMaxBytes: 1024,
      },
      { input: new PassThrough(), output: new PassThrough() },
      { onFatal: (why) => fatal.push(why) },
    );
    await running.done;
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatch(/^IMAP: .*(auth|Authentication|credentials)/i);
    expect(fatal[0]).not.toContain('wrong');
  }, 60_000);

  it('after a restart, threads a reply under the message it finds in the mailbox', async () => {
    const toAdapter = new PassThrough();
    const toKernel = new PassThrough();
    let hello = false;
    const fresh = new LineRpc(toKernel, toAdapter, async (method) => {
      if (method === 'channel.hello') hello = true;
      return method === 'channel.inbound' ? { status: 'duplicate' } : null;
    });
    const running = runEmailAdapter(
      {
        address: ADDRESS,
        openImap: () =>
          new ImapFlow({
            host: '127.0.0.1',
            port: dovecot.port,
            secure: false,
            doSTARTTLS: false,
            auth: { user: ADDRESS, pass: dovecot.password },
            logger: false,
          }),
        smtp: nodemailer.createTransport({
          host: '127.0.0.1',
          port: smtp.port,
          secure: false,
          ignoreTLS: true,
          auth: { user: ADDRESS, pass: dovecot.password },
        }),
        fetchMaxBytes: 64 * 1024,
      },
      { input: toAdapter, output: toKernel },
      { onFatal: () => undefined },
    );
    try {
      await until(() => hello, 20_000, 'the restarted adapter connected');
      const count = smtp.received.length;
      await fresh.request('channel.outbound', { ref: 'r9', chat: 'dana@example.org', text: 'Later answer.' });
      await until(() => smtp.received.length === count + 1, 20_000, 'the later reply');
      expect(smtp.received.at(-1)!.mail).toMatchObject({ inReplyTo: '<m1@example.org>', subject: 'Re: Invoice 7' });
    } finally {
      running.stop();
      await running.done;
    }
  }, 60_000);
});
