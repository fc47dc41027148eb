/** CHANNEL_SEND's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts: a Telegram channel against the fake Bot API. */
import { expect } from 'vitest';
import { startFakeTelegram } from '../../fakes/fake-telegram.js';
import { TG_TOKEN } from '../../helpers/channel-harness.js';
import type { Harness } from '../../helpers/kernel-harness.js';
import { ALL_CAPS, call, EXIT } from '../../helpers/kernel-harness.js';
import { until } from '../../helpers/until.js';
import { ok, type SyscallCases } from './shared.js';

const fake = await startFakeTelegram(TG_TOKEN);

/** Channel `tg`, its adapter running, and a binding `ops` to chat 77 (a unit's: the root is not spawned yet). */
async function channel(h: Harness): Promise<void> {
  h.kernel.units.add({ name: 'noop', task: 'x', model: `replay:${h.tape}` });
  await h.kernel.channels.add({ name: 'tg', kind: 'telegram', token_secret: 'TG_TOKEN', api_root: fake.apiRoot });
  await until(() => h.kernel.channels.info('tg').state === 'running', 20_000, 'the adapter running');
  await h.kernel.channels.bind({ name: 'ops', channel: 'tg', chat: '77', unit: 'noop' });
}

export default {
  happy: {
    root: [call('CHANNEL_SEND', { to: 'ops', text: 'deploy done' }), { expect: ok('CHANNEL_SEND'), reply: EXIT }],
    caps: [...ALL_CAPS, 'channel:tg'],
    setup: channel,
    verify: ({ subject }) => {
      expect(subject.value).toEqual({ channel: 'tg', chat: '77', message_id: expect.stringMatching(/^\d+$/) });
      expect(fake.sent.at(-1)).toMatchObject({ chat_id: '77', text: 'deploy done' });
    },
  },
  einval: {
    calls: [
      { args: { to: 'ops' }, field: 'text', kind: 'missing' },
      { args: { to: 'ops', text: 5 }, field: 'text', kind: 'type' },
      { args: { to: '', text: 'x' }, field: 'to', kind: 'range' },
      { args: { to: 'ops', text: 'x', reply_to: 5 }, field: 'reply_to', kind: 'type' },
      { args: { to: 'ops', text: 'x', chat: '77' }, field: 'chat', kind: 'unknown' },
    ],
    nothingHappened: ({ h }) => {
      expect(h.kernel.channels.list()).toEqual([]);
    },
  },
  eperm: {
    root: [call('CHANNEL_SEND', { to: 'ops', text: 'x' }), EXIT],
    caps: [...ALL_CAPS, 'channel:slack'],
    setup: channel,
    needs: 'channel:tg/new/77',
    verify: () => {
      expect(fake.sent.filter((s) => s.text === 'x')).toEqual([]);
    },
  },
} satisfies SyscallCases;
