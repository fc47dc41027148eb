/**
 * A Discord channel through the real CLI and daemon (issue 53): added with `aos channel add discord`
 * against a fake Discord on loopback (its token a policy secret), its adapter in the sandbox keeping
 * a Gateway session through the egress proxy; a message from the fake gateway reaches a bound live
 * process, whose CHANNEL_SEND is posted back through the fake REST API as a reply that pings
 * nobody; `aos channel test` asks the bot who it is; the token shows nowhere.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import type { PUBLISHED } from '../../protocol/schemas.js';
import { FAKE_DISCORD_BOT, type FakeDiscord, startFakeDiscord } from '../fakes/fake-discord.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { publishedJson } from '../helpers/published-json.js';
import { until } from '../helpers/until.js';

const bwrap = await findBwrap();
const TOKEN = 'MTAdiscord.cli-test.token-77aa';
const POLICY = `version: 1
root:
  capabilities: ["fs.read:/**", "ipc", "timer", "channel:discord"]
secrets:
  DISCORD_TOKEN: {from_env: AOS_TEST_DISCORD_TOKEN, channels: [discord]}
`;
const ADA = { id: '200000000000000002', username: 'ada', global_name: 'Ada' };
const CHAT = '300000000000000003';

let t: TestHome;
let fake: FakeDiscord;

beforeAll(async () => {
  t = await makeHome();
  fake = await startFakeDiscord(TOKEN);
  const policy = path.join(t.home, 'policy.yaml');
  await writeFile(policy, POLICY);
  Object.assign(t.env, { AOS_POLICY: policy, AOS_TEST_DISCORD_TOKEN: TOKEN });
}, 30_000);
afterAll(async () => {
  await t.dispose();
  await fake.close();
});

const cli = (args: string[]): ReturnType<TestHome['cli']> => t.cli(args, { timeoutMs: 30_000 });
const json = <T>(args: string[], schema: keyof typeof PUBLISHED): Promise<T> => publishedJson<T>(cli, args, schema);

describe.skipIf(!bwrap)('aos channel add discord', () => {
  it('answers a Discord message through the fake gateway and REST API', async () => {
    const added = await json<{ channel: { kind: string; api_root: string } }>(
      ['channel', 'add', 'discord', '--token-secret', 'DISCORD_TOKEN', '--api-root', fake.apiRoot],
      'channel-add',
    );
    expect(added.channel).toMatchObject({ kind: 'discord', api_root: fake.apiRoot });
    let ls: { channels: Array<{ state: string; account: string | null }> } = { channels: [] };
    await until(
      async () => (ls = await json<typeof ls>(['channel', 'ls'], 'channel-ls')).channels[0]?.state === 'running',
      30_000,
      'the adapter running',
    );
    await until(() => fake.connected(), 30_000, 'the gateway session');
    ls = await json<typeof ls>(['channel', 'ls'], 'channel-ls');
    expect(ls.channels[0]?.account).toBe(FAKE_DISCORD_BOT.username);
    expect(JSON.stringify(ls)).not.toContain(TOKEN);

    const model = await t.tape({
      listener: [
        '[SYS_CALL::SYS_READ_STDIN] {"timeout_s": 120}',
        '[SYS_CALL::CHANNEL_SEND] {"to": "inbound", "text": "on it @everyone", "reply_to": true}',
        '[SYS_CALL::SYS_EXIT] {"code": 0}',
      ],
    });
    const listener = JSON.parse(
      (await cli(['spawn', 'listen', '--model', model, '--name', 'listener', '--detach', '--json'])).stdout,
    ) as { pid: number };
    await json(['channel', 'bind', 'discord', '--sender', ADA.id, '--pid', String(listener.pid)], 'channel-bind');
    const { id } = fake.push(CHAT, 'is the build green?', ADA);
    await until(() => fake.sent.length === 1, 60_000, 'the reply at the fake REST API');
    expect(fake.sent[0]).toMatchObject({
      channel: CHAT,
      content: 'on it @everyone',
      allowed_mentions: { parse: [] },
      message_reference: { message_id: id },
    });
    const show = await json<{ messages: Array<{ direction: string; text: string; thread: string | null }> }>(
      ['channel', 'show', 'discord'],
      'channel-show',
    );
    expect(show.messages.find((m) => m.direction === 'in')).toMatchObject({
      text: 'is the build green?',
      thread: `chat:discord:${CHAT}`,
    });
    const tested = await cli(['channel', 'test', 'discord']);
    expect(tested.stdout).toMatch(/^discord: the adapter is /);
    expect(tested.stdout).toContain(FAKE_DISCORD_BOT.username);
    expect(`${tested.stdout}${tested.stderr}`).not.toContain(TOKEN);
    await json(['channel', 'rm', 'discord'], 'channel-rm');
  }, 120_000);
});
