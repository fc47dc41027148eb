/**
 * Red team: approvers from more than one source (issue 52). A unit's run a binding started asks;
 * the binding's approver and the unit's approver set each get their own message and token. Neither
 * may decide with the other's token (a forwarded message, a copied button), a forged token or one
 * re-spelled as another button decides nothing, a person named by both sources gets the request once,
 * and once one of them decided, the other's press is stale: the request stays as it was decided.
 */
import { describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { parsePolicy } from '../../kernel/safety/policy.js';
import { type ChannelHarness, telegramPerTest } from '../helpers/channel-harness.js';
import { call, EXIT } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';

const bwrap = await findBwrap();
const safety = parsePolicy(
  'version: 1\nroot: {capabilities: [channel]}\nrules:\n  - ask: "channel:tg/9"\n',
  'policy',
).safety;
const start = telegramPerTest({ safety });

const asked = (h: ChannelHarness, chat: string) =>
  h.fake.sent.filter((s) => s.reply_markup && String(s.chat_id) === chat);
const button = (m: ChannelHarness['fake']['sent'][number], label: string): string =>
  m.reply_markup!.inline_keyboard.flat().find((b) => b.text === label)!.callback_data;

describe.skipIf(!bwrap)('approvers of a binding and of a unit, on one request', () => {
  it('each decides only with their own token; the second decision is stale; nobody is asked twice', async () => {
    const h = await start({ nightly: [call('CHANNEL_SEND', { to: 'b9', text: 'nightly words' }), EXIT] });
    h.kernel.units.add({ name: 'nightly', task: 'Report.', model: `replay:${h.tape}`, capabilities: ['channel:tg'] });
    await h.kernel.channels.bind({ channel: 'tg', name: 'b9', chat: '9', unit: 'nightly' });
    await h.kernel.channels.bind({ channel: 'tg', chat: '1', sender: '1', unit: 'nightly', approvers: ['1'] });
    await h.kernel.channels.approvers.add({ channel: 'tg', unit: 'nightly', approvers: ['1', '2'] });
    h.fake.push(1, 'run it', { id: 1, first_name: 'One' });
    await until(() => asked(h, '1').length > 0 && asked(h, '2').length > 0, 30_000, 'both approvers asked');
    const [request] = h.kernel.safety.approvals.list(10);
    const mine = asked(h, '1')[0]!;
    const theirs = asked(h, '2')[0]!;
    expect(button(mine, 'Approve')).not.toBe(button(theirs, 'Approve'));
    const answered = async (n: number): Promise<string | undefined> => {
      await until(() => h.fake.answered.length >= n, 30_000, `press ${n} answered`);
      return h.fake.answered[n - 1]!.text;
    };
    // 2 presses the binding's button (forwarded to them): they are not its approver.
    h.fake.press(2, 1, button(mine, 'Approve'), { id: 2, first_name: 'Two' });
    expect(await answered(1)).toBe('You are not an approver of this request: nothing was decided.');
    // A forged token, and 2's own token re-spelled as another button of a request that is not theirs.
    h.fake.press(2, 1, `a:${'A'.repeat(21)}`, { id: 2, first_name: 'Two' });
    expect(await answered(2)).toMatch(/not one of a request aos knows/);
    // 1 is named by both: asked once, by the binding (its first source); 1 may not use the set's message sent to 2.
    h.fake.press(2, 1, button(theirs, 'Approve'), { id: 1, first_name: 'One' });
    expect(await answered(3)).toBe('You are not an approver of this request: nothing was decided.');
    expect(asked(h, '1')).toHaveLength(1);
    expect(h.kernel.safety.approvals.list(10).map((a) => a.id)).toEqual([request!.id]);
    // 2 denies with their own; 1's approve after it is stale.
    h.fake.press(2, 1, button(theirs, 'Deny'), { id: 2, first_name: 'Two' });
    expect(await answered(4)).toBe('Denied.');
    h.fake.press(1, 1, button(mine, 'Approve'), { id: 1, first_name: 'One' });
    expect(await answered(5)).toMatch(/no longer pending \(denied by tg\/2/);
    const records = h.kernel.safety.audit.list({ pid: request!.pid, limit: 100 });
    expect(records.some((r) => r.decision === 'approved')).toBe(false);
    expect(records.find((r) => r.decision === 'denied')).toMatchObject({ via: 'channel:tg/2', approval: request!.id });
    await until(() => h.fake.edited.length >= 2, 30_000, "both approvers' messages edited");
    expect(h.fake.edited.map((e) => String(e.chat_id)).sort()).toEqual(['1', '2']);
    for (const e of h.fake.edited) expect(e.text).toContain('→ denied by tg/2');
  }, 120_000);
});
