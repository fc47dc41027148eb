/**
 * The Discord adapter program (drivers/channels/discord-main.ts) driven as the kernel drives it —
 * the channel protocol over its stdio through LineRpc — its REST calls and Gateway WebSocket going
 * out only through the egress proxy, against a fake Discord: a person's message becomes
 * channel.inbound (the bot's own and other bots' do not), the next one only once the kernel
 * answered; a dropped connection resumes from the last answered message, so what the kernel had not
 * answered comes again; OP 7 and OP 9 are followed; a bad token ends the adapter saying why without
 * the token, as does a close Discord says is final; more messages than its queue holds close the connection, resumed once the kernel
 * caught up, nothing lost; channel.outbound is cut at 2,000 characters, pings nobody, waits out a short 429, and
 * refuses a chat that is not a channel id. And inboundOf / splitText on their own.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inboundOf, splitText } from '../../../drivers/channels/discord-adapter.js';
import { isWs } from '../../../drivers/channels/discord-codes.js';
import { ChannelError, type InboundMessage, LineRpc } from '../../../drivers/channels/protocol.js';
import { type EgressProxy, startEgressProxy } from '../../../drivers/net/egress-proxy.js';
import { param } from '../../../sys/param.js';
import { FAKE_DISCORD_BOT, type FakeDiscord, startFakeDiscord } from '../../fakes/fake-discord.js';
import { ROOT } from '../../helpers/cli.js';
import { until } from '../../helpers/until.js';

const TOKEN = 'MTAdiscord.adapter-test.token-9f2c';
const ADA = { id: '200000000000000002', username: 'ada', global_name: 'Ada L' };

interface Kernel {
  child: ChildProcessWithoutNullStreams;
  rpc: LineRpc;
  notes: Array<{ method: string; params: unknown }>;
  inbound: Array<{ params: InboundMessage; answer(result: unknown): void }>;
  /** Answer every channel.inbound at once with this (null: the test answers). */
  auto: { status: string } | null;
  exit: Promise<number | null>;
  stderr(): string;
}

let dir = '';
let fake: FakeDiscord;
let proxy: EgressProxy;
const kernels: Kernel[] = [];

function startAdapter(token = TOKEN): Kernel {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'drivers/channels/discord-main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      AOS_CHANNEL_TOKEN: token,
      AOS_EGRESS_SOCKET: proxy.socketPath,
      AOS_DISCORD_API_ROOT: fake.apiRoot,
    },
  });
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const kernel: Kernel = {
    child,
    notes: [],
    inbound: [],
    auto: { status: 'accepted' },
    exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    stderr: () => err,
    rpc: new LineRpc(child.stdout, child.stdin, (method, params) => {
      if (method !== 'channel.inbound') {
        kernel.notes.push({ method, params });
        return Promise.resolve(null);
      }
      return new Promise((resolve) => {
        kernel.inbound.push({ params: params as InboundMessage, answer: resolve });
        if (kernel.auto) resolve(kernel.auto);
      });
    }),
  };
  kernels.push(kernel);
  return kernel;
}

async function started(): Promise<Kernel> {
  const kernel = startAdapter();
  await until(() => kernel.notes.some((n) => n.method === 'channel.hello'), 20_000, 'the adapter said hello');
  return kernel;
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-discord-'));
  fake = await startFakeDiscord(TOKEN);
  const target = `127.0.0.1:${fake.port}`;
  proxy = await startEgressProxy({
    socketPath: path.join(dir, 'egress.sock'),
    allow: [target],
    allowPrivate: [target],
  });
});

