/**
 * Red team (issue 34): senders nobody let in (kernel/channels/pairing.ts), driven through a real
 * kernel's channels as the supervisor's handler drives them. Held: an unknown sender's flood
 * starts nothing, reaches no process, holds at most channelHeldMax messages and gets one code and
 * one audit record; codes are unguessable in form, single-use, expire, and pair only the sender
 * of their own channel; two pairings of one code at once let in one sender. Found and fixed:
 *  - "one audit record per unknown sender" holds only while pairings have room: a sender turned
 *    away because channelMaxPendingPairings wait (audited) is audited again when it later gets a
 *    code (the code path calls host.audit without looking at live.audited).
 */
import { describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { handleInbound } from '../../kernel/channels/inbound.js';
import type { LiveChannel } from '../../kernel/channels/host.js';
import { param } from '../../sys/param.js';
import { telegramPerTest } from '../helpers/channel-harness.js';
import { call, EXIT, type Harness } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';

const bwrap = await findBwrap();
const start = telegramPerTest({ unknown: 'pair' });

const live = (k: Harness, name = 'tg'): LiveChannel => k.kernel.channels.state.channels.get(name) as LiveChannel;
const inject = (k: Harness, raw: unknown, name = 'tg'): Promise<string> =>
  handleInbound(k.kernel.channels.state, live(k, name), raw);
let seq = 5_000;
const msg = (sender: string, text = 'let me in', chat = '9'): Record<string, unknown> => ({
  account: 'fake_bot',
  chat,
  thread: null,
  sender: { id: sender, name: `user ${sender}` },
  message_id: String(seq++),
  text,
  attachments: [],
});
const denials = (k: Harness, subject: string): number =>
  k.kernel.store.audit
    .list({ limit: 10_000 })
    .filter((r) => r.call === 'CHANNEL' && r.subject === subject && r.decision === 'deny').length;
const started = (k: Harness, unit: string): number =>
  k.kernel.units.runs(unit, 1_000).filter((r) => r.outcome === 'started').length;

describe.skipIf(!bwrap)('red team: unknown senders and pairing codes', () => {
  it('a flood from one unknown sender starts nothing, reaches no process, holds at most channelHeldMax, one code, one audit record', async () => {
    const k = await start({ helper: [EXIT], listener: [call('SYS_READ_STDIN', { timeout_s: 5 }), EXIT] });
    k.kernel.units.add({ name: 'helper', task: 'Answer.', model: `replay:${k.tape}` });
    const pcb = await k.spawn({ name: 'listener' });
    // Every binding a person could make without naming this sender.
    await k.kernel.channels.bind({ channel: 'tg', unit: 'helper' });
    await k.kernel.channels.bind({ channel: 'tg', chat: '9', pid: pcb.pid });
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => inject(k, msg('666', `spam ${i}`))));
    expect(new Set(answers)).toEqual(new Set(['dropped']));
    expect(started(k, 'helper')).toBe(0);
    expect(k.events.filter((e) => e.type === 'message' && e.pid === pcb.pid)).toEqual([]);
    const pairings = k.kernel.channels.pairings('tg');
    expect(pairings).toHaveLength(1);
    expect(pairings[0]!.held).toBe(param.channelHeldMax);
    expect(pairings[0]!.code).toMatch(/^[A-HJKMNP-Z2-9]{8}$/);
    expect(denials(k, 'tg/666')).toBe(1);
    await until(() => k.fake.sent.length >= 1, 10_000, 'the code sent');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(k.fake.sent.filter((s) => String(s.text).includes('pairing code'))).toHaveLength(1);
    // Many senders: the pairings waiting are capped.
    await Promise.all(Array.from({ length: param.channelMaxPendingPairings + 20 }, (_, i) => inject(k, msg(`9${i}`))));
    expect(k.kernel.channels.pairings('tg')).toHaveLength(param.channelMaxPendingPairings);
  }, 60_000);

  it('a channel set to drop answers nothing, holds nothing, and audits each unknown sender once however it writes', async () => {
    const k = await start({}, { unknown: 'drop' });
    for (let i = 0; i < 30; i++) await inject(k, msg('666', `m${i}`, String(i % 3)));
    expect(k.kernel.channels.pairings('tg')).toEqual([]);
    expect(denials(k, 'tg/666')).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(k.fake.sent).toEqual([]);
  }, 30_000);

  it('a code is single-use and case/space tolerant only; wrong, reused, expired codes pair nobody', async () => {
    const k = await start({ helper: [EXIT] });
    k.kernel.units.add({ name: 'helper', task: 'Answer.', model: `replay:${k.tape}` });
    await k.kernel.channels.bind({ channel: 'tg', unit: 'helper' });
    await inject(k, msg('666'));
    await inject(k, msg('777'));
    const [a, b] = k.kernel.channels.pairings('tg');
    for (const wrong of [
      '',
      '*',
      'AAAAAAAA',
      `${a!.code}X`,
      a!.code.slice(0, 7),
      `${a!.code.slice(0, 7)}%`,
      '.*',
      '__proto__',
      'constructor',
    ]) {
      await expect(k.kernel.channels.pair(wrong)).rejects.toThrow(/no pairing/);
    }
    // Two operators pairing the same code at once: one sender let in, once.
    const both = await Promise.allSettled([
      k.kernel.channels.pair(` ${a!.code.toLowerCase()} `),
      k.kernel.channels.pair(a!.code),
    ]);
    expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    await expect(k.kernel.channels.pair(a!.code)).rejects.toThrow(/no pairing/);
    expect(k.kernel.channels.senders('tg').map((s) => s.sender)).toEqual(['666']);
    // Expired: the code is gone with its held messages.
    const pending = k.kernel.channels.state.pairings.get(b!.code)!;
    pending.expires_at = Date.now() - 1;
    await expect(k.kernel.channels.pair(b!.code)).rejects.toThrow(/no pairing/);
    expect(k.kernel.channels.pairings('tg')).toEqual([]);
    expect(k.kernel.channels.senders('tg').map((s) => s.sender)).toEqual(['666']);
  }, 30_000);

  it('a code from one channel lets its sender in on that channel only', async () => {
    const k = await start({ helper: [EXIT] }, { channels: ['tg', 'ops'] });
    k.kernel.units.add({ name: 'helper', task: 'Answer.', model: `replay:${k.tape}` });
    await k.kernel.channels.bind({ channel: 'ops', unit: 'helper' });
    await inject(k, msg('666'), 'tg');
    const [code] = k.kernel.channels.pairings('tg');
    await k.kernel.channels.pair(code!.code);
    // The same sender id on the other channel is still a stranger there.
    expect(await inject(k, msg('666', 'now on ops'), 'ops')).toBe('dropped');
    expect(started(k, 'helper')).toBe(0);
    expect(k.kernel.channels.pairings('ops')).toEqual([expect.objectContaining({ sender: '666' })]);
  }, 30_000);

  // Was broken (fixed): pairing.ts unknownSender audits a new pairing unconditionally (host.audit, not auditOnce).
  it('an unknown sender turned away while pairings are full, then given a code, leaves one audit record, not two', async () => {
    const k = await start({});
    for (let i = 0; i < param.channelMaxPendingPairings; i++) await inject(k, msg(`1${i}`));
    expect(k.kernel.channels.pairings('tg')).toHaveLength(param.channelMaxPendingPairings);
    expect(await inject(k, msg('666', 'first try'))).toBe('dropped');
    expect(denials(k, 'tg/666')).toBe(1);
    // A person lets one waiting sender in: room for one more pairing.
    await k.kernel.channels.pair(k.kernel.channels.pairings('tg')[0]!.code);
    expect(await inject(k, msg('666', 'second try'))).toBe('dropped');
    expect(k.kernel.channels.pairings('tg').some((p) => p.sender === '666')).toBe(true);
    expect(denials(k, 'tg/666')).toBe(1);
  }, 60_000);
});
