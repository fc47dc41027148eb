/**
 * What the Discord adapter's Gateway session (discord-gateway.ts) knows of Discord's numbers: the
 * intents it asks for, the close codes after which it must not go on as it is, and which URLs it
 * will dial.
 */

/** GUILD_MESSAGES | DIRECT_MESSAGES | MESSAGE_CONTENT. */
export const DISCORD_INTENTS = (1 << 9) | (1 << 12) | (1 << 15);

/** Closes after which Discord will not take the bot as it is: the adapter ends, saying why. */
export const FINAL_CLOSES: Record<number, string> = {
  4004: 'Discord refused the bot token (close 4004): check the secret the channel names',
  4010: 'Discord says the shard is invalid (close 4010)',
  4011: 'Discord says this bot needs sharding (close 4011): a bot in more than 2,500 servers is not supported',
  4012: 'Discord refused the gateway version (close 4012)',
  4013: 'Discord refused the intents (close 4013)',
  4014: 'Discord refused the intents (close 4014): turn on MESSAGE CONTENT INTENT under Bot → Privileged Gateway Intents in the developer portal',
};
/** Closes after which the session cannot be resumed: identify anew. */
export const SESSION_GONE = new Set([4007, 4009]);

/** A ws(s) URL as given, or nothing: a URL that does not parse is never dialled. */
export function isWs(url: unknown): url is string {
  if (typeof url !== 'string' || url.length > 2048) return false;
  try {
    return ['ws:', 'wss:'].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}
