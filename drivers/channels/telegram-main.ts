/**
 * The Telegram adapter as a program (what its sandbox runs): the bot token from AOS_CHANNEL_TOKEN
 * (a secret the kernel puts there, never shown to an agent), the egress proxy's socket from
 * AOS_EGRESS_SOCKET, the Bot API root from AOS_TELEGRAM_API_ROOT (a fake's in tests); the channel
 * protocol on stdin and stdout. It exits when the kernel's side closes or a message cannot be
 * handed over — never confirming what it did not hand over.
 */
import { Bot } from 'grammy';
import { tunnelAgent } from './tunnel-agent.js';
import { runTelegramAdapter } from './telegram-adapter.js';

const token = process.env.AOS_CHANNEL_TOKEN ?? '';
const socket = process.env.AOS_EGRESS_SOCKET ?? '';
const apiRoot = process.env.AOS_TELEGRAM_API_ROOT ?? 'https://api.telegram.org';
if (!token || !socket) {
  process.stderr.write('telegram adapter: AOS_CHANNEL_TOKEN and AOS_EGRESS_SOCKET must be set\n');
  process.exit(2);
}
const protocol = new URL(apiRoot).protocol === 'http:' ? 'http:' : 'https:';
const bot = new Bot(token, {
  client: { apiRoot, baseFetchConfig: { agent: tunnelAgent(socket, protocol) }, sensitiveLogs: false },
});
const fatal = (why: string): never => {
  process.stderr.write(`telegram adapter: ${why}\n`);
  process.exit(1);
};
const running = runTelegramAdapter(bot, { input: process.stdin, output: process.stdout }, { onFatal: fatal });
running.done.then(
  () => process.exit(0),
  (error: unknown) => fatal(error instanceof Error ? error.message : String(error)),
);
