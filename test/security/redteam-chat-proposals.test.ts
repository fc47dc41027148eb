/**
 * Red team (issue 52.2): the Undo button of a proposal told in the chat. A press undoes only when
 * its token is the kernel's, its proposal still pending and the presser one of the binding's
 * approvers. Tried through a real kernel against the fake Bot API (a forged token, another sender's
 * press, a replay of the press that undid, a press after the window passed) and a fake Slack (a
 * forged value, another user's press). Each undoes nothing and the presser is told why; the file
 * on the host says what happened.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
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
  'version: 1\nroot: {capabilities: [channel, "fs.write:/**"]}\nrules:\n  - propose: "fs.write:/src/**"\n  - propose: "fs.write:/brief/**"\n    window: 1s\n',
  'policy',
).safety;
const writer = (file: string) => [
  call('SYS_READ_STDIN', { timeout_s: 60 }),
  call('FS_WRITE', { path: file, content: 'new' }),
  EXIT,
];
const start = telegramPerTest({ safety });

/** A writer bound to chat 1 with approver 1, woken: the Undo message it caused, and its button's data. */
async function proposed(h: ChannelHarness, file: string): Promise<{ pid: number; data: string; messageId: number }> {
  await mkdir(path.dirname(path.join(h.workspace, file)), { recursive: true });
  await writeFile(path.join(h.workspace, file), 'old');
  const pcb = await h.spawn({ name: 'writer', capabilities: ['channel:tg', 'fs.write:/**'] });
  await h.kernel.channels.bind({ channel: 'tg', chat: '1', sender: '1', pid: pcb.pid, approvers: ['1'] });
  h.fake.push(1, 'write it', { id: 1, first_name: 'One' });
  await until(() => h.fake.sent.some((s) => s.reply_markup), 30_000, 'the proposal told');
  const told = h.fake.sent.find((s) => s.reply_markup)!;
  expect(told.chat_id).toBe('1');
  expect(told.text).toMatch(
    new RegExp(`process ${pcb.pid} ran FS_WRITE ${file} under rule propose: [\\s\\S]*may be undone until`),
  );
  const buttons = told.reply_markup!.inline_keyboard.flat();
  expect(buttons.map((b) => b.text)).toEqual(['Undo']);
  return { pid: pcb.pid, data: buttons[0]!.callback_data, messageId: h.fake.sent.indexOf(told) + 1 };
}

async function press(h: ChannelHarness, messageId: number, data: string, from: number): Promise<string> {
  const before = h.fake.answered.length;
  h.fake.press(from, messageId, data, { id: from, first_name: `user${from}` });
  await until(() => h.fake.answered.length > before, 30_000, 'the press answered');
  return h.fake.answered.at(-1)?.text ?? '';
}

