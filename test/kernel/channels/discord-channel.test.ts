/**
 * A Discord channel through a real kernel (issue 53): the adapter in its sandbox keeps a Gateway
 * session with a fake Discord through the egress proxy; a person's message reaches a bound unit,
 * whose CHANNEL_SEND is posted through REST in answer (pinging nobody); an unknown sender is held
 * and told a pairing code, and let in by `pair`; a dispatch delivered twice is answered once; a
 * dropped connection, a RECONNECT and an INVALID_SESSION leave the channel answering. And what the
 * adapter may reach: Discord's API host and its gateways, or a fake's one address, nothing else.
 */
import { describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { normalSpec } from '../../../kernel/channels/launch.js';
import { FAKE_DISCORD_BOT } from '../../fakes/fake-discord.js';
import { DISCORD_TOKEN, discordPerTest } from '../../helpers/discord-harness.js';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { until } from '../../helpers/until.js';

const bwrap = await findBwrap();
const ADA = { id: '200000000000000002', username: 'ada', global_name: 'Ada' };
const CHAT = '300000000000000003';
const ANSWER = call('CHANNEL_SEND', { to: 'inbound', text: 'on it @everyone', reply_to: true });
const start = discordPerTest({
  agents: { helper: [ANSWER, EXIT, ANSWER, EXIT, ANSWER, EXIT, ANSWER, EXIT] },
  helperCapabilities: ['channel:discord'],
});

const started = (h: Awaited<ReturnType<typeof start>>): number =>
  h.kernel.units.runs('helper', 20).filter((r) => r.outcome === 'started').length;

describe.skipIf(!bwrap)('a Discord channel', () => {
  it("answers a bound sender's message through REST, as a reply that pings nobody", async () => {
    const h = await start();
    expect(h.kernel.channels.info('discord')).toMatchObject({ account: FAKE_DISCORD_BOT.username, kind: 'discord' });
    await expect(
      h.kernel.channels.bind({ channel: 'discord', sender: ADA.id, unit: 'helper', approvers: [ADA.id] }),
    ).rejects.toThrow(/--approvers: Discord channels have no approval buttons/);
    await h.kernel.channels.bind({ channel: 'discord', sender: ADA.id, unit: 'helper' });
    const { id } = h.fake.push(CHAT, 'where is my order?', ADA);
    await until(() => h.fake.sent.length === 1, 30_000, 'the reply');
    expect(h.fake.sent[0]).toMatchObject({
      channel: CHAT,
      content: 'on it @everyone',
      allowed_mentions: { parse: [], replied_user: false },
      message_reference: { message_id: id },
    });
    const entries = await h.kernel.threads.read(`chat:discord:${CHAT}`, { afterSeq: 0, limit: 10 });
    expect(entries.entries[0]?.text).toContain(`[discord sender "${ADA.id}"] "Ada (@ada)": where is my order?`);
    await until(() => h.kernel.channels.info('discord').counts.outbound === 1, 10_000, 'the send recorded');
    // The adapter's environment held the token; nothing the kernel shows does.
    expect(JSON.stringify(h.kernel.channels.info('discord'))).not.toContain(DISCORD_TOKEN);
  }, 90_000);

  it('holds an unknown sender, tells them a pairing code, and delivers once paired', async () => {
    const h = await start();
    await h.kernel.channels.bind({ channel: 'discord', unit: 'helper' });
    h.fake.push(CHAT, 'let me in', ADA);
    await until(() => h.kernel.channels.pairings('discord').length === 1, 30_000, 'a pairing code');
    await until(() => h.fake.sent.length === 1, 30_000, 'the code told');
    const { code } = h.kernel.channels.pairings('discord')[0]!;
    expect(h.fake.sent[0]).toMatchObject({ channel: CHAT, content: expect.stringContaining(code) });
    expect(started(h)).toBe(0);
    await h.kernel.channels.pair(code);
    await until(() => h.fake.sent.length === 2, 30_000, 'the held message answered');
    expect(h.fake.sent[1]).toMatchObject({ channel: CHAT, content: 'on it @everyone' });
  }, 90_000);

  it('answers a dispatch delivered twice once, and keeps answering across drops, reconnects and invalid sessions', async () => {
    const h = await start();
    await h.kernel.channels.bind({ channel: 'discord', sender: ADA.id, unit: 'helper' });
    const first = h.fake.push(CHAT, 'one', ADA);
    await until(() => h.fake.sent.length === 1, 30_000, 'the first reply');
    h.fake.again(first.seq);
    await until(() => h.kernel.channels.info('discord').counts.duplicate === 1, 30_000, 'the duplicate seen');
    expect(started(h)).toBe(1);
    h.fake.drop();
    // Sent while the bot is away: replayed by the resume.
    h.fake.push(CHAT, 'two', ADA);
    await until(() => h.fake.sent.length === 2, 30_000, 'the reply after a drop');
    h.fake.askReconnect();
    await until(() => h.fake.connected(), 30_000, 'reconnected');
    h.fake.push(CHAT, 'three', ADA);
    await until(() => h.fake.sent.length === 3, 30_000, 'the reply after a reconnect');
    h.fake.invalidate(false);
    await until(() => h.fake.ops.filter((op) => op === 2).length === 2, 30_000, 'identified anew');
    await until(() => h.fake.connected(), 30_000, 'a new session');
    h.fake.push(CHAT, 'four', ADA);
    await until(() => h.fake.sent.length === 4, 30_000, 'the reply in a new session');
    expect(started(h)).toBe(4);
    expect(h.kernel.channels.info('discord')).toMatchObject({ state: 'running', restarts: 0 });
    expect(h.fake.ops).toContain(6);
  }, 120_000);
});

describe("a Discord channel's egress", () => {
  it("is discord.com and the gateways under discord.gg, or only a given root's host", () => {
    expect(normalSpec({ name: 'discord', kind: 'discord', token_secret: 'T' })).toMatchObject({
      api_root: 'https://discord.com/api/v10',
      egress: ['discord.com:443', '*.discord.gg:443'],
    });
    expect(
      normalSpec({ name: 'dc', kind: 'discord', token_secret: 'T', api_root: 'http://127.0.0.1:9/api/v10' }).egress,
    ).toEqual(['127.0.0.1:9']);
    expect(
      normalSpec({ name: 'dc', kind: 'discord', token_secret: 'T', api_root: 'https://relay.example.com/api/v10' })
        .egress,
    ).toEqual(['relay.example.com:443']);
  });
});
