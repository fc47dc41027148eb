/**
 * Undo a proposal from the chat through the real CLI and daemon (issue 52.2): `aos channel bind
 * --approvers`, a bound process's write under a `propose` rule told to the approver on a fake Bot
 * API with an Undo button; a forged press and another sender's undo nothing, the approver's press
 * puts the file back — audited via the channel and the sender, `aos proposals` saying so, the
 * message edited with the outcome.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { type FakeTelegram, startFakeTelegram } from '../fakes/fake-telegram.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const bwrap = await findBwrap();
const TOKEN = '4344:chat-proposals-token';
const POLICY = `version: 1
root:
  capabilities: ["fs.read:/**", "fs.write:/**", "ipc", "timer", "channel"]
rules:
  - propose: "fs.write:/src/**"
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

async function press(messageId: number, data: string, from: number): Promise<string> {
  const before = fake.answered.length;
  fake.press(from, messageId, data, { id: from, first_name: `user${from}` });
  await until(() => fake.answered.length > before, 30_000, 'the press answered');
  return fake.answered.at(-1)?.text ?? '';
}

describe.skipIf(!bwrap)('the Undo button through the daemon', () => {
  it("undoes a bound process's proposal from a Telegram button", async () => {
    const file = path.join(t.env.AOS_WORKSPACE as string, 'src/a.txt');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, 'old');
    await cli(['channel', 'add', 'telegram', '--name', 'tg', '--token-secret', 'TG_TOKEN', '--api-root', fake.apiRoot]);
    await until(
      async () => (await cli(['channel', 'ls', '--json'])).stdout.includes('"state":"running"'),
      30_000,
      'the adapter running',
    );
    const model = await t.tape({
      writer: [
        '[SYS_CALL::SYS_READ_STDIN] {"timeout_s": 300}',
        '[SYS_CALL::FS_WRITE] {"path": "/src/a.txt", "content": "new"}',
        '[SYS_CALL::SYS_EXIT] {"code": 0}',
      ],
    });
    const { pid } = JSON.parse(
      (await cli(['spawn', 'write', '--model', model, '--name', 'writer', '--detach', '--json'])).stdout,
    ) as { pid: number };
    const bind = ['channel', 'bind', 'tg', '--chat', '1', '--sender', '1', '--pid', String(pid), '--approvers', '1'];
    expect((await cli(bind)).code).toBe(0);

    fake.push(1, 'write it', { id: 1, first_name: 'One' });
    await until(() => fake.sent.some((s) => s.reply_markup), 60_000, 'the proposal told');
    const told = fake.sent.find((s) => s.reply_markup)!;
    const messageId = fake.sent.indexOf(told) + 1;
    const [undo] = told.reply_markup!.inline_keyboard.flat().map((b) => b.callback_data);
    const [listed] = JSON.parse((await cli(['proposals', '--json'])).stdout) as Array<{ id: string; state: string }>;
    expect(listed).toMatchObject({ state: 'pending' });
    expect(told.text).toContain(`aos proposal ${listed!.id}: process ${pid} ran FS_WRITE /src/a.txt`);
    expect(await readFile(file, 'utf8')).toBe('new');

    expect(await press(messageId, `u:${'C'.repeat(21)}`, 1)).toMatch(/not one of a proposal aos knows/);
    expect(await press(messageId, undo!, 9)).toMatch(/not an approver/);
    expect(await readFile(file, 'utf8')).toBe('new');
    expect(await press(messageId, undo!, 1)).toBe('Undone: /src/a.txt restored.');
    expect(await readFile(file, 'utf8')).toBe('old');
    await until(() => fake.edited.length > 0, 30_000, 'the message edited');
    expect(fake.edited[0]!.text).toContain('→ undone by tg/1');
    expect(await press(messageId, undo!, 1)).toMatch(/Already undone/);
    const [after] = JSON.parse((await cli(['proposals', '--json'])).stdout) as Array<{ state: string; via: string }>;
    expect(after).toMatchObject({ state: 'undone', via: 'channel:tg/1' });
    expect((await cli(['audit', '--json'])).stdout).toMatch(/"decision":"undone"[^}]*"via":"channel:tg\/1"/);
  }, 180_000);
});
