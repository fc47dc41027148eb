/**
 * CHANNEL_SEND (issue 34): its capability is `channel:<name>/<chat>` — a bare `channel:tg` covers
 * every chat, `channel:tg/*` only chats the channel heard from — and a first message to a new
 * recipient is `<name>/new/<chat>`, which an `ask` rule can hand to a person. "inbound" answers only
 * what the process was handed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { parsePolicy } from '../../../kernel/safety/policy.js';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { type ChannelHarness, startChannelHarness } from '../../helpers/channel-harness.js';
import { until } from '../../helpers/until.js';

const bwrap = await findBwrap();
let h: ChannelHarness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const safety = (rules: string) =>
  parsePolicy(`version: 1\nroot: {capabilities: [channel]}\nrules:\n${rules}`, 'test-policy').safety;
const READ = call('SYS_READ_STDIN', { timeout_s: 30 });
const IDLE = [call('SYS_READ_STDIN', { timeout_s: 60 }), EXIT];
const errnoOf = (k: ChannelHarness, pid: number, name: string): unknown => k.results(pid).find((r) => r.name === name);

describe.skipIf(!bwrap)('CHANNEL_SEND', () => {
  it('needs a channel capability; "inbound" needs a message handed over', async () => {
    h = await startChannelHarness({
      bare: [call('CHANNEL_SEND', { to: 'inbound', text: 'hi' }), EXIT],
      nocap: [READ, call('CHANNEL_SEND', { to: 'inbound', text: 'hi' }), EXIT],
    });
    await h.addTelegram();
    const bare = await h.run({ name: 'bare', capabilities: ['channel:tg'] });
    expect(errnoOf(h, bare.pid, 'CHANNEL_SEND')).toMatchObject({
      ok: false,
      errno: 'ENOENT',
      message: expect.stringContaining('no channel message was handed'),
    });
    const nocap = await h.spawn({ name: 'nocap', capabilities: ['thread'] });
    await h.kernel.channels.bind({ channel: 'tg', sender: '5', pid: nocap.pid });
    h.fake.push(5, 'hello', { id: 5, first_name: 'Eve' });
    await h.kernel.waitExit(nocap.pid);
    expect(errnoOf(h, nocap.pid, 'CHANNEL_SEND')).toMatchObject({
      ok: false,
      errno: 'EPERM',
      message: expect.stringContaining('channel:tg/5'),
    });
    expect(h.fake.sent).toEqual([]);
  }, 60_000);

  it('channel:tg/* answers chats the channel heard from, never a new one', async () => {
    h = await startChannelHarness({
      writer: [
        READ,
        call('CHANNEL_SEND', { to: 'inbound', text: 'known' }),
        { expect: '"ok":true', reply: call('CHANNEL_SEND', { to: 'cold', text: 'cold' }) },
        { expect: 'EPERM', reply: EXIT },
      ],
    });
    await h.addTelegram();
    const pcb = await h.spawn({ name: 'writer', capabilities: ['channel:tg/*'] });
    await h.kernel.channels.bind({ channel: 'tg', chat: '5', sender: '5', pid: pcb.pid });
    await h.kernel.channels.bind({ name: 'cold', channel: 'tg', chat: '900', pid: pcb.pid });
    h.fake.push(5, 'hello', { id: 5, first_name: 'Eve' });
    const end = await h.kernel.waitExit(pcb.pid);
    expect(end.exitCode).toBe(0);
    expect(h.fake.sent.map((s) => [s.chat_id, s.text])).toEqual([['5', 'known']]);
    const sends = h.results(pcb.pid).filter((r) => r.name === 'CHANNEL_SEND');
    expect(sends[1]).toMatchObject({
      ok: false,
      errno: 'EPERM',
      message: expect.stringContaining('channel:tg/new/900'),
    });
  }, 60_000);

  it('a send approved after its binding was removed writes nothing: the target is checked where the send happens', async () => {
    const send = call('CHANNEL_SEND', { to: 'alerts', text: 'late words' });
    h = await startChannelHarness(
      { idle: IDLE, notifier: [send, { expect: 'ENOENT', reply: EXIT }] },
      { safety: safety('  - ask: "channel:*/new/**"\n') },
    );
    await h.addTelegram();
    await h.kernel.channels.bind({
      name: 'alerts',
      channel: 'tg',
      chat: '4242',
      pid: (await h.spawn({ name: 'idle', capabilities: [] })).pid,
    });
    const pcb = await h.spawn({ name: 'notifier', capabilities: ['channel:tg'] });
    await until(() => h!.kernel.safety.approvals.list(10).length === 1, 20_000, 'an approval asked');
    // The operator unbinds the chat while the person decides; the approval then comes.
    await h.kernel.channels.unbind('alerts');
    h.kernel.safety.approvals.approve(h.kernel.safety.approvals.list(10)[0]!.id, 'socket');
    await h.kernel.waitExit(pcb.pid);
    expect(errnoOf(h, pcb.pid, 'CHANNEL_SEND')).toMatchObject({
      ok: false,
      errno: 'ENOENT',
      message: expect.stringContaining('binding alerts has been removed'),
    });
    expect(h.fake.sent).toEqual([]);
  }, 60_000);

  it('an ask rule on new recipients has a person approve the first message to a chat, and only the first', async () => {
    const first = call('CHANNEL_SEND', { to: 'alerts', text: 'first words' });
    h = await startChannelHarness(
      { idle: IDLE, notifier: [first, { expect: '"ok":true', reply: first }, { expect: '"ok":true', reply: EXIT }] },
      { safety: safety('  - ask: "channel:*/new/**"\n') },
    );
    await h.addTelegram();
    // The binding exists before the process's first turn asks for it.
    const binding = await h.kernel.channels.bind({
      name: 'alerts',
      channel: 'tg',
      chat: '4242',
      pid: (await h.spawn({ name: 'idle', capabilities: [] })).pid,
    });
    expect(binding.id).toBe('alerts');
    const pcb = await h.spawn({ name: 'notifier', capabilities: ['channel:tg'] });
    await until(() => h!.kernel.safety.approvals.list(10).length === 1, 20_000, 'an approval asked');
    const [req] = h.kernel.safety.approvals.list(10);
    expect(req).toMatchObject({ call: 'CHANNEL_SEND', rule: 'ask: "channel:*/new/**"' });
    expect(h.fake.sent).toEqual([]);
    h.kernel.safety.approvals.approve(req!.id, 'socket');
    await h.kernel.waitExit(pcb.pid);
    expect(h.fake.sent.map((s) => [s.chat_id, s.text])).toEqual([
      ['4242', 'first words'],
      ['4242', 'first words'],
    ]);
    // The second message to the same chat asked no one.
    expect(h.kernel.safety.audit.list({ pid: pcb.pid, limit: 100 }).filter((r) => r.decision === 'ask')).toHaveLength(
      1,
    );
  }, 60_000);
});
