/**
 * Channels through a real kernel (issue 34): the Telegram adapter runs in its sandbox against a
 * fake Bot API; bound units answer with CHANNEL_SEND. Two chats land in two threads and each reply
 * reaches its own chat; a bound process gets a message on its stdin; a SIGKILLed adapter comes back
 * and nothing is lost or answered twice.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { type ChannelHarness, startChannelHarness } from '../../helpers/channel-harness.js';
import { until } from '../../helpers/until.js';
import { ROOT } from '../../helpers/cli.js';

const bwrap = await findBwrap();
let h: ChannelHarness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const ANSWER = call('CHANNEL_SEND', { to: 'inbound', text: 'on it', reply_to: true });
const ALICE = { id: 101, first_name: 'Alice', username: 'alice' };
const BOB = { id: 202, first_name: 'Bob' };

function addHelper(k: ChannelHarness, overlap: 'queue' | 'parallel' = 'parallel'): void {
  k.kernel.units.add({
    name: 'helper',
    task: 'A person wrote to you: answer them.',
    model: `replay:${k.tape}`,
    capabilities: ['channel:tg'],
    on_overlap: overlap,
    max_parallel: 10,
  });
}

describe.skipIf(!bwrap)('a Telegram channel bound to a unit', () => {
  it('two chats land in two threads, and each reply reaches its own chat as a reply', async () => {
    h = await startChannelHarness({ helper: [ANSWER, EXIT] });
    addHelper(h);
    await h.addTelegram();
    await h.kernel.channels.bind({ channel: 'tg', sender: '101', unit: 'helper' });
    await h.kernel.channels.bind({ channel: 'tg', sender: '202', unit: 'helper' });
    const a = h.fake.push(1001, 'hello from one', ALICE).message;
    const b = h.fake.push(-1002, 'hello from two', BOB).message;
    await until(() => h!.fake.sent.length === 2, 20_000, 'two replies');
    const byChat = Object.fromEntries(h.fake.sent.map((s) => [String(s.chat_id), s]));
    expect(byChat['1001']).toMatchObject({ text: 'on it', reply_parameters: { message_id: a } });
    expect(byChat['-1002']).toMatchObject({ text: 'on it', reply_parameters: { message_id: b } });
    // The kernel keeps each reply once the adapter says it was sent (a moment after the fake saw it).
    await until(() => h!.kernel.channels.info('tg').counts.outbound === 2, 10_000, 'both sends recorded');
    expect(h.kernel.threads.info('chat:tg:1001').entries).toBe(2);
    expect(h.kernel.threads.info('chat:tg:-1002').entries).toBe(2);
    const entries = await h.kernel.threads.read('chat:tg:1001', { afterSeq: 0, limit: 10 });
    expect(entries.entries.map((e) => e.text)).toEqual([
      expect.stringContaining('[telegram sender "101"] "Alice (@alice)": hello from one'),
      expect.stringMatching(/^reply by pid \d+: on it$/),
    ]);
    const runs = h.kernel.units.runs('helper', 10).filter((r) => r.outcome === 'started');
    expect(runs).toHaveLength(2);
    // Each run was told the message as data, with its sender.
    const told = runs.map((r) => h!.eventsOf(r.pid as number).find((e) => e.type === 'prompt'));
    expect(JSON.stringify(told)).toContain('channel_message');
    const info = h.kernel.channels.info('tg');
    expect(info).toMatchObject({
      state: 'running',
      account: 'fake_bot',
      counts: { inbound: 2, outbound: 2, duplicate: 0 },
    });
  }, 60_000);

  it('a message to a bound live process reaches its stdin, and its answer the chat', async () => {
    h = await startChannelHarness({ listener: [call('SYS_READ_STDIN', { timeout_s: 30 }), ANSWER, EXIT] });
    await h.addTelegram();
    const pcb = await h.spawn({ name: 'listener', capabilities: ['channel:tg'] });
    await h.kernel.channels.bind({ channel: 'tg', chat: '55', sender: '101', pid: pcb.pid });
    const id = h.fake.push(55, 'are you there?', ALICE).message;
    await until(() => h!.fake.sent.length === 1, 20_000, 'the reply');
    expect(h.fake.sent[0]).toMatchObject({ chat_id: '55', text: 'on it', reply_parameters: { message_id: id } });
    const result = h.results(pcb.pid).find((r) => r.name === 'SYS_READ_STDIN' || r.name === 'READ_STDIN');
    expect(JSON.stringify(result)).toContain('[CHANNEL::MESSAGE]');
    expect(JSON.stringify(result)).toContain('are you there?');
  }, 60_000);

  it('a SIGKILLed adapter is restarted; no message is lost or answered twice', async () => {
    h = await startChannelHarness({ helper: [ANSWER, EXIT] });
    addHelper(h);
    await h.addTelegram();
    await h.kernel.channels.bind({ channel: 'tg', sender: '101', unit: 'helper' });
    h.fake.push(7, 'first', ALICE);
    await until(() => h!.fake.sent.length === 1, 20_000, 'the first reply');
    const pid = h.kernel.channels.info('tg').pid as number;
    process.kill(-pid, 'SIGKILL');
    await until(
      () => h!.kernel.channels.info('tg').pid !== pid && h!.kernel.channels.info('tg').state === 'running',
      30_000,
      'the adapter back',
    );
    h.fake.push(7, 'second', ALICE);
    await until(() => h!.fake.sent.length === 2, 20_000, 'the second reply');
    // A while more: nothing comes twice.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(h.fake.sent).toHaveLength(2);
    expect(new Set(h.fake.sent.map((s) => s.reply_parameters?.message_id)).size).toBe(2);
    const info = h.kernel.channels.info('tg');
    expect(info.restarts).toBeGreaterThanOrEqual(1);
    expect(info.last_error).toMatch(/SIGKILL|exited/);
    expect(h.kernel.units.runs('helper', 10).filter((r) => r.outcome === 'started')).toHaveLength(2);
  }, 90_000);
});

describe.skipIf(!bwrap)('the example support unit (docs/channels.md)', () => {
  it('answers a paired sender in its own chat, as the docs walk through', async () => {
    const unit = YAML.parse(await readFile(path.join(ROOT, 'examples/units/support.yaml'), 'utf8')) as Record<
      string,
      unknown
    >;
    h = await startChannelHarness({});
    h.kernel.units.add({ ...unit, model: `replay:${path.join(ROOT, 'examples/units/support-tape.yaml')}` });
    await h.addTelegram();
    await h.kernel.channels.bind({ channel: 'tg', unit: 'support' });
    const { message } = h.fake.push(31, 'where is my order?', { id: 31, first_name: 'Dana' });
    await until(() => h!.kernel.channels.pairings('tg').length === 1, 20_000, 'a pairing code');
    await h.kernel.channels.pair(h.kernel.channels.pairings('tg')[0]!.code);
    await until(() => h!.fake.sent.length === 2, 20_000, 'the code, then the answer');
    expect(h.fake.sent[1]).toMatchObject({
      chat_id: '31',
      text: expect.stringContaining('a person will look at this today'),
      reply_parameters: { message_id: message },
    });
  }, 60_000);
});