afterEach(async () => {
  for (const k of kernels.splice(0)) {
    k.child.kill('SIGKILL');
    await k.exit;
  }
  await proxy.close();
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the Discord adapter program', () => {
  it('says hello as the bot, hands a person a message over, and answers through REST without pings', async () => {
    const k = await started();
    expect(k.notes.find((n) => n.method === 'channel.hello')?.params).toEqual({
      protocol: 1,
      channel: 'discord',
      account: FAKE_DISCORD_BOT.username,
    });
    fake.push('300000000000000003', 'the bot itself', { ...FAKE_DISCORD_BOT });
    fake.push('300000000000000003', 'another bot', { id: '400000000000000004', username: 'b', bot: true });
    const { id } = fake.push('300000000000000003', 'hello @everyone', ADA);
    await until(() => k.inbound.length === 1, 10_000, 'the message handed over');
    expect(k.inbound[0]!.params).toMatchObject({
      channel: 'discord',
      account: FAKE_DISCORD_BOT.username,
      chat: '300000000000000003',
      thread: null,
      sender: { id: ADA.id, name: 'Ada L', username: 'ada' },
      message_id: id,
      text: 'hello @everyone',
    });
    const answer = await k.rpc.request<{ message_id: string }>('channel.outbound', {
      ref: 'r1',
      chat: '300000000000000003',
      text: `@everyone ${'x'.repeat(2_500)}`,
      reply_to: id,
    });
    expect(answer.message_id).toMatch(/^[0-9]+$/);
    expect(fake.sent).toHaveLength(2);
    expect(fake.sent.map((s) => s.content).join('')).toBe(`@everyone ${'x'.repeat(2_500)}`);
    for (const s of fake.sent) {
      expect(s.content.length).toBeLessThanOrEqual(2_000);
      expect(s.allowed_mentions).toEqual({ parse: [], replied_user: false });
    }
    expect(fake.sent[0]!.message_reference).toMatchObject({ message_id: id });
    expect(fake.sent[1]!.message_reference).toBeUndefined();
    const test = await k.rpc.request('channel.test', {});
    expect(test).toEqual({ account: FAKE_DISCORD_BOT.username, name: 'Fake' });
  }, 40_000);

  it('takes the next message only once the kernel answered, and resumes from the last answered', async () => {
    const k = await started();
    k.auto = null;
    fake.push('300000000000000003', 'one', ADA);
    fake.push('300000000000000003', 'two', ADA);
    await until(() => k.inbound.length === 1, 10_000, 'the first message');
    // Not answered yet: the second waits.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(k.inbound).toHaveLength(1);
    k.inbound[0]!.answer({ status: 'accepted' });
    await until(() => k.inbound.length === 2, 10_000, 'the second message');
    // The connection drops while "two" is with the kernel: the resume replays it, handed over once
    // the kernel has answered the first.
    fake.drop();
    await until(() => fake.ops.filter((op) => op === 6).length === 1, 20_000, 'a RESUME');
    k.auto = { status: 'accepted' };
    k.inbound[1]!.answer({ status: 'accepted' });
    await until(() => k.inbound.length === 3, 20_000, 'the unanswered one again');
    expect(k.inbound.map((i) => i.params.text)).toEqual(['one', 'two', 'two']);
    expect(k.inbound[2]!.params.message_id).toBe(k.inbound[1]!.params.message_id);
    fake.push('300000000000000003', 'three', ADA);
    await until(() => k.inbound.some((i) => i.params.text === 'three'), 10_000, 'a message after the resume');
    expect(fake.ops.filter((op) => op === 2)).toHaveLength(1);
  }, 60_000);

  it('follows RECONNECT and INVALID_SESSION, ignoring frames it does not know', async () => {
    const k = await started();
    fake.raw('not json at all');
    fake.raw(JSON.stringify({ op: 99, d: { what: 'ever' } }));
    fake.raw(JSON.stringify([1, 2, 3]));
    fake.raw(
      JSON.stringify({ op: 0, s: 50, t: 'MESSAGE_CREATE', d: { id: '../../x', channel_id: 'a/b', author: {} } }),
    );
    fake.askReconnect();
    await until(() => fake.ops.includes(6), 20_000, 'a RESUME after OP 7');
    await until(() => fake.connected(), 20_000, 'resumed');
    fake.invalidate(false);
    await until(() => fake.ops.filter((op) => op === 2).length === 2, 20_000, 'a new IDENTIFY after OP 9 false');
    await until(() => fake.connected(), 20_000, 'identified');
    fake.push('300000000000000003', 'still here', ADA);
    await until(() => k.inbound.some((i) => i.params.text === 'still here'), 10_000, 'a message after all that');
    expect(k.inbound.map((i) => i.params.text)).toEqual(['still here']);
    expect(k.child.exitCode).toBeNull();
  }, 60_000);

  it('takes a connection whose heartbeat is not acknowledged for dead, and resumes', async () => {
    const k = await started();
    fake.heartbeat(1_000, false);
    fake.askReconnect();
    await until(() => fake.ops.filter((op) => op === 6).length === 1, 20_000, 'the first resume');
    await until(() => fake.ops.includes(1), 20_000, 'a heartbeat');
    // Not acknowledged: the next beat finds it so and resumes on a new connection.
    await until(() => fake.ops.filter((op) => op === 6).length === 2, 20_000, 'a resume after a silent heartbeat');
    fake.heartbeat(45_000, true);
    await until(() => fake.connected(), 20_000, 'resumed');
    fake.push('300000000000000003', 'alive', ADA);
    await until(() => k.inbound.some((i) => i.params.text === 'alive'), 20_000, 'a message after it');
  }, 60_000);

  it('takes no more than its queue holds while the kernel is slow, and resumes for the rest: none lost', async () => {
    const k = await started();
    k.auto = null;
    const total = param.discordQueueMax + 5;
    for (let i = 0; i < total; i++) fake.push('300000000000000003', `m${i}`, ADA);
    await until(() => k.inbound.length === 1, 20_000, 'the first message');
    k.auto = { status: 'accepted' };
    k.inbound[0]!.answer({ status: 'accepted' });
    await until(() => k.inbound.length === total, 60_000, 'every message');
    expect(k.inbound.map((i) => i.params.text)).toEqual(Array.from({ length: total }, (_, i) => `m${i}`));
    // The connection was closed when the queue was full, and resumed after it drained.
    expect(fake.ops).toContain(6);
  }, 90_000);

  it('ends on a refused token, saying why and never the token', async () => {
    const k = startAdapter('MTAwrong.token.value-1234');
    expect(await k.exit).toBe(1);
    expect(k.stderr()).toMatch(/401|Unauthorized/);
    expect(k.stderr()).not.toContain('MTAwrong.token.value-1234');
  }, 30_000);

  it('ends when Discord closes with a final code, saying what to do', async () => {
    const k = await started();
    fake.closeWith(4014, 'Disallowed intent(s).');
    expect(await k.exit).toBe(1);
    expect(k.stderr()).toMatch(/close 4014.*MESSAGE CONTENT INTENT/);
  }, 30_000);

  it('waits out a short 429, and refuses a chat that is not a channel id', async () => {
    const k = await started();
    fake.rateLimitNext(1, 0.05);
    await k.rpc.request('channel.outbound', { ref: 'r', chat: '300000000000000003', text: 'after a wait' });
    expect(fake.sent.map((s) => s.content)).toEqual(['after a wait']);
    fake.rateLimitNext(1, 120);
    const limited = await k.rpc
      .request('channel.outbound', { ref: 'r2', chat: '3', text: 'x' })
      .catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(ChannelError);
    expect((limited as ChannelError).retryable).toBe(true);
    for (const chat of ['../../guilds/1', '3/messages/4', '', 'abc']) {
      const refused = await k.rpc.request('channel.outbound', { ref: 'r3', chat, text: 'x' }).catch((e: unknown) => e);
      expect(refused, chat).toBeInstanceOf(ChannelError);
      expect((refused as ChannelError).retryable).toBe(false);
    }
    const approval = await k.rpc
      .request('channel.approval', { ref: 'a', chat: '3', text: 't', buttons: [{ label: 'ok', data: 'x' }] })
      .catch((e: unknown) => e);
    expect((approval as ChannelError).message).toMatch(/no approval buttons/);
    expect(fake.sent).toHaveLength(1);
  }, 40_000);
});

