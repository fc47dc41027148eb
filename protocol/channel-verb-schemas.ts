/** The --json of `aos channel …` (the channels' method results, channel-results.ts), as zod schemas published by `aos schema`. */
import { z } from 'zod';
import type { ShapeOf } from './shape-check.js';
import { CHANNEL_KINDS, CHANNEL_RESULTS, CHANNEL_STATES, UNKNOWN_SENDERS } from './channel-results.js';

const iso = z.string().describe('ISO time');
const platformText = (what: string): z.ZodString =>
  z.string().describe(`${what}, as the platform gave it (someone else's text: escape it before printing)`);

const messageFields = {
  at: iso,
  direction: z.enum(['in', 'out']),
  chat: platformText('the chat id'),
  sender: platformText('the sender id').nullable().describe('null for a message out'),
  sender_name: platformText('the sender name').nullable().describe('null for a message out'),
  text: platformText('the text'),
  status: z.string().describe('in: accepted, duplicate, dropped, held; out: sent, failed, uncertain'),
};

const message = z.object(messageFields);

const entry = z.object({
  ...messageFields,
  thread: z
    .string()
    .nullable()
    .describe('the thread the conversation is kept in; null when it went to none (dropped, held)'),
  message_id: z.string().nullable().describe("the platform's id of the message"),
  pid: z.number().int().nonnegative().nullable().describe('the process it went to, or that sent it'),
});

const info = z.object({
  name: z.string().describe("the channel's name in aos: capabilities channel:<name>, aos channel <verb> <name>"),
  kind: z.enum(CHANNEL_KINDS),
  token_secret: z.string().describe('the policy secret holding the bot token'),
  signing_secret: z.string().nullable().describe("Slack: the policy secret holding the app's signing secret"),
  api_root: z.string().describe("the platform's API root ('' for a custom adapter)"),
  egress: z.array(z.string()).describe('the host:port the adapter may reach, and nothing else'),
  unknown: z.enum(UNKNOWN_SENDERS).describe('what a sender nobody paired or bound gets: a pairing code, or nothing'),
  state: z.enum(CHANNEL_STATES),
  account: platformText('the account the adapter is (the bot, the Slack team)')
    .nullable()
    .describe('null until the adapter said hello'),
  pid: z.number().int().positive().nullable().describe("the adapter's sandbox while it runs"),
  restarts: z.number().int().nonnegative(),
  last_error: platformText('why it last failed').nullable(),
  last_message: message.nullable(),
  counts: z.object({
    inbound: z.number().int().nonnegative(),
    duplicate: z.number().int().nonnegative(),
    dropped: z.number().int().nonnegative(),
    held: z.number().int().nonnegative(),
    outbound: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
  }),
  events_url: z
    .string()
    .nullable()
    .describe('Slack: the Events API URL to give Slack; null for Telegram or while no gateway listens'),
  bindings: z.number().int().nonnegative(),
  pending_pairings: z.number().int().nonnegative(),
});

const binding = z.object({
  id: z.string(),
  channel: z.string(),
  account: z.string().describe('* matches any'),
  chat: z.string().describe('* matches any'),
  sender: z.string().describe('* matches any'),
  unit: z.string().nullable().describe('a run of this unit per message'),
  pid: z.number().int().positive().nullable().describe("or this live process's stdin"),
  thread: z
    .string()
    .describe('the template of the thread the conversation is kept in: {channel} {account} {chat} {sender}'),
  created_at: iso,
  approvers: z.array(z.string()).describe("senders who may decide its processes' approvals from the chat"),
});

const approverSet = z.object({
  id: z.string().describe('aos channel approvers rm <id> removes it'),
  channel: z.string(),
  unit: z.string().nullable().describe("its runs' requests (and their descendants'); null for a rule's set"),
  rule: z
    .string()
    .nullable()
    .describe("the rule whose requests it decides, as aos approvals shows it; null for a unit's set"),
  approvers: z.array(z.string()).describe('senders sent each request, with buttons'),
  created_at: iso,
});

const pairing = z.object({
  code: z.string(),
  channel: z.string(),
  sender: platformText('the sender id'),
  sender_name: platformText('the sender name'),
  chat: platformText('the chat id'),
  created_at: iso,
  expires_at: iso,
  held: z.number().int().nonnegative().describe('messages held for delivery once paired'),
});

const sender = z.object({
  channel: z.string(),
  sender: platformText('the sender id'),
  name: platformText('the sender name'),
  paired_at: iso,
});

export const CHANNEL_VERB_SCHEMAS = {
  'channel-ls': z.object({ channels: z.array(info) }).describe('aos channel ls --json'),
  'channel-show': z
    .object({
      channel: info,
      bindings: z.array(binding),
      pairings: z.array(pairing).describe('pending'),
      senders: z.array(sender).describe('paired'),
      messages: z.array(entry).describe('the newest, newest last'),
    })
    .describe('aos channel show --json'),
  'channel-add': z.object({ channel: info }).describe('aos channel add --json'),
  'channel-rm': z.object({ channel: info }).describe('aos channel rm --json: the channel as it was'),
  'channel-bind': z.object({ binding }).describe('aos channel bind --json'),
  'channel-unbind': z.object({ binding }).describe('aos channel unbind --json: the binding as it was'),
  'channel-approvers-add': z.object({ set: approverSet }).describe('aos channel approvers add --json'),
  'channel-approvers-ls': z.object({ sets: z.array(approverSet) }).describe('aos channel approvers ls --json'),
  'channel-approvers-rm': z.object({ set: approverSet }).describe('aos channel approvers rm --json: the set as it was'),
  'channel-pair': z
    .object({ sender, delivered: z.number().int().nonnegative().describe('held messages delivered') })
    .describe('aos channel pair --json'),
  'channel-test': z
    .object({
      ok: z.literal(true),
      account: platformText('the account'),
      name: platformText("the bot's name"),
      sent: z.string().nullable().describe('the id of the test message sent; null without --chat'),
    })
    .describe('aos channel test --json'),
} as const;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Result<M extends keyof typeof CHANNEL_RESULTS> = ShapeOf<(typeof CHANNEL_RESULTS)[M]>;
/** Compile-time: each published schema describes exactly what the method answers. */
export const channelSchemasMatchResults: [
  Same<z.infer<(typeof CHANNEL_VERB_SCHEMAS)['channel-ls']>, Result<'channel_ls'>>,
  Same<z.infer<(typeof CHANNEL_VERB_SCHEMAS)['channel-show']>, Result<'channel_show'>>,
  Same<z.infer<(typeof CHANNEL_VERB_SCHEMAS)['channel-bind']>, Result<'channel_bind'>>,
  Same<z.infer<(typeof CHANNEL_VERB_SCHEMAS)['channel-approvers-ls']>, Result<'channel_approvers_ls'>>,
  Same<z.infer<(typeof CHANNEL_VERB_SCHEMAS)['channel-pair']>, Result<'channel_pair'>>,
  Same<z.infer<(typeof CHANNEL_VERB_SCHEMAS)['channel-test']>, Result<'channel_test'>>,
] = [true, true, true, true, true, true];
