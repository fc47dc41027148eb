/**
 * Red team of the email channel (issue 53): forged and hostile mail as the adapter reads it, and
 * what a model or a sender could make a reply carry. Every id, name and address from a message is
 * someone else's bytes: none may become a header, pick a recipient, reach past the kernel's id
 * limits or crash the reader; a declaration may not smuggle credentials or a path into the servers.
 */
import { describe, expect, it } from 'vitest';
import { htmlText, parseEmail } from '../../drivers/channels/email-message.js';
import { replyMail, sendError } from '../../drivers/channels/email-send.js';
import { normalEmail } from '../../kernel/channels/email-spec.js';
import { normalSpec } from '../../kernel/channels/launch.js';

const ACCOUNT = 'bot@example.test';
const ref = { uidValidity: '7', uid: 42, size: 0 };

function raw(headers: Record<string, string>, body = 'hi'): Buffer {
  const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}\r\n`);
}
const parse = (headers: Record<string, string>, body?: string) => {
  const source = raw(headers, body);
  return parseEmail(source, { ...ref, size: source.length }, ACCOUNT);
};
const b64 = (s: string): string => `=?utf-8?B?${Buffer.from(s).toString('base64')}?=`;

describe('email: forged and hostile mail as read', () => {
  it('names the sender by the address alone: a display name dressed as another address changes nothing', async () => {
    const m = await parse({ From: '"boss@example.test" <Eve@Evil.example>' });
    expect(m.skip).toBeNull();
    expect(m.message.sender.id).toBe('eve@evil.example');
    expect(m.message.chat).toBe('eve@evil.example');
  });

  it('refuses mail naming no one sender: several From, a group, no address, a non-ASCII look-alike, itself', async () => {
    for (const From of [
      'a@example.org, b@example.org',
      'friends: a@example.org, b@example.org;',
      'just a name',
      'dаna@example.org', // a Cyrillic а
      'bot@example.test',
      '<>',
    ]) {
      const m = await parse({ From });
      expect(m.skip, From).not.toBeNull();
    }
  });

  it('keeps line breaks and control characters out of names and subjects, however encoded', async () => {
    const m = await parse({
      From: `${b64('Dana\r\nBcc: all@victim.org\u0000\u2028')} <dana@example.org>`,
      Subject: b64('Hi\r\nX-Evil: 1\u0007'),
    });
    expect(m.message.sender.name).not.toMatch(/[\u0000-\u001f\u2028]/);
    expect(m.reply.subject).not.toMatch(/[\u0000-\u001f\u2028]/);
    expect(replyMail(ACCOUNT, { to: 'dana@example.org', text: 'x', context: m.reply }).subject).toBe(
      'Re: Hi X-Evil: 1',
    );
  });

  it("keeps the kernel's ids within bounds: a long Message-ID hashed, a malformed one not used, references filtered", async () => {
    const long = await parse({ From: 'a@example.org', 'Message-ID': `<${'x'.repeat(200)}@example.org>` });
    expect(long.message.message_id).toMatch(/^sha256-[0-9a-f]{64}$/);
    const bad = await parse({ From: 'a@example.org', 'Message-ID': '<a b\tc@example.org>' });
    expect(bad.message.message_id).toBe('uid-7-42');
    const refs = await parse({
      From: 'a@example.org',
      'Message-ID': '<own@example.org>',
      References: `${Array.from({ length: 40 }, (_, i) => `<r${i}@x>`).join(' ')} <bad id> garbage`,
    });
    expect(refs.reply.references).toHaveLength(20);
    expect(refs.reply.references.at(-1)).toBe('<own@example.org>');
    expect(refs.reply.references.every((r) => /^<[^\s<>]+>$/.test(r))).toBe(true);
  });

  it('lists attachments by name and size only, at most 20, and reads HTML as text', async () => {
    const parts = Array.from(
      { length: 60 },
      (_, i) =>
        `--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="${b64(`f${i}\r\n.exe`)}"\r\n\r\nAAAA\r\n`,
    ).join('');
    const html = '--b\r\nContent-Type: text/html\r\n\r\n<p>Pay <b>now</b></p><script>steal()</script>\r\n';
    const m = await parse(
      { From: 'a@example.org', 'MIME-Version': '1.0', 'Content-Type': 'multipart/mixed; boundary="b"' },
      `${html}${parts}--b--`,
    );
    expect(m.message.attachments).toHaveLength(20);
    expect(m.message.attachments.every((a) => a.kind === 'file' && !/[\r\n]/.test(a.name ?? ''))).toBe(true);
    expect(m.message.text).toContain('Pay now');
    expect(JSON.stringify(m.message)).not.toContain('AAAA');
    expect(m.message.text).not.toContain('steal');
    // Markup made to be slow to strip (unclosed scripts, tags without an end) is read in one pass.
    const slow = htmlText(`${'<script'.repeat(50_000)}${'<br'.repeat(50_000)}<p>end &#0;&#x41;&lt;`);
    expect(slow).not.toContain('<br');
    expect(htmlText('a<br>b &#x41;&#0;&amp;lt;')).toBe('a\nb A&lt;');
  });

  it('reads deeply nested and truncated MIME without crashing, and says what was cut', async () => {
    let body = 'deep';
    for (let i = 0; i < 400; i++)
      body = `--n${i}\r\nContent-Type: multipart/mixed; boundary="n${i + 1}"\r\n\r\n${body}\r\n--n${i}--`;
    const source = raw({ From: 'a@example.org', 'Content-Type': 'multipart/mixed; boundary="n0"' }, body);
    const settled = await parseEmail(source, { ...ref, size: source.length }, ACCOUNT).then(
      (m) => m.message.chat,
      (error: Error) => `refused: ${error.message}`,
    );
    expect(typeof settled).toBe('string');
    const cut = raw({ From: 'a@example.org' }, 'x'.repeat(1000));
    const part = await parseEmail(cut.subarray(0, 200), { ...ref, size: cut.length }, ACCOUNT);
    expect(part.message.text).toMatch(/\[cut: the message is \d+ bytes; its first 200 were read\]/);
  });

  it('never hands over automatic mail (out-of-office, bulk): answering it would loop', async () => {
    expect((await parse({ From: 'a@example.org', 'Auto-Submitted': 'auto-replied' })).skip).toMatch(/Auto-Submitted/);
    expect((await parse({ From: 'a@example.org', Precedence: 'bulk' })).skip).toMatch(/Precedence/);
    expect((await parse({ From: 'a@example.org', 'Auto-Submitted': 'no' })).skip).toBeNull();
  });
});

