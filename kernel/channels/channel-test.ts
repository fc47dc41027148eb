/**
 * `aos channel test` (channels.ts's `test`): ask a channel's adapter who it is on its platform
 * (getMe, auth.test) and, with a chat, send it a test message. What the platform says is masked
 * (a secret it echoes is never shown) and cut.
 */
import { param } from '../../sys/param.js';
import type { ChannelsState, LiveChannel } from './host.js';

export async function testChannel(
  state: ChannelsState,
  live: LiveChannel,
  options: { chat?: string; text?: string },
): Promise<{ ok: true; account: string; name: string; sent: string | null }> {
  await live.adapter.ready(param.channelRequestTimeoutMs);
  const said = await live.adapter.request<{ account?: unknown; name?: unknown }>('channel.test', {});
  const me = state.host.secrets.mask({
    account: String(said?.account ?? '').slice(0, 200),
    name: String(said?.name ?? '').slice(0, 200),
  }) as { account: string; name: string };
  let sent: string | null = null;
  if (options.chat) {
    const out = await live.adapter.request<{ message_id?: unknown }>('channel.outbound', {
      ref: `test-${Date.now()}`,
      chat: options.chat,
      text: options.text ?? 'aos channel test: this channel works.',
    });
    sent = String(state.host.secrets.mask(String(out?.message_id ?? ''))).slice(0, 200);
  }
  return { ok: true, account: me.account, name: me.name, sent };
}
