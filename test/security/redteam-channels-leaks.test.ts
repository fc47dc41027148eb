/**
 * Red team (issue 34): the bot token never shown — not to an agent, not in the store (events,
 * audit, channel_messages, thread entries), not in ChannelInfo (`aos channel ls`), not in an error
 * — in any form leak-forms.ts knows. Held: ChannelInfo names the secret, never its value; a policy
 * refusal names the secret; a platform error carrying the token reaches the agent, the audit and
 * the counts masked; a send's answer carrying it reaches the agent masked. Found and fixed — the kernel
 * masks what the adapter says only on its error paths (supervisor.ts mask), never its data:
 *  - channel.hello's `account` is kept and shown as given: an adapter that says its token there
 *    puts it in the channels table and `aos channel ls`;
 *  - a message whose text holds the token (a person pasting it, an adapter echoing it) goes as is
 *    into channel_messages, the conversation's thread and the run's first prompt;
 *  - a send's `message_id` answer is kept unmasked in channel_messages (the agent's copy is masked).
 */
import { describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { ChannelError } from '../../drivers/channels/protocol.js';
import type { LiveChannel } from '../../kernel/channels/host.js';
import { type ChannelHarness, modelRequests, telegramPerTest } from '../helpers/channel-harness.js';
import { call, EXIT, type Harness } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';
import { leakForms } from './leak-forms.js';

const bwrap = await findBwrap();
const TOKEN = '9911:Xq7ZpL2mRtW8vKcN4bYh';
const FORMS = leakForms(TOKEN);
const start = telegramPerTest({ token: TOKEN });

const live = (k: Harness): LiveChannel => k.kernel.channels.state.channels.get('tg') as LiveChannel;
/** The forms of the token found in `text` (empty: none). */
const leaks = (text: string): string[] => FORMS.filter((f) => text.includes(f)).slice(0, 3);

/** Every surface a person or an agent reads: ChannelInfo, the audit, the events, the channel's rows, its threads. */
async function surfaces(k: Harness): Promise<Record<string, string>> {
  const threads: string[] = [];
  for (const key of ['chat:tg:5', 'chat:tg:55']) {
    try {
      threads.push(JSON.stringify(await k.kernel.threads.read(key, { afterSeq: 0, limit: 100 })));
    } catch {
      // no such thread
    }
  }
  return {
    info: JSON.stringify(k.kernel.channels.list()),
    audit: JSON.stringify(k.kernel.store.audit.list({ limit: 10_000 })),
    events: JSON.stringify(k.events),
    messages: JSON.stringify(await k.kernel.channels.messages('tg', { limit: 1_000 })),
    threads: threads.join('\n'),
  };
}

/**
 * A listener bound to chat 55 answers the message there with CHANNEL_SEND, whose channel.outbound
 * the adapter's conversation answers with `outbound()`: the kernel, and the send's result.
 */
async function sendAnsweredWith(
  outbound: () => Promise<unknown>,
): Promise<{ k: ChannelHarness; send: ReturnType<Harness['results']>[number] | undefined }> {
  const k = await start({
    listener: [
      call('SYS_READ_STDIN', { timeout_s: 20 }),
      call('CHANNEL_SEND', { to: 'inbound', text: 'answer' }),
      EXIT,
    ],
  });
  const pcb = await k.spawn({ name: 'listener', capabilities: ['channel:tg'] });
  await k.kernel.channels.bind({ channel: 'tg', chat: '55', sender: '101', pid: pcb.pid });
  const running = (
    live(k).adapter as unknown as { running: { rpc: { request: (method: string) => Promise<unknown> } } }
  ).running;
  const request = running.rpc.request.bind(running.rpc);
  running.rpc.request = (method: string, ...rest: unknown[]) =>
    method === 'channel.outbound' ? outbound() : (request as (...a: unknown[]) => Promise<unknown>)(method, ...rest);
  k.fake.push(55, 'are you there?', { id: 101, first_name: 'Alice' });
  await k.kernel.waitExit(pcb.pid);
  return { k, send: k.results(pcb.pid).find((r) => r.name === 'CHANNEL_SEND') };
}

describe.skipIf(!bwrap)('red team: the bot token', () => {
  it('is in no ChannelInfo, no refusal and no error of adding a channel it may not go to', async () => {
    const k = await start({});
    const errors: string[] = [];
    for (const spec of [
      { name: 'other', kind: 'telegram' as const, token_secret: 'TG_TOKEN', api_root: k.fake.apiRoot },
      { name: 'other2', kind: 'telegram' as const, token_secret: 'NOPE', api_root: k.fake.apiRoot },
      { name: 'tg', kind: 'telegram' as const, token_secret: 'TG_TOKEN', api_root: k.fake.apiRoot },
      { name: 'bad', kind: 'telegram' as const, token_secret: 'TG_TOKEN', api_root: `http://${TOKEN}@127.0.0.1:1` },
    ]) {
      errors.push(
        await k.kernel.channels.add(spec).then(
          () => 'added',
          (e: unknown) => (e as Error).message,
        ),
      );
    }
    expect(errors.every((e) => e !== 'added')).toBe(true);
    expect(JSON.stringify(k.kernel.channels.info('tg'))).toContain('"token_secret":"TG_TOKEN"');
    const all = { errors: errors.join('\n'), ...(await surfaces(k)) };
    for (const [where, text] of Object.entries(all)) expect(leaks(text), where).toEqual([]);
  }, 30_000);

  it('a platform error carrying the token reaches the agent, the audit and the counts masked', async () => {
    // The adapter's conversation answers every send with an error naming the token (as a careless SDK might).
    const { k, send } = await sendAnsweredWith(() =>
      Promise.reject(
        new ChannelError(401, `Unauthorized: bot${TOKEN} / ${Buffer.from(TOKEN).toString('base64')}`, false),
      ),
    );
    expect(send?.ok).toBe(false);
    expect(send?.message).toMatch(/Unauthorized/);
    for (const [where, text] of Object.entries({ result: JSON.stringify(send), ...(await surfaces(k)) }))
      expect(leaks(text), where).toEqual([]);
  }, 30_000);

  // Was broken (fixed): launch.ts hello handler keeps `who` as given (no host.secrets.mask).
  it('an adapter saying its token as its account does not put it in ChannelInfo or the channels table', async () => {
    const k = await start({});
    const config = (live(k).adapter as unknown as { config: { handlers: { hello(account: string): void } } }).config;
    config.handlers.hello(TOKEN);
    const rows = await k.kernel.store.channels.load();
    expect(leaks(JSON.stringify(k.kernel.channels.list())), 'aos channel ls').toEqual([]);
    expect(leaks(JSON.stringify(rows.channels)), 'the channels table').toEqual([]);
  }, 30_000);

  // Was broken (fixed): inbound.ts takes text, names and ids as given; nothing masks them before the store and the prompt.
  it("a message whose text holds the token leaves no form of it in the store or the run's prompt", async () => {
    const k = await start({ helper: [EXIT] });
    const requests = await modelRequests(k);
    k.kernel.units.add({ name: 'helper', task: 'Answer.', model: `replay:${k.tape}` });
    await k.kernel.channels.bind({ channel: 'tg', sender: '101', unit: 'helper' });
    k.fake.push(5, `is this the right token? ${TOKEN}`, { id: 101, first_name: 'Alice' });
    await until(() => requests.length > 0, 20_000, 'the run asked its model');
    const all = { prompt: JSON.stringify(requests.map((r) => r.messages)), ...(await surfaces(k)) };
    const found = Object.entries(all)
      .filter(([, text]) => leaks(text).length > 0)
      .map(([where]) => where);
    expect(found).toEqual([]);
  }, 30_000);

  // Was broken (fixed): send.ts record() stores the adapter's message_id as given.
  it('a send answered with the token as its message id: masked for the agent, and not kept in channel_messages', async () => {
    const { k, send } = await sendAnsweredWith(() => Promise.resolve({ message_id: TOKEN }));
    expect(send?.ok).toBe(true);
    expect(leaks(JSON.stringify(send)), "the agent's result").toEqual([]);
    expect(leaks((await surfaces(k)).messages ?? ''), 'channel_messages').toEqual([]);
  }, 30_000);
});
