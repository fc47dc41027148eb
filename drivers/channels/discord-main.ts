/**
 * The Discord adapter as a program (what its sandbox runs): the bot token from AOS_CHANNEL_TOKEN
 * (a secret the kernel puts there, never shown to an agent, never printed here), the egress
 * proxy's socket from AOS_EGRESS_SOCKET, the REST API root from AOS_DISCORD_API_ROOT (default
 * https://discord.com/api/v10, a fake's in tests); the channel protocol on stdin and stdout. Both
 * the REST calls and the Gateway's WebSocket go out through the proxy. It exits 1, saying why, when the
 * kernel's side closes, when Discord will not take the bot (a bad token, intents not enabled) or a
 * message cannot be handed over; 2 when misconfigured.
 */
import { param } from '../../sys/param.js';
import { runDiscordAdapter } from './discord-adapter.js';
import { DiscordGateway } from './discord-gateway.js';
import { DiscordRest, tunnelDispatcher } from './discord-rest.js';

const token = process.env.AOS_CHANNEL_TOKEN ?? '';
const socket = process.env.AOS_EGRESS_SOCKET ?? '';
const apiRoot = process.env.AOS_DISCORD_API_ROOT || 'https://discord.com/api/v10';
const stop = (code: number, why: string): never => {
  // Whatever the message, the token is not in it.
  process.stderr.write(`discord adapter: ${token ? why.split(token).join('[secret]') : why}\n`);
  process.exit(code);
};
if (!token || !socket) stop(2, 'AOS_CHANNEL_TOKEN and AOS_EGRESS_SOCKET must be set');
try {
  if (!/^https?:$/.test(new URL(apiRoot).protocol)) stop(2, `AOS_DISCORD_API_ROOT must be http(s): ${apiRoot}`);
} catch {
  stop(2, `AOS_DISCORD_API_ROOT is not a URL: ${apiRoot}`);
}
const dispatcher = tunnelDispatcher(socket);
const rest = new DiscordRest({
  apiRoot,
  token,
  dispatcher,
  timeoutMs: param.discordCallTimeoutMs,
  retryWaitMaxMs: param.discordRetryWaitMaxMs,
});
const running = runDiscordAdapter(
  rest,
  (handlers) => new DiscordGateway({ rest, token, dispatcher, queueMax: param.discordQueueMax, ...handlers }),
  { input: process.stdin, output: process.stdout },
  { maxInboundChars: param.channelInboundMaxChars, onFatal: (why) => stop(1, why) },
);
void running.done.then(() => process.exit(0));
