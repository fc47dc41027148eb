/**
 * An email channel through the real CLI and daemon (issue 53): `aos channel add email` against a
 * real IMAP server (dovecot, test/helpers/dovecot.ts) and an SMTP receiver on loopback, its
 * adapter in the sandbox going out only through its egress proxy, the mailbox password a policy
 * secret. An unknown sender is told a pairing code by email; paired, their mail is answered by a
 * unit through SMTP — to them alone, In-Reply-To their message; the same Message-ID delivered
 * again is answered once; hostile mail (a huge body, broken MIME, a subject and a From name
 * carrying line breaks) is handled without a crash and without a header of its making.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import {
  type Dovecot,
  dovecotSkipReason,
  type SmtpReceiver,
  startDovecot,
  startSmtpReceiver,
} from '../helpers/dovecot.js';
import { publishedJson } from '../helpers/published-json.js';
import { until } from '../helpers/until.js';

const bwrap = await findBwrap();
const skip = dovecotSkipReason() ?? (bwrap ? null : 'no bubblewrap: channel adapters cannot be sandboxed here');
if (skip) console.warn(`email channel e2e skipped: ${skip}`);

const ADDRESS = 'bot@example.test';
const POLICY = `version: 1
root:
  capabilities: ["fs.read:/**", "ipc", "timer", "channel", "thread"]
secrets:
  MAIL_PW: {from_env: AOS_TEST_MAIL_PW, channels: [mail]}
  WRONG_PW: {from_env: AOS_TEST_WRONG_PW, channels: [badmail]}
`;
const UNIT = `name: support
task: "Answer the email: {{trigger.text}}"
model: replay:support-tape.yaml
capabilities: ["channel:mail/*"]
`;
const TAPE = `agents:
  support:
    - '[SYS_CALL::CHANNEL_SEND] {"to": "inbound", "text": "Thanks, we are on it."}'
    - '[SYS_CALL::SYS_EXIT] {"code": 0}'
`;

let t: TestHome;
let dovecot: Dovecot;
let smtp: SmtpReceiver;

beforeAll(async () => {
  if (skip) return;
  t = await makeHome();
  dovecot = await startDovecot(ADDRESS);
  smtp = await startSmtpReceiver(ADDRESS, dovecot.password);
  const policy = path.join(t.home, 'policy.yaml');
  await writeFile(policy, POLICY);
  await writeFile(path.join(t.home, 'support.yaml'), UNIT);
  await writeFile(path.join(t.home, 'support-tape.yaml'), TAPE);
  Object.assign(t.env, {
    AOS_POLICY: policy,
    AOS_TEST_MAIL_PW: dovecot.password,
    AOS_TEST_WRONG_PW: 'not-the-password',
    AOS_WEBHOOK_PORT: '0',
  });
}, 60_000);
afterAll(async () => {
  await t?.dispose();
  await smtp?.close();
  await dovecot?.stop();
});

const cli = (args: string[]): ReturnType<TestHome['cli']> => t.cli(args, { timeoutMs: 30_000 });

type Show = {
  channel: { state: string; account: string | null; counts: { duplicate: number; inbound: number } };
  pairings: Array<{ code: string; sender: string; held: number }>;
  messages: Array<{ text: string; direction: string; status: string; sender: string | null; thread: string | null }>;
};
const show = (): Promise<Show> => publishedJson<Show>(cli, ['channel', 'show', 'mail'], 'channel-show');

function mail(headers: Record<string, string>, body: string): string {
  const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return `${head.join('\r\n')}\r\n\r\n${body.replace(/\r?\n/g, '\r\n')}\r\n`;
}

const from = 'Dana <dana@example.org>';

describe.skipIf(skip !== null)('an email channel through the daemon', () => {
  it('refuses an email channel missing its servers, saying what to write', async () => {
    const missing = await cli(['channel', 'add', 'email', '--name', 'mail', '--token-secret', 'MAIL_PW']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/email needs --imap imaps:\/\/host:993 --smtp/);
    const wrong = await cli([
      ...['channel', 'add', 'email', '--name', 'mail', '--token-secret', 'MAIL_PW'],
      ...['--imap', 'https://example.org', '--smtp', smtp.url, '--user', ADDRESS, '--address', ADDRESS],
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/--imap must be imaps:\/\/host:port or imap:\/\/host:port/);
    const creds = await cli([
      ...['channel', 'add', 'email', '--name', 'mail', '--token-secret', 'MAIL_PW'],
      ...['--imap', 'imap://u:p@127.0.0.1:1', '--smtp', smtp.url, '--user', ADDRESS, '--address', ADDRESS],
    ]);
    expect(creds.stderr).toMatch(/must not carry credentials/);
    const help = (await cli(['channel', 'add', '--help'])).stdout;
    expect(help).toMatch(/--imap <url>[\s\S]*--smtp <url>[\s\S]*--user <login>[\s\S]*--address <address>/);
    const flags = await cli(['channel', 'add', 'telegram', '--token-secret', 'X', '--imap', dovecot.url]);
    expect(flags.stderr).toMatch(/are for an email channel/);
    // A wrong password: the adapter stops, and the channel says why.
    const bad = await cli([
      ...['channel', 'add', 'email', '--name', 'badmail', '--token-secret', 'WRONG_PW'],
      ...['--imap', dovecot.url, '--smtp', smtp.url, '--user', ADDRESS, '--address', ADDRESS],
    ]);
    expect(bad.code).toBe(0);
    let listed = '';
    await until(
      async () => /login was refused/.test((listed = (await cli(['channel', 'ls', '--json'])).stdout)),
      60_000,
      'the refused login shown',
    ).catch((error: Error) => Promise.reject(new Error(`${error.message}: ${listed}`)));
    expect(listed).not.toContain('not-the-password');
    expect((await cli(['channel', 'rm', 'badmail'])).code).toBe(0);
  }, 150_000);

  it('pairs an unknown sender by email, then answers their mail through a unit, once per Message-ID', async () => {
    const added = await publishedJson<{ channel: { kind: string; api_root: string; egress: string[] } }>(
      cli,
      [
        ...['channel', 'add', 'email', '--name', 'mail', '--token-secret', 'MAIL_PW'],
        ...['--imap', dovecot.url, '--smtp', smtp.url, '--user', ADDRESS, '--address', ADDRESS],
      ],
      'channel-add',
    );
    expect(added.channel).toMatchObject({
      kind: 'email',
      api_root: dovecot.url,
      egress: [`127.0.0.1:${dovecot.port}`, `127.0.0.1:${smtp.port}`],
    });
    await until(async () => (await show()).channel.state === 'running', 60_000, 'the adapter running');
    expect((await show()).channel.account).toBe(ADDRESS);
    expect((await cli(['channel', 'show', 'mail'])).stdout).toContain(
      `reaches 127.0.0.1:${dovecot.port}, 127.0.0.1:${smtp.port}`,
    );
    expect((await cli(['unit', 'add', path.join(t.home, 'support.yaml'), '--yes'])).code).toBe(0);
    expect((await cli(['channel', 'bind', 'mail', '--unit', 'support'])).code).toBe(0);

    await dovecot.deliver(
      mail({ From: from, To: ADDRESS, Subject: 'Invoice 7', 'Message-ID': '<first@example.org>' }, 'Where is it?'),
    );
    await until(async () => (await show()).pairings.length === 1, 60_000, 'a pairing');
    const pairing = (await show()).pairings[0]!;
    expect(pairing).toMatchObject({ sender: 'dana@example.org', held: 1 });
    await until(() => smtp.received.some((r) => r.mail.text?.includes(pairing.code)), 60_000, 'the code mailed');
    const told = smtp.received.find((r) => r.mail.text?.includes(pairing.code))!;
    expect(told.to).toEqual(['dana@example.org']);
    expect(told.mail.inReplyTo).toBe('<first@example.org>');
    expect(smtp.logins.every((l) => l.ok)).toBe(true);

    expect((await cli(['channel', 'pair', pairing.code])).code).toBe(0);
    const answered = (): SmtpReceiver['received'] => smtp.received.filter((r) => r.mail.text?.includes('we are on it'));
    await until(() => answered().length === 1, 90_000, 'the unit answered by email');
    const reply = answered()[0]!;
    expect(reply.to).toEqual(['dana@example.org']);
    expect(reply.from).toBe(ADDRESS);
    expect(reply.mail.inReplyTo).toBe('<first@example.org>');
    expect(reply.mail.subject).toBe('Re: Invoice 7');
    // One conversation per correspondent, its thread keyed by the address.
    const inbound = (await show()).messages.filter((m) => m.direction === 'in' && m.text.includes('Where is it?'));
    expect(inbound.map((m) => m.sender)).toContain('dana@example.org');
    expect(inbound.map((m) => m.thread)).toContain('chat:mail:dana+40_example+2e_org');
    expect(inbound[0]!.text).toMatch(/^Subject: Invoice 7\n\nWhere is it\?/);
    const tested = await publishedJson<{ ok: boolean }>(cli, ['channel', 'test', 'mail'], 'channel-test');
    expect(tested.ok).toBe(true);

    // The same message delivered again (a second copy in the mailbox): a duplicate, not answered again.
    await dovecot.deliver(
      mail({ From: from, To: ADDRESS, Subject: 'Invoice 7', 'Message-ID': '<first@example.org>' }, 'Where is it?'),
    );
    await until(async () => (await show()).channel.counts.duplicate === 1, 60_000, 'the duplicate seen');
    await until(async () => (await dovecot.flags()).every((f) => f.seen), 30_000, 'every message seen');
    expect(answered().length).toBe(1);
    const ls = (await cli(['channel', 'ls', '--json'])).stdout;
    expect(ls).not.toContain(dovecot.password);
  }, 240_000);

  it('takes hostile mail without a crash and without a header of its making', async () => {
    const before = (await show()).channel.counts.inbound;
    const b64 = (s: string): string => `=?utf-8?B?${Buffer.from(s).toString('base64')}?=`;
    await dovecot.deliver(
      mail({ From: from, Subject: 'big', 'Message-ID': '<big@example.org>' }, `${'A'.repeat(99)}\n`.repeat(30_000)),
    );
    await dovecot.deliver(
      mail(
        {
          From: from,
          Subject: 'broken',
          'Message-ID': '<broken@example.org>',
          'MIME-Version': '1.0',
          'Content-Type': 'multipart/mixed; boundary="never-closed"',
        },
        '--never-closed\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n%%%not base64%%%\n--never-cl',
      ),
    );
    await dovecot.deliver(
      mail(
        {
          From: `${b64('Dana\r\nBcc: all@victim.org')} <dana@example.org>`,
          Subject: b64('Hi\r\nBcc: all@victim.org\r\nX-Evil: 1'),
          'Reply-To': 'thief@attacker.org',
          'Message-ID': '<inject@example.org>',
        },
        'hello',
      ),
    );
    await until(async () => (await show()).channel.counts.inbound >= before + 3, 90_000, 'the hostile mail taken');
    await until(async () => (await dovecot.flags()).every((f) => f.seen), 30_000, 'every message seen');
    const s = await show();
    expect(s.channel.state).toBe('running');
    expect(s.messages.some((m) => m.direction === 'in' && /\[cut: /.test(m.text))).toBe(true);
    // Whatever was answered went to Dana alone, with no header the mail or the model wrote.
    await until(() => smtp.received.length >= 3, 90_000, 'the answers');
    for (const r of smtp.received) {
      expect(r.to).toEqual(['dana@example.org']);
      const head = r.raw.toString('latin1').split('\r\n\r\n')[0]!;
      expect(head).not.toMatch(/^(bcc|x-evil):/im);
      expect(head).not.toMatch(/attacker/);
    }
    expect((await cli(['kernel', 'status'])).code).toBe(0);
  }, 240_000);
});