describe.skipIf(!bwrap)('the Undo button on Telegram', () => {
  it('a forged token, another sender and a replay undo nothing; the approver’s press undoes it', async () => {
    const h = await start({ writer: writer('/src/a.txt') });
    const { pid, data, messageId } = await proposed(h, '/src/a.txt');
    const host = path.join(h.workspace, 'src/a.txt');
    expect(data).toMatch(/^u:[A-Za-z0-9_-]{21}$/);
    expect(await readFile(host, 'utf8')).toBe('new');
    expect(await press(h, messageId, `u:${'A'.repeat(21)}`, 1)).toMatch(/not one of a proposal aos knows/);
    expect(await press(h, messageId, 'u:', 1)).toMatch(/not one of a proposal aos knows/);
    expect(await press(h, messageId, data, 2)).toMatch(/not an approver/);
    expect(await readFile(host, 'utf8')).toBe('new');

    expect(await press(h, messageId, data, 1)).toBe('Undone: /src/a.txt restored.');
    expect(await readFile(host, 'utf8')).toBe('old');
    expect(await press(h, messageId, data, 1)).toMatch(/Already undone/);
    const rows = h.kernel.safety.audit.list({ pid, limit: 100 });
    expect(rows.filter((r) => r.decision === 'undone')).toEqual([
      expect.objectContaining({ via: 'channel:tg/1', decided_by: 'person' }),
    ]);
    // The refusals of the known token are on record (the forged ones are not: strangers could fill the audit).
    expect(rows.filter((r) => r.call === 'CHANNEL' && /pressed and refused/.test(r.reason ?? ''))).toHaveLength(2);
    await until(() => h.fake.edited.length > 0, 30_000, 'the message edited');
    expect(h.fake.edited[0]!.text).toContain('→ undone by tg/1');
  }, 120_000);

  it('a press after the window passed is stale: the proposal is final and the file stays', async () => {
    const h = await start({ writer: writer('/brief/b.txt') });
    const { data, messageId } = await proposed(h, '/brief/b.txt');
    await until(() => h.fake.edited.length > 0, 30_000, 'the message edited: final');
    expect(h.fake.edited[0]!.text).toContain('→ final');
    expect(await press(h, messageId, data, 1)).toMatch(/no longer pending \(final/);
    expect(await readFile(path.join(h.workspace, 'brief/b.txt'), 'utf8')).toBe('new');
  }, 120_000);
});

const SLACK_TOKEN = 'xoxb-redteam-chat-proposals';
const SIGNING = 'signing-secret-redteam-chat-proposals';
const startSlack = slackPerTest({
  token: SLACK_TOKEN,
  signing: SIGNING,
  agents: { helper: [call('FS_WRITE', { path: '/src/s.txt', content: 'new' }), EXIT] },
  helperCapabilities: ['channel:slack', 'fs.write:/**'],
  safety,
});

describe.skipIf(!bwrap)('the Undo button on Slack', () => {
  it("a unit's run proposes; another user and a forged value undo nothing; the approver's signed press undoes it", async () => {
    const h = await startSlack();
    await mkdir(path.join(h.workspace, 'src'), { recursive: true });
    await writeFile(path.join(h.workspace, 'src/s.txt'), 'old');
    await h.kernel.channels.bind({ channel: 'slack', sender: 'U2', unit: 'helper', approvers: ['U9'] });
    const message = signedEvent(
      SIGNING,
      eventCallback({ type: 'message', channel: 'C1', user: 'U2', text: 'write', ts: '1700000000.000300' }, 'Ev8'),
    );
    expect((await fetch(h.url, { method: 'POST', headers: message.headers, body: message.body })).status).toBe(200);
    await until(() => h.fake.sent.some((s) => s.blocks), 30_000, 'the proposal posted');
    const told = h.fake.sent.find((s) => s.blocks)!;
    expect(told.channel).toBe('U9');
    const blocks = JSON.parse(told.blocks!) as Array<{ elements?: Array<{ value: string }> }>;
    const undo = blocks[1]!.elements![0]!.value;
    expect(undo).toMatch(/^u:/);
    const post = async (user: string, value: string): Promise<void> => {
      const r = signedInteraction(SIGNING, blockActions(user, 'D9', told.ts!, value));
      expect((await fetch(h.url, { method: 'POST', headers: r.headers, body: r.body })).status).toBe(200);
    };
    await post('U2', undo);
    await until(() => h.fake.ephemeral.length === 1, 30_000, 'the other user told');
    expect(h.fake.ephemeral[0]).toMatchObject({ user: 'U2', text: expect.stringMatching(/not an approver/) as string });
    await post('U9', `u:${'B'.repeat(21)}`);
    await until(() => h.fake.ephemeral.length === 2, 30_000, 'the forged value answered');
    expect(h.fake.ephemeral[1]!.text).toMatch(/not one of a proposal aos knows/);
    expect(await readFile(path.join(h.workspace, 'src/s.txt'), 'utf8')).toBe('new');
    await post('U9', undo);
    await until(() => h.fake.ephemeral.length === 3, 30_000, 'the approver told');
    expect(h.fake.ephemeral[2]).toMatchObject({ user: 'U9', text: 'Undone: /src/s.txt restored.' });
    expect(await readFile(path.join(h.workspace, 'src/s.txt'), 'utf8')).toBe('old');
    await until(() => h.fake.updated.length > 0, 30_000, 'the message updated');
    expect(h.fake.updated[0]!.text).toContain('→ undone by slack/U9');
  }, 120_000);
});
