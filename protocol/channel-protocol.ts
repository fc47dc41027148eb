/**
 * Protocol methods of channels (issue 34): Telegram and Slack bots the kernel runs, which messages
 * go to which unit or process (bindings), and the senders a person let in (pairings). Spread into
 * METHODS (protocol.ts) with one line; `aos channel …` and the web view's channels page call them.
 * What the platforms send is someone else's text: whoever prints it escapes it.
 */
import { z } from 'zod';
import { CHANNEL_KINDS, CHANNEL_RESULTS as R, UNKNOWN_SENDERS } from './channel-results.js';

/** A channel's name in aos (`tg`, `slack-work`); the kernel checks its form. */
const name = z.string().min(1).max(64);
/** A policy secret's name. */
const secret = z.string().min(1).max(128);
/** A platform's id (a chat, a sender, an account): strings, Slack's are not numbers; `*` matches any. */
const platformId = z.string().min(1).max(256);

export const CHANNEL_METHODS = {
  /**
   * Add a channel and start its adapter. `name` defaults to the kind; `token_secret` (and Slack's
   * `signing_secret`) name policy secrets whose `channels:` list this channel — the token itself
   * never travels here. `unknown`: what a sender nobody paired or bound gets (default pair).
   */
  channel_add: {
    params: z.strictObject({
      name: name.optional(),
      kind: z.enum(CHANNEL_KINDS),
      token_secret: secret,
      signing_secret: secret.optional(),
      api_root: z.string().min(1).max(2048).optional(),
      /** A custom adapter (kind custom): its program and arguments, paths it reads, the host:port it may reach. */
      command: z.array(z.string().min(1).max(4096)).min(1).max(64).optional(),
      read: z.array(z.string().min(1).max(4096)).max(64).optional(),
      egress: z.array(z.string().min(1).max(300)).max(32).optional(),
      /** An email channel (kind email): its IMAP and SMTP servers as URLs, the mailbox's login, the channel's address. */
      email: z
        .strictObject({
          imap: z.string().min(1).max(300),
          smtp: z.string().min(1).max(300),
          user: z.string().min(1).max(256),
          address: z.string().min(3).max(254),
        })
        .optional(),
      unknown: z.enum(UNKNOWN_SENDERS).optional(),
    }),
    result: R.channel_add,
  },
  /** Stop a channel's adapter and remove it with its bindings and pairings (its messages stay in their threads). */
  channel_rm: { params: z.strictObject({ name }), result: R.channel_rm },
  /** Every channel: its state, account, restarts, last message and last error. */
  channel_ls: { params: z.strictObject({}), result: R.channel_ls },
  /** One channel: as listed, with its bindings, pending pairings, paired senders and its newest `limit` messages (default 20), newest last. */
  channel_show: {
    params: z.strictObject({ name, limit: z.number().int().positive().max(1_000).optional() }),
    result: R.channel_show,
  },
  /**
   * Send a channel's messages (of an account, chat and sender; absent: every one) to a unit — a run per
   * message — or to a live process's stdin: exactly one of `unit` and `pid`. `thread` is the template
   * of the thread the conversation is kept in (default `chat:{channel}:{chat}`).
   */
  channel_bind: {
    params: z
      .strictObject({
        name: z
          .string()
          .regex(/^[a-z][a-z0-9-]{0,31}$/, 'lower-case letters, digits and -, starting with a letter')
          .optional(),
        channel: name,
        account: platformId.optional(),
        chat: platformId.optional(),
        sender: platformId.optional(),
        unit: z.string().min(1).max(63).optional(),
        pid: z.number().int().positive().optional(),
        thread: z.string().min(1).max(256).optional(),
        /** Paired senders who may decide the binding's processes' approvals from the chat (issue 52). */
        approvers: z.array(platformId).max(20).optional(),
      })
      .refine((p) => (p.unit === undefined) !== (p.pid === undefined), { message: 'give exactly one of unit and pid' }),
    result: R.channel_bind,
  },
  /** Remove a binding by its id (channel_show lists them). */
  channel_unbind: { params: z.strictObject({ id: z.string().min(1).max(64) }), result: R.channel_unbind },
  /**
   * Approvers of a channel for the requests of a unit's runs (and their descendants), or of a rule (as
   * `aos approvals` shows it), however the process started: exactly one of `unit` and `rule`.
   */
  channel_approvers_add: {
    params: z.strictObject({
      channel: name,
      unit: z.string().min(1).max(63).optional(),
      rule: z.string().min(1).max(500).optional(),
      approvers: z.array(platformId).min(1).max(20),
    }),
    result: R.channel_approvers_add,
  },
  /** Approver sets (of one channel, or every one). */
  channel_approvers_ls: { params: z.strictObject({ channel: name.optional() }), result: R.channel_approvers_ls },
  /** Remove an approver set by its id: its buttons decide nothing from now on. */
  channel_approvers_rm: {
    params: z.strictObject({ id: z.string().min(1).max(64) }),
    result: R.channel_approvers_rm,
  },
  /** A person approves a pairing code a sender was given: the sender is known from now on, its held messages delivered. */
  channel_pair: { params: z.strictObject({ code: z.string().min(1).max(64) }), result: R.channel_pair },
  /** Ask the adapter who it is on its platform (getMe, auth.test); with `chat`, send it `text` too (a default text when absent). */
  channel_test: {
    params: z
      .strictObject({ name, chat: platformId.optional(), text: z.string().min(1).max(4096).optional() })
      .refine((p) => p.text === undefined || p.chat !== undefined, { message: 'text needs a chat to send it to' }),
    result: R.channel_test,
  },
} as const;
