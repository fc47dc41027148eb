/**
 * Red team (issue 52): approvals decided from a chat's buttons. A press decides one request only
 * when its token is the kernel's, unused, its request still pending and the presser one of the
 * binding's approvers. Tried through a real kernel against the fake Bot API and a fake Slack: a
 * forged token, another sender's press, a replay of the press that decided, a press after the request
 * was decided at the terminal, a Slack press with a bad signature, and a token of one channel's
 * pressed on another. Each decides nothing; the presser is told why.
 */
import { describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { parsePolicy } from '../../kernel/safety/policy.js';
import { blockActions, eventCallback, signedEvent, signedInteraction } from '../fakes/fake-slack.js';
import { type ChannelHarness, telegramPerTest } from '../helpers/channel-harness.js';
import { call, EXIT } from '../helpers/kernel-harness.js';
import { slackPerTest } from '../helpers/slack-harness.js';
import { until } from '../helpers/until.js';

const bwrap = await findBwrap();
const safety = parsePolicy(
  'version: 1\nroot: {capabilities: [channel]}\nrules:\n  - ask: "channel:tg"\n  - ask: "channel:slack"\n',
  'policy',
).safety;
const LISTENER = [
  call('SYS_READ_STDIN', { timeout_s: 60 }),
  call('CHANNEL_SEND', { to: 'inbound', text: 'approved words' }),
  EXIT,
];
const start = telegramPerTest({ safety });

/** A listener bound to chat 1 with approver 1, asked to send: its request's buttons and message id. */
async function asking(h: ChannelHarness): Promise<{ pid: number; data: string[]; messageId: number }> {
  const pcb = await h.spawn({ name: 'listener', capabilities: ['channel:tg'] });
  await h.kernel.channels.bind({ channel: 'tg', chat: '1', sender: '1', pid: pcb.pid, approvers: ['1'] });
  h.fake.push(1, 'hello', { id: 1, first_name: 'One' });
  await until(() => h.fake.sent.some((s) => s.reply_markup), 30_000, 'the approval request sent');
  const request = h.fake.sent.find((s) => s.reply_markup)!;
  const data = request.reply_markup!.inline_keyboard.flat().map((b) => b.callback_data);
  return { pid: pcb.pid, data, messageId: h.fake.sent.indexOf(request) + 1 };
}

/** Press, and wait for the kernel's answer to the presser. */
async function press(h: ChannelHarness, messageId: number, data: string, from: number): Promise<string> {
  const before = h.fake.answered.length;
  h.fake.press(from, messageId, data, { id: from, first_name: `user${from}` });
  await until(() => h.fake.answered.length > before, 30_000, 'the press answered');
  return h.fake.answered.at(-1)?.text ?? '';
}

describe.skipIf(!bwrap)('approval buttons on Telegram', () => {
  it('a forged token, another sender, and a replay decide nothing', async () => {
    const h = await start({ listener: LISTENER });
    const { pid, data, messageId } = await asking(h);
    const [approve, deny] = data as [string, string];
    expect(approve).toMatch(/^a:[A-Za-z0-9_-]{21}$/);
    // Forged: the form of a token, not one the kernel made.
    expect(await press(h, messageId, `a:${'A'.repeat(21)}`, 1)).toMatch(/not one of a request aos knows/);
    expect(await press(h, messageId, 'approve', 1)).toMatch(/not one of a request aos knows/);
    // Another sender (not an approver) pressing the real button.
    expect(await press(h, messageId, approve, 2)).toMatch(/not an approver/);
    expect(h.kernel.safety.approvals.list(10)).toHaveLength(1);
    expect(h.fake.sent.some((s) => s.text === 'approved words')).toBe(false);
    // The approver denies; a replay of that press, or the approve button after it, does nothing more.
    expect(await press(h, messageId, deny, 1)).toBe('Denied.');
    expect(await press(h, messageId, deny, 1)).toMatch(/Already answered/);
    expect(await press(h, messageId, approve, 1)).toMatch(/Already answered/);
    const rows = h.kernel.safety.audit.list({ pid, limit: 100 });
    expect(rows.filter((r) => r.decision === 'denied')).toHaveLength(1);
    expect(rows.filter((r) => r.decision === 'approved')).toHaveLength(0);
    expect(rows.find((r) => r.decision === 'denied')).toMatchObject({ via: 'channel:tg/1', decided_by: 'person' });
    // The refusals of known tokens are on record (the forged ones are not: strangers could fill the audit).
    expect(rows.filter((r) => r.call === 'CHANNEL' && /pressed and refused/.test(r.reason ?? ''))).toHaveLength(3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.fake.sent.some((s) => s.text === 'approved words')).toBe(false);
  }, 120_000);

  it('a press after the request was decided at the terminal is stale and decides nothing', async () => {
    const h = await start({ listener: LISTENER });
    const { pid, data, messageId } = await asking(h);
    const [asked] = h.kernel.safety.approvals.list(10);
    h.kernel.safety.approvals.deny(asked!.id, 'no', 'socket');
    await until(() => h.fake.edited.length > 0, 30_000, 'the message edited');
    expect(h.fake.edited[0]!.text).toContain('→ denied (socket)');
    expect(await press(h, messageId, data[0]!, 1)).toMatch(/no longer pending/);
    const rows = h.kernel.safety.audit.list({ pid, limit: 100 });
    expect(rows.filter((r) => r.decision === 'approved')).toHaveLength(0);
    expect(rows.find((r) => r.decision === 'denied')).toMatchObject({ via: 'socket' });
  }, 120_000);
});

const TOKEN = 'xoxb-redteam-chat-approvals';
const SIGNING = 'signing-secret-redteam-chat-approvals';
const startSlack = slackPerTest({
  token: TOKEN,
  signing: SIGNING,
  agents: { helper: [call('CHANNEL_SEND', { to: 'inbound', text: 'on it' }), EXIT] },
  helperCapabilities: ['channel:slack'],
  safety,
});

describe.skipIf(!bwrap)('approval buttons on Slack', () => {
  it('a press with a bad or stale signature is refused; another user or a forged value decides nothing', async () => {
    const h = await startSlack();
    await h.kernel.channels.bind({ channel: 'slack', sender: 'U2', unit: 'helper', approvers: ['U9'] });
    const message = signedEvent(
      SIGNING,
      eventCallback({ type: 'message', channel: 'C1', user: 'U2', text: 'deploy', ts: '1700000000.000200' }, 'Ev7'),
    );
    await fetch(h.url, { method: 'POST', headers: message.headers, body: message.body });
    await until(() => h.fake.sent.some((s) => s.blocks), 30_000, 'the approval request posted');
    const request = h.fake.sent.find((s) => s.blocks)!;
    const blocks = JSON.parse(request.blocks!) as Array<{ elements?: Array<{ value: string }> }>;
    const approve = blocks[1]!.elements![0]!.value;
    const post = (r: { headers: Record<string, string>; body: string }): Promise<Response> =>
      fetch(h.url, { method: 'POST', headers: r.headers, body: r.body });
    const forged = signedInteraction('not-the-secret', blockActions('U9', 'D9', request.ts!, approve));
    expect((await post(forged)).status).toBe(401);
    const stale = signedInteraction(SIGNING, blockActions('U9', 'D9', request.ts!, approve), {
      timestamp: Math.floor(Date.now() / 1000) - 3600,
    });
    expect((await post(stale)).status).toBe(401);
    expect((await post(signedInteraction(SIGNING, blockActions('U2', 'D9', request.ts!, approve)))).status).toBe(200);
    await until(() => h.fake.ephemeral.length === 1, 30_000, 'the other user told');
    expect(h.fake.ephemeral[0]).toMatchObject({ user: 'U2', text: expect.stringMatching(/not an approver/) as string });
    const fake = `a:${'B'.repeat(21)}`;
    expect((await post(signedInteraction(SIGNING, blockActions('U9', 'D9', request.ts!, fake)))).status).toBe(200);
    await until(() => h.fake.ephemeral.length === 2, 30_000, 'the forged value answered');
    expect(h.fake.ephemeral[1]!.text).toMatch(/not one of a request aos knows/);
    expect(h.kernel.safety.approvals.list(10)).toHaveLength(1);
    expect(h.kernel.safety.audit.list({ limit: 200 }).filter((r) => r.decision === 'approved')).toHaveLength(0);
    expect(h.fake.sent.some((s) => s.text === 'on it')).toBe(false);
  }, 120_000);
});
