/**
 * A burst (issue 34): 200 messages from ten chats to one bound unit. Every message is taken and
 * kept in its chat's thread; the runs stay within the unit's caps (runs a minute, max_parallel);
 * no message is answered twice and every answer goes to the chat its message came from.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { param } from '../../../sys/param.js';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { type ChannelHarness, startChannelHarness } from '../../helpers/channel-harness.js';
import { until } from '../../helpers/until.js';

const bwrap = await findBwrap();
let h: ChannelHarness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe.skipIf(!bwrap)('a burst of 200 messages', () => {
  it('stays within the unit run caps, with no duplicate reply and each reply in its own chat', async () => {
    h = await startChannelHarness({
      helper: [call('CHANNEL_SEND', { to: 'inbound', text: 'ack', reply_to: true }), EXIT],
    });
    h.kernel.units.add({
      name: 'helper',
      task: 'Answer.',
      model: `replay:${h.tape}`,
      capabilities: ['channel:tg'],
      on_overlap: 'parallel',
      max_parallel: 4,
    });
    await h.addTelegram();
    for (let sender = 1; sender <= 10; sender++)
      await h.kernel.channels.bind({ channel: 'tg', sender: String(sender), unit: 'helper' });
    const chatOf = new Map<number, number>();
    for (let i = 0; i < 200; i++) {
      const chat = (i % 10) + 1;
      const { message } = h.fake.push(chat, `message ${i}`, { id: chat, first_name: `user${chat}` });
      chatOf.set(message, chat);
    }
    await until(() => h!.kernel.channels.info('tg').counts.inbound === 200, 60_000, 'all 200 taken');
    await until(
      () => h!.kernel.list().every((p) => p.state === 'exited' || p.state === 'killed'),
      30_000,
      'the runs done',
    );
    const started = h.kernel.units.runs('helper', 1_000).filter((r) => r.outcome === 'started');
    expect(started.length).toBeGreaterThanOrEqual(1);
    expect(started.length).toBeLessThanOrEqual(param.unitMaxRunsPerMinute);
    await until(() => h!.kernel.channels.info('tg').counts.outbound === h!.fake.sent.length, 10_000, 'sends recorded');
    const repliedTo = h.fake.sent.map((s) => s.reply_parameters?.message_id as number);
    expect(new Set(repliedTo).size).toBe(repliedTo.length);
    for (const s of h.fake.sent) expect(Number(s.chat_id)).toBe(chatOf.get(s.reply_parameters?.message_id as number));
    // Every message is in its chat's thread, answered or not.
    let entries = 0;
    for (let chat = 1; chat <= 10; chat++) entries += h.kernel.threads.info(`chat:tg:${chat}`).entries;
    expect(entries).toBe(200 + h.fake.sent.length);
    expect(h.kernel.channels.info('tg').counts.duplicate).toBe(0);
  }, 120_000);
});
