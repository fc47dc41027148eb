/**
 * `aos channel`'s human output and flag checks, without a daemon: what Telegram and Slack users
 * wrote (chats, senders, names, texts, errors) reaches the terminal escaped and on one line, the
 * list fits the width, and a mistaken flag says what to write instead.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addParams, bindParams, limitOf, testParams } from '../../cmd/channel-params.js';
import {
  fitTable,
  formatAdded,
  formatChannels,
  formatPaired,
  formatShow,
  formatTested,
  messageLine,
  oneLine,
} from '../../cmd/channel-format.js';
import { CliError } from '../../cmd/fail.js';
import { displayWidth } from '../../cmd/text-width.js';
import type { ResultOf } from '../../protocol/protocol.js';

type Info = ResultOf<'channel_ls'>['channels'][number];

const NOW = Date.parse('2026-11-25T12:00:00.000Z');
const HOSTILE = 'hi\u001b]52;c;cm0gLXJmIH4=\u0007 \u001b[2J\u001b[31mred\u009b1m \u202eevil\u2066\r\nsecond line\tend';
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function channel(over: Partial<Info> = {}): Info {
  return {
    name: 'telegram',
    kind: 'telegram',
    token_secret: 'TG_TOKEN',
    signing_secret: null,
    egress: ['api.telegram.org:443'],
    api_root: 'https://api.telegram.org',
    unknown: 'pair',
    state: 'running',
    account: '7001',
    pid: 4242,
    restarts: 0,
    last_error: null,
    last_message: {
      at: '2026-11-25T11:57:00.000Z',
      direction: 'in',
      chat: '123456789',
      sender: '555',
      sender_name: 'Dana',
      text: 'Where is my invoice?',
      status: 'accepted',
    },
    counts: { inbound: 3, duplicate: 1, dropped: 0, held: 0, outbound: 2, failed: 0 },
    events_url: null,
    bindings: 1,
    pending_pairings: 0,
    ...over,
  };
}

function show(over: Partial<ResultOf<'channel_show'>> = {}): ResultOf<'channel_show'> {
  return {
    channel: channel(),
    bindings: [
      {
        id: 'b1',
        channel: 'telegram',
        account: '*',
        chat: '123456789',
        sender: '*',
        unit: 'support',
        approvers: [],
        pid: null,
        thread: 'chat:{channel}:{chat}',
        created_at: '2026-11-25T10:00:00.000Z',
      },
    ],
    pairings: [
      {
        code: 'K7Q2XZ',
        channel: 'telegram',
        sender: '999',
        sender_name: `Mallory ${HOSTILE}`,
        chat: '999',
        created_at: '2026-11-25T11:59:00.000Z',
        expires_at: '2026-11-25T12:59:00.000Z',
        held: 2,
      },
    ],
    senders: [{ channel: 'telegram', sender: '555', name: 'Dana', paired_at: '2026-11-24T12:00:00.000Z' }],
    messages: [
      {
        at: '2026-11-25T11:57:00.000Z',
        direction: 'in',
        chat: '123456789',
        sender: '555',
        sender_name: null,
        text: HOSTILE,
        status: 'accepted',
        thread: 'chat:telegram:123456789',
        message_id: '41',
        pid: 12,
      },
      {
        at: '2026-11-25T11:58:00.000Z',
        direction: 'out',
        chat: '123456789',
        sender: null,
        sender_name: null,
        text: 'On it.',
        status: 'sent',
        thread: 'chat:telegram:123456789',
        message_id: '42',
        pid: 12,
      },
    ],
    ...over,
  };
}

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    return (error as Error).message;
  }
  throw new Error('no usage error');
}

describe('aos channel: what the platforms send is printed escaped', () => {
  it('oneLine shows control characters and bidi overrides as escapes, line breaks as spaces', () => {
    const line = oneLine(HOSTILE);
    expect(line).not.toMatch(UNSAFE);
    expect(line).not.toContain('\n');
    expect(line).toContain('\\u001b]52;c;');
    expect(line).toContain('\\u202eevil');
    expect(line).toContain('second line end');
  });

  it('ls, show, pair and test escape every chat, sender, name, text and error', () => {
    const hostile = channel({
      account: HOSTILE,
      last_error: `getUpdates failed: ${HOSTILE}`,
      last_message: {
        at: '2026-11-25T11:57:00.000Z',
        direction: 'in',
        chat: HOSTILE,
        sender: HOSTILE,
        sender_name: HOSTILE,
        text: HOSTILE,
        status: 'held',
      },
    });
    const outputs = [
      formatChannels([hostile], Infinity, NOW),
      formatChannels([hostile], 80, NOW),
      formatShow(show({ channel: hostile }), NOW),
      formatPaired({
        sender: { channel: 'telegram', sender: HOSTILE, name: HOSTILE, paired_at: '2026-11-25T12:00:00.000Z' },
        delivered: 2,
      }),
      formatTested('telegram', { ok: true, account: HOSTILE, name: HOSTILE, sent: HOSTILE }),
      formatAdded(hostile),
    ];
    for (const text of outputs) {
      expect(text).not.toMatch(UNSAFE);
      expect(text).toContain('hi\\u001b');
    }
  });

  it('a message at a glance: age, direction, chat, sender, status when not the usual, text', () => {
    expect(messageLine(channel().last_message!, NOW)).toBe('3m ago in 123456789 from Dana (555): Where is my invoice?');
    expect(
      messageLine(
        {
          at: '2026-11-25T11:59:30.000Z',
          direction: 'out',
          chat: '42',
          sender: null,
          sender_name: null,
          text: 'x',
          status: 'failed',
        },
        NOW,
      ),
    ).toBe('30s ago out 42 [failed]: x');
  });
});

describe('aos channel ls', () => {
  it('says how to add one when there is none', () => {
    expect(formatChannels([], 80, NOW)).toMatch(/no channels \(add one with: aos channel add telegram --token-secret/);
  });

  it('lists name, kind, state, account, restarts, last message and last error', () => {
    const text = formatChannels(
      [
        channel(),
        channel({
          name: 'slack',
          kind: 'slack',
          state: 'backoff',
          account: null,
          restarts: 3,
          last_message: null,
          last_error: 'auth.test: invalid_auth',
        }),
      ],
      Infinity,
      NOW,
    );
    const [head, tg, slack] = text.split('\n');
    expect(head).toMatch(/^NAME +KIND +STATE +ACCOUNT +RESTARTS +LAST MESSAGE +LAST ERROR$/);
    expect(tg).toMatch(
      /^telegram +telegram +running +7001 +0 +3m ago in 123456789 from Dana \(555\): Where is my invoice\?$/,
    );
    expect(slack).toMatch(/^slack +slack +backoff +— +3 +— +auth\.test: invalid_auth$/);
  });

  it('fits the width: the last message and error are cut, never the name or state; wide characters count two columns', () => {
    const long = channel({
      last_message: { ...channel().last_message!, text: '請把發票寄給我 '.repeat(20) },
      last_error: 'x'.repeat(200),
    });
    for (const width of [80, 100, 120]) {
      const lines = formatChannels([long, channel({ name: 'tg-work' })], width, NOW).split('\n');
      for (const line of lines) expect(displayWidth(line), line).toBeLessThanOrEqual(width);
      expect(lines[1]).toMatch(/^telegram +telegram +running /);
      expect(lines[1]).toContain('…');
    }
    expect(formatChannels([long], Infinity, NOW)).not.toContain('…');
  });

  it('narrow, LAST ERROR goes on a line of its own under its channel rather than cut both to nothing', () => {
    const failing = channel({
      name: 'slack-work',
      kind: 'slack',
      state: 'backoff',
      restarts: 4,
      last_error: `auth.test failed: invalid_auth ${'(the token was revoked?) '.repeat(5)}`,
    });
    const narrow = formatChannels([channel(), failing], 80, NOW).split('\n');
    expect(narrow[0]).toMatch(/LAST MESSAGE$/);
    expect(narrow[2]).toMatch(/^slack-work +slack +backoff /);
    expect(narrow[3]).toMatch(/^ {2}last error: auth\.test failed: invalid_auth .*…$/);
    expect(displayWidth(narrow[3]!)).toBe(80);
    const wide = formatChannels([channel(), failing], 200, NOW).split('\n');
    expect(wide[0]).toMatch(/LAST MESSAGE +LAST ERROR$/);
    expect(wide).toHaveLength(3);
  });

  it('fitTable pads by display width and cuts only the columns its steps name', () => {
    const text = fitTable(
      ['A', 'B'],
      [
        ['請請', 'x'],
        ['a', 'yyyyyyyyyy'],
      ],
      10,
      [[1, 3]],
    );
    expect(text.split('\n')).toEqual(['A     B', '請請  x', 'a     yyy…']);
    expect(fitTable(['A', 'B'], [['aaaaaaaaaa', 'b']], 5)).toBe('A           B\naaaaaaaaaa  b');
  });
});

describe('aos channel show, add, pair, test', () => {
  it('show: the channel, its bindings, pending pairings (and how to approve), paired senders, messages with their thread', () => {
    const text = formatShow(show(), NOW);
    expect(text).toMatch(/^telegram \(telegram\): running \(adapter pid 4242\), account 7001, 0 restarts$/m);
    expect(text).toContain('messages: 3 in (1 duplicate, 0 dropped, 0 held), 2 out (0 failed)');
    expect(text).toContain('b1: telegram chat 123456789 → unit support, thread chat:{channel}:{chat}');
    expect(text).toMatch(/pending pairings \(approve one with: aos channel pair <code>\):\n +CODE +SENDER +NAME/);
    expect(text).toMatch(/K7Q2XZ +999 +Mallory hi\\u001b/);
    expect(text).toMatch(/paired senders:\n +SENDER +NAME +PAIRED\n +555 +Dana +1d ago/);
    expect(text).toContain('2026-11-25 11:57:00 in  123456789 from 555 → chat:telegram:123456789 (pid 12): hi\\u001b');
    expect(text).toContain('2026-11-25 11:58:00 out 123456789 ← chat:telegram:123456789 (pid 12): On it.');
  });

  it('show without bindings says how to make one', () => {
    expect(formatShow(show({ bindings: [], pairings: [], senders: [], messages: [] }), NOW)).toMatch(
      /bindings: none \(messages go nowhere until one: aos channel bind telegram --unit <unit>\)[\s\S]*messages: none yet/,
    );
  });

  it('add: a Slack channel gives the events URL to paste into Slack; a Telegram one the next step', () => {
    const slack = formatAdded(
      channel({
        name: 'slack',
        kind: 'slack',
        signing_secret: 'SLACK_SIGNING',
        state: 'starting',
        account: null,
        events_url: 'https://aos.example/channels/slack/events',
      }),
    );
    expect(slack).toContain('events URL: https://aos.example/channels/slack/events');
    expect(slack).toContain('signing secret SLACK_SIGNING');
    const tg = formatAdded(channel({ state: 'starting' }));
    expect(tg).not.toContain('events URL');
    expect(tg).toContain('next: aos channel bind telegram --unit <unit>');
  });

  it('pair says who and how many held messages were delivered; test who the bot is', () => {
    expect(
      formatPaired({
        sender: { channel: 'telegram', sender: '999', name: 'Mallory', paired_at: '2026-11-25T12:00:00.000Z' },
        delivered: 2,
      }),
    ).toBe('paired Mallory (999) on telegram: 2 held messages delivered');
    expect(formatTested('telegram', { ok: true, account: '7001', name: 'acme_bot', sent: null })).toBe(
      'telegram: the adapter is acme_bot (account 7001)',
    );
    expect(formatTested('telegram', { ok: true, account: '7001', name: 'acme_bot', sent: '77' })).toMatch(
      /sent a test message \(id 77\)$/,
    );
  });
});

describe('aos channel: flags', () => {
  it('add: kind, token secret, Slack-only signing secret, --unknown and --api-root checked before the kernel is asked', () => {
    expect(addParams('telegram', { tokenSecret: 'TG_TOKEN' })).toEqual({ kind: 'telegram', token_secret: 'TG_TOKEN' });
    expect(
      addParams('slack', {
        tokenSecret: 'B',
        signingSecret: 'S',
        name: 'slack-work',
        unknown: 'drop',
        apiRoot: 'http://127.0.0.1:9/api',
      }),
    ).toEqual({
      kind: 'slack',
      token_secret: 'B',
      signing_secret: 'S',
      name: 'slack-work',
      unknown: 'drop',
      api_root: 'http://127.0.0.1:9/api',
    });
    expect(usage(() => addParams('matrix', { tokenSecret: 'X' }))).toMatch(
      /kind must be telegram, slack, email, discord or custom \(got "matrix"\)/,
    );
    expect(usage(() => addParams('telegram', {}))).toMatch(
      /needs --token-secret SECRET: the name of a policy secret .* channels:/,
    );
    expect(usage(() => addParams('telegram', { tokenSecret: 'X', signingSecret: 'S' }))).toMatch(
      /--signing-secret is for slack/,
    );
    expect(usage(() => addParams('slack', { tokenSecret: 'X' }))).toMatch(/slack needs --signing-secret SECRET too/);
    expect(usage(() => addParams('telegram', { tokenSecret: 'X', unknown: 'ask' }))).toMatch(
      /--unknown must be pair or drop/,
    );
    expect(usage(() => addParams('telegram', { tokenSecret: 'X', apiRoot: 'api.telegram.org' }))).toMatch(
      /--api-root must be an http\(s\) URL/,
    );
  });

  it("add custom: a third party's adapter, its program made absolute, its egress as given", () => {
    expect(
      addParams('custom', {
        name: 'discord',
        tokenSecret: 'D',
        command: 'adapters/discord.mjs --verbose',
        read: ['conf'],
        egress: ['discord.com:443'],
      }),
    ).toEqual({
      kind: 'custom',
      name: 'discord',
      token_secret: 'D',
      command: [path.resolve('adapters/discord.mjs'), '--verbose'],
      read: [path.resolve('conf')],
      egress: ['discord.com:443'],
    });
    expect(usage(() => addParams('custom', { tokenSecret: 'D', command: '/x' }))).toMatch(/needs --name/);
    expect(usage(() => addParams('custom', { name: 'd', tokenSecret: 'D' }))).toMatch(/needs --command/);
    expect(usage(() => addParams('telegram', { tokenSecret: 'X', egress: ['a:1'] }))).toMatch(
      /are for a custom adapter/,
    );
  });

  it('bind: exactly one of --unit and --pid, a pid a positive whole number', () => {
    expect(bindParams('telegram', { unit: 'support', chat: '42' })).toEqual({
      channel: 'telegram',
      unit: 'support',
      chat: '42',
    });
    expect(bindParams('telegram', { pid: '7', sender: '555', thread: 'client:{sender}' })).toEqual({
      channel: 'telegram',
      pid: 7,
      sender: '555',
      thread: 'client:{sender}',
    });
    expect(usage(() => bindParams('telegram', {}))).toMatch(/--unit <unit> \(a run per message\) or --pid <pid>/);
    expect(usage(() => bindParams('telegram', { unit: 'a', pid: '3' }))).toMatch(/one of them/);
    expect(usage(() => bindParams('telegram', { pid: '-3' }))).toMatch(/--pid must be a process id/);
  });

  it('test: --text only with --chat; --limit a whole number', () => {
    expect(testParams('telegram', { chat: '42', text: 'ping' })).toEqual({
      name: 'telegram',
      chat: '42',
      text: 'ping',
    });
    expect(usage(() => testParams('telegram', { text: 'ping' }))).toMatch(/--text needs --chat/);
    expect(limitOf(undefined)).toBeUndefined();
    expect(limitOf('50')).toBe(50);
    expect(usage(() => limitOf('0'))).toMatch(/--limit must be a whole number from 1 to 1000/);
  });
});
