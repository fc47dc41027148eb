/**
 * Approve from the chat through the real CLI and daemon (issue 52): `aos channel bind --approvers`,
 * a process's `ask`ed call sent to the approver on a fake Bot API with buttons, a forged press and
 * another sender's deciding nothing, the approver's press deciding it — audited via the channel and
 * the sender, the message edited with the outcome.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { type FakeTelegram, startFakeTelegram } from '../fakes/fake-telegram.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { publishedJson } from '../helpers/published-json.js';
import { until } from '../helpers/until.js';

const bwrap = await findBwrap();
const TOKEN = '4343:chat-approvals-token';
const POLICY = `version: 1
root:
  capabilities: ["fs.read:/**", "ipc", "timer", "channel"]
rules:
  - ask: "channel:tg"
secrets:
  TG_TOKEN: {from_env: AOS_TEST_CHANNEL_TOKEN, channels: [tg]}
`;

let t: TestHome;
let fake: FakeTelegram;

beforeAll(async () => {
  t = await makeHome();
  fake = await startFakeTelegram(TOKEN);
  const policy = path.join(t.home, 'policy.yaml');
  await writeFile(policy, POLICY);
  Object.assign(t.env, { AOS_POLICY: policy, AOS_TEST_CHANNEL_TOKEN: TOKEN, AOS_WEBHOOK_PORT: '0' });
}, 30_000);
afterAll(async () => {
  await t?.dispose();
  await fake?.close();
});

const cli = (args: string[]): ReturnType<TestHome['cli']> => t.cli(args, { timeoutMs: 30_000 });

/** Press a button as `from`, and wait for the answer the presser is shown. */
async function press(messageId: number, data: string, from: number): Promise<string> {
  const before = fake.answered.length;
  fake.press(from, messageId, data, { id: from, first_name: `user${from}` });
  await until(() => fake.answered.length > before, 30_000, 'the press answered');
  return fake.answered.at(-1)?.text ?? '';
}

describe.skipIf(!bwrap)('aos channel bind --approvers', () => {
  it("decides a bound process's approval from a Telegram button", async () => {
    await cli(['channel', 'add', 'telegram', '--name', 'tg', '--token-secret', 'TG_TOKEN', '--api-root', fake.apiRoot]);
    await until(
      async () => (await cli(['channel', 'ls', '--json'])).stdout.includes('"state":"running"'),
      30_000,
      'the adapter running',
    );
    const model = await t.tape({
      listener: [
        '[SYS_CALL::SYS_READ_STDIN] {"timeout_s": 300}',
        '[SYS_CALL::CHANNEL_SEND] {"to": "inbound", "text": "approved words"}',
        '[SYS_CALL::SYS_EXIT] {"code": 0}',
      ],
    });
    const { pid } = JSON.parse(
      (await cli(['spawn', 'listen', '--model', model, '--name', 'listener', '--detach', '--json'])).stdout,
    ) as { pid: number };
    const bound = await publishedJson<{ binding: { approvers: string[] } }>(
      cli,
      ['channel', 'bind', 'tg', '--chat', '1', '--sender', '1', '--pid', String(pid), '--approvers', '1', '--json'],
      'channel-bind',
    );
    expect(bound.binding.approvers).toEqual(['1']);
    expect((await cli(['channel', 'show', 'tg'])).stdout).toContain('approvals from 1');

    fake.push(1, 'hello', { id: 1, first_name: 'One' });
    await until(() => fake.sent.some((s) => s.reply_markup), 60_000, 'the approval request sent');
    const request = fake.sent.find((s) => s.reply_markup)!;
    const messageId = fake.sent.indexOf(request) + 1;
    const [approve] = request.reply_markup!.inline_keyboard.flat().map((b) => b.callback_data);
    const listed = (await cli(['approvals'])).stdout;
    expect(listed).toContain('CHANNEL_SEND');
    expect(request.text).toContain('CHANNEL_SEND');

    expect(await press(messageId, `a:${'C'.repeat(21)}`, 1)).toMatch(/not one of a request aos knows/);
    expect(await press(messageId, approve!, 9)).toMatch(/not an approver/);
    expect(fake.sent.some((s) => s.text === 'approved words')).toBe(false);
    expect(await press(messageId, approve!, 1)).toBe('Approved.');
    await until(() => fake.sent.some((s) => s.text === 'approved words'), 60_000, 'the approved send');
    await until(() => fake.edited.length > 0, 30_000, 'the message edited');
    expect(fake.edited[0]!.text).toContain('→ approved by tg/1');
    expect(await press(messageId, approve!, 1)).toMatch(/Already answered/);
    const audit = (await cli(['audit', '--json'])).stdout;
    expect(audit).toContain('"via":"channel:tg/1"');
  }, 180_000);
});
