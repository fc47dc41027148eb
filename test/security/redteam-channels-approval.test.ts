/**
 * Red team (issue 34): an approval answers one call, the one it showed. CHANNEL_SEND {"to":"inbound"}
 * is resolved at the gate (the chat of the last message handed over): a person approves a send to
 * chat 1; while it waits, chat 2 writes to the same process, and the kernel restarts. The same words
 * now mean chat 2: the old approval must not let them through. Found: the request was bound to the
 * call's arguments only, so approving it after the restart sent to chat 2, which nobody approved.
 * Mended in approvals.ts bindingOf (the resolved subject is part of what a request is bound to).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { parsePolicy } from '../../kernel/safety/policy.js';
import { type FakeTelegram, startFakeTelegram } from '../fakes/fake-telegram.js';
import { type ChannelHarness, startChannelHarness, TG_TOKEN } from '../helpers/channel-harness.js';
import { call, EXIT } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';

const bwrap = await findBwrap();
const open: ChannelHarness[] = [];
let fake: FakeTelegram | null = null;
let dir = '';
afterEach(async () => {
  for (const h of open.splice(0)) await h.close().catch(() => undefined);
  await fake?.close();
  fake = null;
  if (dir) await rm(dir, { recursive: true, force: true });
});

const safety = parsePolicy(
  'version: 1\nroot: {capabilities: [channel]}\nrules:\n  - ask: "channel:tg"\n',
  'policy',
).safety;
const LISTENER = [
  call('SYS_READ_STDIN', { timeout_s: 60 }),
  call('CHANNEL_SEND', { to: 'inbound', text: 'approved words' }),
  EXIT,
];

describe.skipIf(!bwrap)('an approval of CHANNEL_SEND to "inbound"', () => {
  it('does not carry over to another chat the same words point at after a restart', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-rt-approval-'));
    const storeFile = path.join(dir, 'aos.db');
    fake = await startFakeTelegram(TG_TOKEN);
    const first = await startChannelHarness({ listener: LISTENER }, { storeFile, fake, safety });
    open.push(first);
    await first.addTelegram();
    const pcb = await first.spawn({ name: 'listener', capabilities: ['channel:tg'] });
    await first.kernel.channels.bind({ channel: 'tg', chat: '1', sender: '1', pid: pcb.pid });
    await first.kernel.channels.bind({ channel: 'tg', chat: '2', sender: '2', pid: pcb.pid });
    fake.push(1, 'from chat one', { id: 1, first_name: 'One' });
    await until(() => first.kernel.safety.approvals.list(10).length === 1, 20_000, 'the send to chat 1 asked');
    const [asked] = first.kernel.safety.approvals.list(10);
    expect(asked).toMatchObject({ call: 'CHANNEL_SEND', subject: 'tg/1' });
    fake.push(2, 'from chat two', { id: 2, first_name: 'Two' });
    await until(() => first.kernel.channels.info('tg').counts.inbound === 2, 20_000, 'chat 2 handed over');
    await first.kernel.close();
    open.splice(0);
    const second = await startChannelHarness({ listener: LISTENER }, { storeFile, fake, safety });
    open.push(second);
    await until(
      () => second.kernel.safety.approvals.list(10).some((a) => a.subject === 'tg/2'),
      20_000,
      'the call asked again, about chat 2',
    );
    // The answer given to the question about chat 1 is no answer to this one.
    expect(() => second.kernel.safety.approvals.approve(asked!.id, 'socket')).toThrow();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fake.sent).toEqual([]);
    const [now] = second.kernel.safety.approvals.list(10);
    second.kernel.safety.approvals.approve(now!.id, 'socket');
    await until(() => fake!.sent.length === 1, 20_000, 'the approved send');
    expect(fake.sent[0]).toMatchObject({ chat_id: '2', text: 'approved words' });
  }, 90_000);
});
