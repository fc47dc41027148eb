/**
 * `aos channel`'s flags read into its methods' params (channel.ts runs them): add's kind, secrets,
 * API root and a custom adapter's program, bind's target (exactly one of --unit and --pid), test's
 * --text (only with --chat), --limit. A mistake says what to write instead.
 */
import path from 'node:path';
import type { ParamsOf } from '../protocol/protocol.js';
import { CliError } from './fail.js';

export type ChannelFlags = {
  json?: boolean;
  trunc?: boolean;
  name?: string;
  tokenSecret?: string;
  signingSecret?: string;
  apiRoot?: string;
  command?: string;
  read?: string[];
  egress?: string[];
  imap?: string;
  smtp?: string;
  user?: string;
  address?: string;
  unknown?: string;
  account?: string;
  chat?: string;
  sender?: string;
  unit?: string;
  pid?: string;
  thread?: string;
  approvers?: string;
  text?: string;
  limit?: string;
};

const KINDS = ['telegram', 'slack', 'email', 'discord', 'custom'] as const;

/** `aos channel add <kind> …`'s flags as channel_add's params; a mistake says what to write instead. */
export function addParams(kind: string, f: ChannelFlags): ParamsOf<'channel_add'> {
  if (!(KINDS as readonly string[]).includes(kind))
    throw new CliError(
      `the kind must be telegram, slack, email, discord or custom (got "${kind}"): aos channel add telegram --token-secret TG_TOKEN`,
    );
  const custom = customParams(kind, f);
  const email = emailParams(kind, f);
  if (!f.tokenSecret)
    throw new CliError(
      `${kind} needs --token-secret SECRET: the name of a policy secret holding the bot token, whose channels: lists the channel`,
    );
  if (f.signingSecret !== undefined && kind !== 'slack')
    throw new CliError('--signing-secret is for slack (a Telegram bot has only its token)');
  if (f.signingSecret === undefined && kind === 'slack')
    throw new CliError(
      "slack needs --signing-secret SECRET too: the policy secret holding the Slack app's signing secret (Basic Information → App Credentials)",
    );
  if (f.unknown !== undefined && f.unknown !== 'pair' && f.unknown !== 'drop')
    throw new CliError(`--unknown must be pair or drop (got "${f.unknown}")`);
  if (f.apiRoot !== undefined && !/^https?:\/\/[^\s/]+/.test(f.apiRoot))
    throw new CliError(`--api-root must be an http(s) URL (got "${f.apiRoot}")`);
  return {
    kind: kind as (typeof KINDS)[number],
    token_secret: f.tokenSecret,
    ...(f.name === undefined ? {} : { name: f.name }),
    ...(f.signingSecret === undefined ? {} : { signing_secret: f.signingSecret }),
    ...(f.apiRoot === undefined ? {} : { api_root: f.apiRoot }),
    ...(f.unknown === undefined ? {} : { unknown: f.unknown as 'pair' | 'drop' }),
    ...custom,
    ...email,
  };
}

/** An email channel's --imap, --smtp, --user and --address (all four; only for kind email). */
function emailParams(kind: string, f: ChannelFlags): { email?: NonNullable<ParamsOf<'channel_add'>['email']> } {
  const given = [f.imap, f.smtp, f.user, f.address];
  if (kind !== 'email') {
    if (given.some((v) => v !== undefined))
      throw new CliError('--imap, --smtp, --user and --address are for an email channel (aos channel add email …)');
    return {};
  }
  if (given.some((v) => v === undefined))
    throw new CliError(
      'email needs --imap imaps://host:993 --smtp smtps://host:465 --user LOGIN --address ADDRESS, and --token-secret naming the policy secret holding the password',
    );
  return {
    email: { imap: f.imap as string, smtp: f.smtp as string, user: f.user as string, address: f.address as string },
  };
}

/** A custom adapter's --command (split on spaces: a wrapper script for anything quoted), --read and --egress; only for kind custom. */
function customParams(kind: string, f: ChannelFlags): { command?: string[]; read?: string[]; egress?: string[] } {
  const given = f.command !== undefined || (f.read?.length ?? 0) > 0 || (f.egress?.length ?? 0) > 0;
  if (kind !== 'custom') {
    if (given)
      throw new CliError(
        '--command, --read and --egress are for a custom adapter (aos channel add custom --name discord --command …)',
      );
    return {};
  }
  if (f.name === undefined)
    throw new CliError(
      "a custom channel needs --name (discord, email…): its name in aos and in the policy secret's channels:",
    );
  const command = (f.command ?? '').split(/\s+/).filter(Boolean);
  if (command.length === 0)
    throw new CliError(
      'a custom channel needs --command "/path/to/program [args]": the adapter, speaking the channel protocol on stdin and stdout',
    );
  const absolute = (p: string): string => path.resolve(p);
  return {
    command: [absolute(command[0] as string), ...command.slice(1)],
    read: (f.read ?? []).map(absolute),
    egress: f.egress ?? [],
  };
}

/** `aos channel bind <channel> …`'s flags as channel_bind's params: exactly one of --unit and --pid. */
export function bindParams(channel: string, f: ChannelFlags): ParamsOf<'channel_bind'> {
  if ((f.unit === undefined) === (f.pid === undefined))
    throw new CliError(
      "give where its messages go: --unit <unit> (a run per message) or --pid <pid> (a live process's stdin), one of them",
    );
  const pid = f.pid === undefined ? undefined : Number(f.pid);
  if (pid !== undefined && !(Number.isSafeInteger(pid) && pid > 0))
    throw new CliError(`--pid must be a process id, a positive whole number (got "${f.pid}")`);
  return {
    channel,
    ...(f.name === undefined ? {} : { name: f.name }),
    ...(f.account === undefined ? {} : { account: f.account }),
    ...(f.chat === undefined ? {} : { chat: f.chat }),
    ...(f.sender === undefined ? {} : { sender: f.sender }),
    ...(f.unit === undefined ? {} : { unit: f.unit }),
    ...(pid === undefined ? {} : { pid }),
    ...(f.thread === undefined ? {} : { thread: f.thread }),
    ...(f.approvers === undefined
      ? {}
      : {
          approvers: f.approvers
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        }),
  };
}

/** `aos channel test <name> …`'s flags: --text only with --chat. */
export function testParams(name: string, f: ChannelFlags): ParamsOf<'channel_test'> {
  if (f.text !== undefined && f.chat === undefined)
    throw new CliError(
      '--text needs --chat <chat> to send it to (without --chat the test only asks the adapter who it is)',
    );
  return { name, ...(f.chat === undefined ? {} : { chat: f.chat }), ...(f.text === undefined ? {} : { text: f.text }) };
}

export function limitOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new CliError(`--limit must be a whole number from 1 to 1000 (got "${text}")`);
  return n;
}
