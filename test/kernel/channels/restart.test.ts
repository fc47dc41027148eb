/**
 * Channels outlive a kernel restart (issue 34): the channel, its bindings and paired senders are
 * in the store; the adapter starts again with the kernel; a message sent while the kernel was down
 * is delivered once, and none before it is delivered again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { type ChannelHarness, startChannelHarness, TG_TOKEN } from '../../helpers/channel-harness.js';
import { type FakeTelegram, startFakeTelegram } from '../../fakes/fake-telegram.js';
import { until } from '../../helpers/until.js';

const bwrap = await findBwrap();
const open: ChannelHarness[] = [];
const dirs: string[] = [];
let fake: FakeTelegram | null = null;
afterEach(async () => {
  for (const h of open.splice(0)) await h.close().catch(() => undefined);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  await fake?.close();
  fake = null;
});

const ANSWER = call('CHANNEL_SEND', { to: 'inbound', text: 'on it', reply_to: true });

describe.skipIf(!bwrap)('channels across a kernel restart', () => {
  it('the adapter comes back with its bindings and paired senders; nothing is lost or answered twice', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-ch-restart-'));
    dirs.push(dir);
    const storeFile = path.join(dir, 'kernel.db');
    fake = await startFakeTelegram(TG_TOKEN);
    const first = await startChannelHarness({ helper: [ANSWER, EXIT] }, { storeFile, fake });
    first.kernel.units.add({
      name: 'helper',
      task: 'Answer.',
      model: `replay:${first.tape}`,
      capabilities: ['channel:tg'],
    });
    await first.addTelegram();
    await first.kernel.channels.bind({ channel: 'tg', unit: 'helper' });
    fake.push(3, 'knock knock', { id: 33, first_name: 'Zed' });
    await until(() => first.kernel.channels.pairings('tg').length === 1, 20_000, 'a pairing');
    await first.kernel.channels.pair(first.kernel.channels.pairings('tg')[0]!.code);
    await until(() => fake!.sent.length === 2, 20_000, 'the code, then the answer');
    await first.kernel.close();
    // While no kernel runs, Zed writes again.
    const later = fake.push(3, 'are you still there?', { id: 33, first_name: 'Zed' }).message;
    const second = await startChannelHarness({ helper: [ANSWER, EXIT] }, { storeFile, fake });
    open.push(second);
    await until(() => second.kernel.channels.info('tg').state === 'running', 20_000, 'the adapter back');
    expect(second.kernel.channels.senders('tg')).toEqual([expect.objectContaining({ sender: '33', name: 'Zed' })]);
    expect(second.kernel.channels.bindings('tg')).toHaveLength(1);
    await until(() => fake!.sent.length === 3, 20_000, 'the answer to the later message');
    expect(fake.sent[2]).toMatchObject({ chat_id: '3', reply_parameters: { message_id: later } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(fake.sent).toHaveLength(3);
    const repliedTo = fake.sent.flatMap((s) => (s.reply_parameters ? [s.reply_parameters.message_id] : []));
    expect(new Set(repliedTo).size).toBe(repliedTo.length);
    await rm(first.dir, { recursive: true, force: true });
  }, 90_000);
});