describe('email: what a reply may carry', () => {
  it('sends to one checked address only: no list, no line break, no display name, no empty', () => {
    for (const to of [
      'a@example.org, b@example.org',
      'a@example.org\r\nBcc: b@victim.org',
      'Dana <a@example.org>',
      '',
      'a@localhost',
    ])
      expect(() => replyMail(ACCOUNT, { to, text: 'x', context: null }), to).toThrow(/is not one email address/);
    const ok = replyMail(ACCOUNT, { to: 'A@Example.org', text: 'Bcc: x@victim.org\r\n\r\nbody', context: null });
    expect(ok).toMatchObject({ to: 'a@example.org', envelope: { from: ACCOUNT, to: ['a@example.org'] } });
    expect(ok.headers).toEqual({ 'Auto-Submitted': 'auto-replied' });
    expect(ok).toMatchObject({ disableFileAccess: true, disableUrlAccess: true });
  });

  it('threads only under ids of the <…> form', () => {
    const mail = replyMail(ACCOUNT, {
      to: 'a@example.org',
      text: 'x',
      context: { messageId: '<a@x>\r\nBcc: v@victim.org', references: ['<ok@x>', 'bad\r\nX: 1'], subject: 's' },
    });
    expect(mail.inReplyTo).toBeUndefined();
    expect(mail.references).toBe('<ok@x>');
  });

  it('calls a send retryable only when the server surely took nothing', () => {
    expect(sendError({ code: 'ECONNECTION', message: 'refused' }).retryable).toBe(true);
    expect(sendError({ code: 'EENVELOPE', responseCode: 451, command: 'RCPT TO' }).retryable).toBe(true);
    expect(sendError({ code: 'EMESSAGE', responseCode: 554, command: 'DATA' }).retryable).toBe(false);
    expect(sendError({ code: 'ESOCKET', command: 'DATA', message: 'reset' }).retryable).toBe(false);
    expect(sendError({ code: 'ETIMEDOUT', message: 'timeout' }).retryable).toBe(false);
  });
});

describe('email: a declaration', () => {
  const good = {
    imap: 'imaps://mail.example.org',
    smtp: 'smtp://mail.example.org:587',
    user: 'u',
    address: 'Bot@Example.org',
  };

  it('reaches its two servers and nothing else', () => {
    const spec = normalSpec({ name: 'mail', kind: 'email', token_secret: 'PW', email: good, egress: ['evil.org:443'] });
    expect(spec.egress).toEqual(['mail.example.org:993', 'mail.example.org:587']);
    expect(spec.email).toMatchObject({ address: 'bot@example.org', imap: 'imaps://mail.example.org:993' });
  });

  it('refuses credentials, paths, other schemes, a multi-line login and an address that is not one', () => {
    const bad: Array<[Partial<typeof good>, RegExp]> = [
      [{ imap: 'imaps://u:p@mail.example.org' }, /must not carry credentials/],
      [{ imap: 'imaps://mail.example.org/INBOX?x=1' }, /host and port only/],
      [{ smtp: 'http://mail.example.org' }, /--smtp must be smtps/],
      [{ imap: 'not a url' }, /is not a URL/],
      [{ user: 'u\r\nA001 LOGOUT' }, /--user must be the mailbox's login, one line/],
      [{ address: 'a@example.org, b@example.org' }, /--address must be one email address/],
      [{ address: 'a@example.org\r\nBcc: x@y.org' }, /--address must be one email address/],
    ];
    for (const [change, error] of bad) expect(() => normalEmail('mail', { ...good, ...change })).toThrow(error);
    expect(() => normalSpec({ name: 'mail', kind: 'email', token_secret: 'PW' })).toThrow(/needs its servers/);
  });
});
