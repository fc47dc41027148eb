/**
 * The Telegram SDK (grammY) an adapter will use, going out only through the egress proxy (issue
 * 34): long polling against a fake Bot API on loopback, messages from two chats answered each in
 * its own chat, every request through the proxy's tunnels; an API root the proxy does not allow is
 * never reached; an update is confirmed to Telegram only once its handler has finished, so one
 * that was being handled when the adapter died comes again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Bot } from 'grammy';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tunnelAgent } from '../../../drivers/channels/tunnel-agent.js';
import { type EgressProxy, startEgressProxy } from '../../../drivers/net/egress-proxy.js';
import { type FakeTelegram, startFakeTelegram } from '../../fakes/fake-telegram.js';
import { until } from '../../helpers/until.js';

const TOKEN = '123456:test-token';
const BOT_INFO = {
  ...{
    id: 42,
    is_bot: true as const,
    first_name: 'Fake',
    username: 'fake_bot',
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
  },
  ...{
    can_connect_to_business: false,
    has_main_web_app: false,
    has_topics_enabled: false,
    allows_users_to_create_topics: false,
    can_manage_bots: false,
    supports_join_request_queries: false,
  },
};

let dir = '';
let fake: FakeTelegram;
let proxy: EgressProxy;
const denied: string[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-tg-'));
  fake = await startFakeTelegram(TOKEN);
  proxy = await startEgressProxy({
    socketPath: path.join(dir, 'egress.sock'),
    allow: [`127.0.0.1:${fake.port}`],
    allowPrivate: [`127.0.0.1:${fake.port}`],
    onDecision: (d) => !d.allowed && denied.push(d.target),
  });
});
afterEach(async () => {
  await proxy.close();
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

function bot(apiRoot: string): Bot {
  return new Bot(TOKEN, {
    botInfo: BOT_INFO,
    client: { apiRoot, baseFetchConfig: { agent: tunnelAgent(proxy.socketPath, 'http:') } },
  });
}

describe('grammY through the egress proxy', () => {
  it('answers two chats, each in its own, every request tunnelled', async () => {
    const b = bot(fake.apiRoot);
    b.on('message:text', async (ctx) => {
      await ctx.reply(`re: ${ctx.message.text}`, { reply_parameters: { message_id: ctx.message.message_id } });
    });
    const polling = b.start({ timeout: 1, drop_pending_updates: false });
    fake.push(7, 'hello from seven');
    fake.push(9, 'hello from nine');
    await until(() => fake.sent.length === 2, 10_000);
    await b.stop();
    await polling;
    expect(fake.sent.map((m) => [m.chat_id, m.text])).toEqual([
      [7, 're: hello from seven'],
      [9, 're: hello from nine'],
    ]);
    expect(proxy.stats().opened).toBeGreaterThan(0);
    expect(fake.calls).toEqual(expect.arrayContaining(['deleteWebhook', 'getUpdates', 'sendMessage']));
  }, 20_000);

  it('never reaches an API root the proxy does not allow', async () => {
    const other = await startFakeTelegram(TOKEN);
    try {
      const b = bot(other.apiRoot);
      const error = (await b.api.getMe().then(
        () => null,
        (e: unknown) => e,
      )) as { message: string; error?: { message?: string } } | null;
      expect(error?.message).toMatch(/Network request for 'getMe' failed/);
      expect(String(error?.error?.message)).toMatch(/egress to 127\.0\.0\.1:\d+ refused/);
      expect(other.calls).toEqual([]);
      expect(denied).toContain(`127.0.0.1:${other.port}`);
    } finally {
      await other.close();
    }
  }, 20_000);

  it('confirms an update only after its handler finished: one being handled when the adapter died comes again', async () => {
    const first = bot(fake.apiRoot);
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    first.on('message:text', async () => {
      entered();
      await new Promise(() => undefined); // never finishes: the adapter dies here
    });
    void first.start({ timeout: 1 }).catch(() => undefined);
    const id = fake.push(7, 'are you there?').update;
    await inHandler;
    expect(fake.confirmed()).toBeLessThan(id);
    // The adapter's sandbox is killed: its connections go; a new one starts.
    await proxy.close();
    proxy = await startEgressProxy({
      socketPath: path.join(dir, 'egress2.sock'),
      allow: [`127.0.0.1:${fake.port}`],
      allowPrivate: [`127.0.0.1:${fake.port}`],
    });
    const seen: string[] = [];
    const second = bot(fake.apiRoot);
    second.on('message:text', (ctx) => {
      seen.push(ctx.message.text);
    });
    const polling = second.start({ timeout: 1 });
    await until(() => seen.length === 1, 10_000);
    await second.stop();
    await polling;
    expect(seen).toEqual(['are you there?']);
    expect(fake.confirmed()).toBe(id);
  }, 20_000);
});