describe('inboundOf and splitText', () => {
  const base = {
    id: '500000000000000005',
    channel_id: '300000000000000003',
    type: 0,
    content: 'hi',
    author: ADA,
    timestamp: '2026-01-02T03:04:05.000Z',
  };
  it("maps a person's message, and is null for anything else", () => {
    expect(inboundOf('bot', '1', base, 100)).toMatchObject({ chat: base.channel_id, message_id: base.id, text: 'hi' });
    expect(inboundOf('bot', ADA.id, base, 100)).toBeNull();
    expect(inboundOf('bot', '1', { ...base, author: { ...ADA, bot: true } }, 100)).toBeNull();
    expect(inboundOf('bot', '1', { ...base, webhook_id: '7' }, 100)).toBeNull();
    expect(inboundOf('bot', '1', { ...base, type: 7 }, 100)).toBeNull();
    for (const bad of [null, 'x', [], { ...base, id: 5 }, { ...base, channel_id: '../x' }, { ...base, author: null }])
      expect(inboundOf('bot', '1', bad, 100)).toBeNull();
    const huge = inboundOf('bot', '1', { ...base, content: 'y'.repeat(1_000_000), timestamp: 'never' }, 100);
    expect(huge?.text).toHaveLength(100);
    expect(huge?.text).toMatch(/^y+ \[cut: 1000000 characters in all\]$/);
    expect(Number.isNaN(Date.parse(huge?.platform_ts ?? ''))).toBe(false);
    const files = inboundOf(
      'bot',
      '1',
      { ...base, attachments: [{ filename: 'a.png', size: 3, content_type: 'image/png' }, null] },
      9,
    );
    expect(files?.attachments).toEqual([{ kind: 'image', name: 'a.png', size: 3 }, { kind: 'file' }]);
  });

  it('dials only ws(s) URLs that parse', () => {
    expect(isWs('wss://gateway.discord.gg')).toBe(true);
    for (const bad of ['ws://[::1', 'https://discord.com', 'javascript:alert(1)', 5, null, `wss://${'a'.repeat(3000)}`])
      expect(isWs(bad), String(bad).slice(0, 30)).toBe(false);
  });

  it('cuts at 2,000, at a line or word when near, never inside a surrogate pair', () => {
    expect(splitText('short')).toEqual(['short']);
    const words = splitText(`${'a'.repeat(1_900)} ${'b'.repeat(500)}`);
    expect(words.map((w) => w.length)).toEqual([1_901, 500]);
    const emoji = splitText(`${'c'.repeat(1_999)}😀tail`);
    expect(emoji[0]).toHaveLength(1_999);
    expect(emoji.join('')).toBe(`${'c'.repeat(1_999)}😀tail`);
    expect(splitText('d'.repeat(4_000))).toHaveLength(2);
  });
});
