/**
 * `aos channel add|ls|show|bind|unbind|approvers|pair|test|rm`: Telegram and Slack bots the kernel runs —
 * each adapter in its own sandbox, its token a policy secret — which of their messages go to which
 * unit or process (bindings), and the senders a person let in (pairings). What the platforms send
 * is printed escaped (channel-format.ts); the flags are read in channel-params.ts. Every --json
 * prints the method's answer.
 */
import { withKernel } from './connect.js';
import { EXIT } from './fail.js';
import { addParams, bindParams, type ChannelFlags as Flags, limitOf, testParams } from './channel-params.js';
import { out } from './out.js';
import { formatAdded, formatChannels, formatPaired, formatShow, formatTested, bindingLine } from './channel-format.js';
import { tableWidth } from './width.js';
import { approversVerb } from './channel-approvers.js';
import type { VerbSpec } from './verb.js';

const json = { flags: '--json', help: 'print the answer as JSON (aos schema names its shape)' };

const print = (asJson: boolean | undefined, value: unknown, human: () => string): void =>
  out(asJson ? `${JSON.stringify(value)}\n` : `${human()}\n`);

export const channelVerb: VerbSpec = {
  name: 'channel',
  summary: 'Telegram and Slack bots: their messages to units and processes, senders you let in',
  help: `
A channel is a bot the kernel runs: its adapter in a sandbox that reaches only the platform's API,
its token a policy secret it never shows. Messages go where a binding says — a run of a unit per
message, or a live process's stdin — and the conversation is kept in a thread (aos thread show
chat:<channel>:<chat>). A sender nobody bound or paired gets a pairing code (or nothing, with
--unknown drop); you let them in with aos channel pair <code>.

The token is a policy secret whose channels: list names the channel, in the policy file:
  secrets:
    TG_TOKEN: {from_env: TG_TOKEN, channels: [telegram]}

Examples:
  aos channel add telegram --token-secret TG_TOKEN
  aos channel bind telegram --unit support
  aos channel ls
  aos channel pair 4F7KQ2
  aos channel test telegram --chat 123456789`,
  subcommands: [
    {
      name: 'add',
      summary: 'add a bot and start its adapter (name: the kind, unless --name)',
      args: [['<kind>', "telegram, slack, email, discord, or custom (a third party's adapter)"]],
      options: [
        { flags: '--name <name>', help: "the channel's name in aos (default: the kind)" },
        {
          flags: '--token-secret <secret>',
          help: 'the policy secret holding the bot token (its channels: must list the channel)',
        },
        {
          flags: '--signing-secret <secret>',
          help: "Slack: the policy secret holding the app's signing secret (its channels: must list the channel)",
        },
        {
          flags: '--api-root <url>',
          help: "the platform's API root (default https://api.telegram.org, https://slack.com/api, https://discord.com/api/v10)",
        },
        {
          flags: '--unknown <what>',
          help: 'what a sender nobody paired or bound gets: pair (a pairing code, the default) or drop',
        },
        {
          flags: '--command <program>',
          help: 'custom: the adapter program and its arguments ("/usr/bin/node /opt/discord/adapter.mjs"); it speaks docs/channels.md\'s protocol',
        },
        {
          flags: '--read <path>',
          help: "custom: a host path its sandbox may read (repeatable; the program's directory always)",
          repeatable: true,
        },
        {
          flags: '--egress <host:port>',
          help: 'custom: a host:port it may reach (repeatable; nothing else)',
          repeatable: true,
        },
        { flags: '--imap <url>', help: 'email: the IMAP server, imaps://host:993 (or imap://host:143 with STARTTLS)' },
        { flags: '--smtp <url>', help: 'email: the SMTP server, smtps://host:465 (or smtp://host:587 with STARTTLS)' },
        { flags: '--user <login>', help: "email: the mailbox's login (its password: --token-secret)" },
        { flags: '--address <address>', help: "email: the channel's address, the From of its replies" },
        json,
      ],
      help: `
<secret> is the name of a policy secret, never the token itself; its channels: list must name the
channel (the kind, or --name), e.g. in the policy file:
  secrets:
    TG_TOKEN: {from_env: TG_TOKEN, channels: [telegram]}
    SLACK_BOT: {from_env: SLACK_BOT_TOKEN, channels: [slack]}
    SLACK_SIGNING: {from_env: SLACK_SIGNING_SECRET, channels: [slack]}
then aos kernel restart. For Slack, the answer gives the events URL to paste in the Slack app's
Event Subscriptions.

Examples:
  aos channel add telegram --token-secret TG_TOKEN
  aos channel add slack --token-secret SLACK_BOT --signing-secret SLACK_SIGNING
  aos channel add email --imap imaps://mail.example.com:993 --smtp smtps://mail.example.com:465 \\
    --user bot@example.com --address bot@example.com --token-secret MAIL_PW
  aos channel add discord --token-secret DISCORD_TOKEN
  aos channel add custom --name matrix --token-secret MATRIX_TOKEN \\
    --command "/usr/bin/node /opt/matrix/adapter.mjs" --egress matrix.example.org:443`,
      run: async ({ args: [kind], flags }) => {
        const f = flags as Flags;
        const params = addParams(kind as string, f);
        return withKernel(async (client) => {
          const r = await client.request('channel_add', params);
          print(f.json, r, () => formatAdded(r.channel));
          return EXIT.ok;
        });
      },
    },
    {
      name: 'ls',
      summary: 'every channel: state, account, restarts, last message, last error',
      options: [{ flags: '--no-trunc', help: 'never cut LAST MESSAGE, ACCOUNT or LAST ERROR to fit the width' }, json],
      run: ({ flags }) =>
        withKernel(async (client) => {
          const f = flags as Flags;
          const r = await client.request('channel_ls', {});
          print(f.json, r, () => formatChannels(r.channels, tableWidth(f.trunc ?? true)));
          return EXIT.ok;
        }),
    },
    {
      name: 'show',
      summary: 'one channel: its bindings, pending pairings, paired senders and newest messages',
      args: [['<name>', 'the channel']],
      options: [{ flags: '-n, --limit <n>', help: 'messages to show, the newest (default 20)' }, json],
      run: async ({ args: [name], flags }) => {
        const f = flags as Flags;
        const limit = limitOf(f.limit);
        return withKernel(async (client) => {
          const r = await client.request('channel_show', {
            name: name as string,
            ...(limit === undefined ? {} : { limit }),
          });
          print(f.json, r, () => formatShow(r));
          return EXIT.ok;
        });
      },
    },
    {
      name: 'bind',
      summary: "send a channel's messages (of a chat, a sender) to a unit or a live process",
      args: [['<channel>', 'the channel']],
      options: [
        { flags: '--account <id>', help: 'only the messages to this account (default: every account)' },
        { flags: '--chat <id>', help: 'only the messages of this chat (default: every chat)' },
        { flags: '--sender <id>', help: 'only the messages of this sender (default: every sender)' },
        { flags: '--unit <unit>', help: 'a run of this unit per message, the thread attached', conflicts: ['pid'] },
        { flags: '--pid <pid>', help: "a live process's stdin", conflicts: ['unit'] },
        {
          flags: '--thread <template>',
          help: 'the thread the conversation is kept in, of {channel} {account} {chat} {sender} (default chat:{channel}:{chat})',
        },
        {
          flags: '--approvers <ids>',
          help: "paired senders (comma-separated ids) sent each approval of the binding's processes, with buttons",
        },
        {
          flags: '--name <id>',
          help: 'the binding\'s id, which an agent\'s CHANNEL_SEND {"to": "<id>"} names (default: a random b-…)',
        },
        json,
      ],
      help: `
Prints the binding's id (aos channel unbind <id> removes it; aos channel show lists them).

Examples:
  aos channel bind telegram --unit support
  aos channel bind telegram --chat 123456789 --pid 42
  aos channel bind telegram --name alerts --chat -100200300 --unit notifier
  aos channel bind slack --unit triage --thread 'client:{sender}'
  aos channel bind telegram --unit support --approvers 555,777`,
      run: async ({ args: [channel], flags }) => {
        const f = flags as Flags;
        const params = bindParams(channel as string, f);
        return withKernel(async (client) => {
          const r = await client.request('channel_bind', params);
          print(f.json, r, () => `${r.binding.id}\n  ${bindingLine(r.binding)}`);
          return EXIT.ok;
        });
      },
    },
    {
      name: 'unbind',
      summary: 'remove a binding (aos channel show lists their ids)',
      args: [['<id>', 'the binding']],
      options: [json],
      run: ({ args: [id], flags }) =>
        withKernel(async (client) => {
          const f = flags as Flags;
          const r = await client.request('channel_unbind', { id: id as string });
          print(f.json, r, () => `removed ${bindingLine(r.binding)}`);
          return EXIT.ok;
        }),
    },
    approversVerb,
    {
      name: 'pair',
      summary: 'let in the sender a pairing code was given to; their held messages are delivered',
      args: [['<code>', 'the code the bot sent them']],
      options: [json],
      run: ({ args: [code], flags }) =>
        withKernel(async (client) => {
          const f = flags as Flags;
          const r = await client.request('channel_pair', { code: code as string });
          print(f.json, r, () => formatPaired(r));
          return EXIT.ok;
        }),
    },
    {
      name: 'test',
      summary: 'ask the adapter who it is on its platform; with --chat, send a test message',
      args: [['<name>', 'the channel']],
      options: [
        { flags: '--chat <id>', help: 'send a test message to this chat' },
        { flags: '--text <text>', help: 'the test message (with --chat)' },
        json,
      ],
      run: async ({ args: [name], flags }) => {
        const f = flags as Flags;
        const params = testParams(name as string, f);
        return withKernel(async (client) => {
          const r = await client.request('channel_test', params);
          print(f.json, r, () => formatTested(name as string, r));
          return EXIT.ok;
        });
      },
    },
    {
      name: 'rm',
      summary: 'stop a channel and remove it with its bindings and pairings (its threads stay)',
      args: [['<name>', 'the channel']],
      options: [json],
      run: ({ args: [name], flags }) =>
        withKernel(async (client) => {
          const f = flags as Flags;
          const r = await client.request('channel_rm', { name: name as string });
          print(f.json, r, () => `removed channel ${r.channel.name} (${r.channel.kind})`);
          return EXIT.ok;
        }),
    },
  ],
};
