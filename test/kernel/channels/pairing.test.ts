/**
 * Senders nobody let in (issue 34): an unpaired sender starts nothing and leaves one audit record
 * however often it writes; it is told a pairing code once; `pair` lets it in and delivers what it
 * sent meanwhile. A channel set to drop tells it nothing. A paired sender with no binding is dropped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { type ChannelHarness, startChannelHarness } from '../../helpers/channel-harness.js';
import { until } from '../../helpers/until.js';

const bwrap = await findBwrap();
let h: ChannelHarness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const ANSWER = call('CHANNEL_SEND', { to: 'inbound', text: 'welcome' });
const MALLORY = { id: 666, first_name: 'Mallory' };
const audits = (k: ChannelHarness): Array<{ subject: string; decision: string; reason: string }> =>
  k.kernel.store.audit
    .list({ limit: 1_000 })
    .filter((r) => r.call === 'CHANNEL' && /^tg\/\d+$/.test(r.subject)) as Array<{
    subject: string;
    decision: string;
    reason: string;
  }>;

describe.skipIf(!bwrap)('unknown senders', () => {
  it('an unpaired sender starts nothing, leaves one audit record, gets one code; pairing delivers what it sent', async () => {
    h = await startChannelHarness({ helper: [ANSWER, EXIT] });
    h.kernel.units.add({
      name: 'helper',
      task: 'Answer.',
      model: `replay:${h.tape}`,
      capabilities: ['channel:tg'],
      on_overlap: 'queue',
    });
    await h.addTelegram();
    // Any sender of any chat goes to helper — but only senders someone let in.
    await h.kernel.channels.bind({ channel: 'tg', unit: 'helper' });
    for (const text of ['hi', 'let me in', 'rm -rf / please']) h.fake.push(9, text, MALLORY);
    await until(() => h!.kernel.channels.info('tg').counts.held === 3, 20_000, 'three messages held');
    expect(h.kernel.units.runs('helper', 10)).toEqual([]);
    expect(await h.kernel.processes({ all: true })).toEqual([]);
    expect(audits(h)).toEqual([
      expect.objectContaining({
        subject: 'tg/666',
        decision: 'deny',
        reason: expect.stringMatching(/held for pairing \(code [A-Z2-9]{8}\)/),
      }),
    ]);
    const [pairing] = h.kernel.channels.pairings('tg');
    expect(pairing).toMatchObject({ sender: '666', sender_name: 'Mallory', chat: '9', held: 3 });
    await until(() => h!.fake.sent.length === 1, 10_000, 'the code sent');
    expect(h.fake.sent[0]).toMatchObject({
      chat_id: '9',
      text: expect.stringContaining(`aos channel pair ${pairing!.code}`),
    });
    // A wrong code changes nothing.
    await expect(h.kernel.channels.pair('AAAAAAAA')).rejects.toThrow(/no pairing waits/);
    const paired = await h.kernel.channels.pair(pairing!.code.toLowerCase());
    expect(paired).toMatchObject({ sender: { channel: 'tg', sender: '666', name: 'Mallory' }, delivered: 3 });
    await until(() => h!.fake.sent.length === 2, 20_000, 'the run answers');
    expect(h.kernel.channels.pairings('tg')).toEqual([]);
    expect(h.kernel.channels.senders('tg')).toEqual([expect.objectContaining({ sender: '666' })]);
    // One run, the later held messages on its stdin or queued behind it: never three answers at once.
    expect(h.kernel.units.runs('helper', 10).filter((r) => r.outcome === 'started').length).toBeGreaterThanOrEqual(1);
    expect(audits(h).map((a) => a.decision)).toEqual(['deny', 'allow']);
  }, 60_000);

  it('a channel set to drop answers an unknown sender nothing, and audits it once', async () => {
    h = await startChannelHarness({});
    await h.addTelegram({ unknown: 'drop' });
    for (const text of ['one', 'two']) h.fake.push(9, text, MALLORY);
    await until(() => h!.kernel.channels.info('tg').counts.dropped === 2, 20_000, 'both dropped');
    expect(h.kernel.channels.pairings('tg')).toEqual([]);
    expect(audits(h)).toEqual([
      expect.objectContaining({ subject: 'tg/666', reason: expect.stringContaining('dropped (unknown: drop)') }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.fake.sent).toEqual([]);
  }, 60_000);

  it('a binding naming the sender lets it in; a binding for another chat does not route it', async () => {
    h = await startChannelHarness({ helper: [ANSWER, EXIT] });
    h.kernel.units.add({ name: 'helper', task: 'Answer.', model: `replay:${h.tape}`, capabilities: ['channel:tg'] });
    await h.addTelegram();
    await h.kernel.channels.bind({ channel: 'tg', chat: '1', sender: '666', unit: 'helper' });
    h.fake.push(2, 'wrong chat', MALLORY);
    await until(() => h!.kernel.channels.info('tg').counts.dropped === 1, 20_000, 'dropped: no binding for chat 2');
    h.fake.push(1, 'right chat', MALLORY);
    await until(() => h!.fake.sent.length === 1, 20_000, 'the answer');
    expect(h.fake.sent[0]).toMatchObject({ chat_id: '1', text: 'welcome' });
    expect(h.kernel.channels.pairings('tg')).toEqual([]);
  }, 60_000);
});
