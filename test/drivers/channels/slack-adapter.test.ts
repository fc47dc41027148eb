/**
 * The Slack adapter program (drivers/channels/slack-main.ts) driven as the kernel drives it — the
 * channel protocol over its stdio through LineRpc — its Web API calls going out only through the
 * egress proxy, against a fake Slack: Events API requests forwarded as channel.http are checked
 * for Slack's signature and become channel.inbound, answered only after the kernel answered;
 * channel.outbound is chat.postMessage, its failures retryable only when Slack surely posted
 * nothing; the secrets never show. And slack-signature.ts on its own.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChannelError, type HttpAnswer, type InboundMessage, LineRpc } from '../../../drivers/channels/protocol.js';
import {
  SLACK_SIGNATURE_MAX_AGE_S,
  slackSignature,
  verifySlackSignature,
} from '../../../drivers/channels/slack-signature.js';
import { type EgressProxy, startEgressProxy } from '../../../drivers/net/egress-proxy.js';
import {
  eventCallback,
  FAKE_BOT_USER_ID,
  FAKE_TEAM_ID,
  type FakeSlack,
  type SignedRequest,
  signedEvent,
  startFakeSlack,
} from '../../fakes/fake-slack.js';
import { ROOT } from '../../helpers/cli.js';
import { until } from '../../helpers/until.js';

const TOKEN = 'xoxb-1111-2222-adapter-test-token';
const SECRET = 'slack-signing-secret-for-tests-8f3a';

interface Inbound {
  params: InboundMessage;
  answer(result: unknown): void;
  fail(error: Error): void;
}

interface Kernel {
  child: ChildProcessWithoutNullStreams;
  rpc: LineRpc;
  notes: Array<{ method: string; params: unknown }>;
  inbound: Inbound[];
  /** Answer every channel.inbound at once with this (null: the test answers). */
  auto: { status: string } | null;
  exit: Promise<number | null>;
  stderr(): string;
  errors: string[];
}

let dir = '';
let fake: FakeSlack;
let proxy: EgressProxy;
const kernels: Kernel[] = [];

function startAdapter(token = TOKEN): Kernel {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'drivers/channels/slack-main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      AOS_CHANNEL_TOKEN: token,
      AOS_CHANNEL_SIGNING_SECRET: SECRET,
      AOS_EGRESS_SOCKET: proxy.socketPath,
      AOS_SLACK_API_ROOT: fake.apiRoot,
      AOS_SLACK_TIMEOUT_MS: '1500',
    },
  });
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const kernel: Kernel = {
    child,
    notes: [],
    inbound: [],
    auto: { status: 'accepted' },
    exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    stderr: () => err,
    errors: [],
    rpc: new LineRpc(child.stdout, child.stdin, (method, params) => {
      if (method !== 'channel.inbound') {
        kernel.notes.push({ method, params });
        return Promise.resolve(null);
      }
      return new Promise((resolve, reject) => {
        kernel.inbound.push({ params: params as InboundMessage, answer: resolve, fail: reject });
        if (kernel.auto) resolve(kernel.auto);
      });
    }),
  };
  kernels.push(kernel);
  return kernel;
}

async function started(): Promise<Kernel> {
  const kernel = startAdapter();
  await until(() => kernel.notes.some((n) => n.method === 'channel.status'), 15_000, 'the adapter said hello');
  return kernel;
}

function forward(kernel: Kernel, request: SignedRequest, extra: Record<string, string> = {}): Promise<HttpAnswer> {
  return kernel.rpc.request<HttpAnswer>('channel.http', {
    method: 'POST',
    path: '/channels/slack/events',
    headers: { ...request.headers, ...extra },
    body: request.body,
  });
}

/** A channel.* request whose error is kept (for the secrets check) and returned. */
async function refusal(kernel: Kernel, method: string, params: unknown): Promise<ChannelError> {
  const error = await kernel.rpc.request(method, params).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChannelError);
  kernel.errors.push((error as ChannelError).message);
  return error as ChannelError;
}

const message = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'message',
  channel: 'C0GENERAL',
  user: 'U0ADA',
  text: 'hello aos',
  ts: '1712345678.000200',
  channel_type: 'channel',
  ...fields,
});

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-slack-'));
  fake = await startFakeSlack(TOKEN);
  const target = `127.0.0.1:${fake.port}`;
  proxy = await startEgressProxy({
    socketPath: path.join(dir, 'egress.sock'),
    allow: [target],
    allowPrivate: [target],
  });
});
afterEach(async () => {
  for (const kernel of kernels.splice(0)) {
    // Whatever happened, neither secret ever showed: not on stderr, not in an error the kernel was given.
    for (const shown of [kernel.stderr(), ...kernel.errors]) {
      expect(shown).not.toContain(TOKEN);
      expect(shown).not.toContain(SECRET);
    }
    kernel.child.kill('SIGKILL');
  }
  await proxy.close();
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the Slack adapter', () => {
  it('says hello as its team, answers url_verification and channel.test, and exits when the kernel goes', async () => {
    const kernel = await started();
    expect(kernel.notes.find((n) => n.method === 'channel.hello')?.params).toEqual({
      protocol: 1,
      channel: 'slack',
      account: FAKE_TEAM_ID,
    });
    expect(fake.calls[0]).toBe('auth.test');
    const challenge = await forward(
      kernel,
      signedEvent(SECRET, {
        token: 'legacy',
        challenge: 'c-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
        type: 'url_verification',
      }),
    );
    expect(challenge).toEqual({
      status: 200,
      body: 'c-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
      content_type: 'text/plain',
    });
    expect(await kernel.rpc.request('channel.test', {})).toEqual({ account: FAKE_TEAM_ID, name: 'aosbot' });
    kernel.child.stdin.end();
    expect(await kernel.exit).toBe(0);
  }, 30_000);

  it('hands a signed message over and answers Slack only after the kernel answered; a retry carries the same message id', async () => {
    const kernel = await started();
    kernel.auto = null;
    const files = [{ id: 'F1', name: 'plan.pdf', size: 2048, mimetype: 'application/pdf' }];
    const request = signedEvent(SECRET, eventCallback(message({ files })));
    let answered: HttpAnswer | null = null;
    const pending = forward(kernel, request).then((a) => (answered = a));
    await until(() => kernel.inbound.length === 1, 10_000, 'channel.inbound');
    expect(kernel.inbound[0]?.params).toEqual({
      channel: 'slack',
      account: FAKE_TEAM_ID,
      chat: 'C0GENERAL',
      thread: null,
      sender: { id: 'U0ADA', name: 'U0ADA' },
      message_id: '1712345678.000200',
      text: 'hello aos',
      attachments: [{ kind: 'file', name: 'plan.pdf', size: 2048 }],
      platform_ts: new Date(1712345678000).toISOString(),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answered).toBeNull(); // Slack waits for the kernel
    kernel.inbound[0]?.answer({ status: 'accepted' });
    await pending;
    expect(answered).toMatchObject({ status: 200 });
    // Slack sends it again (say, our answer was late): the same message id, so the kernel can say "duplicate".
    const again = forward(kernel, request, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
    await until(() => kernel.inbound.length === 2, 10_000, 'the retried channel.inbound');
    expect(kernel.inbound[1]?.params.message_id).toBe('1712345678.000200');
    kernel.inbound[1]?.answer({ status: 'duplicate' });
    expect(await again).toMatchObject({ status: 200 });
    // A reply in a thread, and a mention, are handed over with their thread.
    kernel.auto = { status: 'accepted' };
    expect(
      await forward(
        kernel,
        signedEvent(SECRET, eventCallback(message({ ts: '1712345679.000300', thread_ts: '1712345678.000200' }))),
      ),
    ).toMatchObject({ status: 200 });
    expect(
      await forward(
        kernel,
        signedEvent(
          SECRET,
          eventCallback({ ...message({ ts: '1712345680.000400', text: '<@U0AOSBOT> hi' }), type: 'app_mention' }),
        ),
      ),
    ).toMatchObject({ status: 200 });
    expect(kernel.inbound.slice(2).map((i) => [i.params.thread, i.params.message_id, i.params.text])).toEqual([
      ['1712345678.000200', '1712345679.000300', 'hello aos'],
      [null, '1712345680.000400', '<@U0AOSBOT> hi'],
    ]);
  }, 30_000);

  it('answers 500 when the kernel could not take the message, so Slack sends it again', async () => {
    const kernel = await started();
    kernel.auto = null;
    const pending = forward(kernel, signedEvent(SECRET, eventCallback(message())));
    await until(() => kernel.inbound.length === 1, 10_000, 'channel.inbound');
    kernel.inbound[0]?.fail(new ChannelError(-32000, 'the store is read-only', false));
    expect(await pending).toMatchObject({ status: 500 });
  }, 30_000);

  it('refuses a bad signature, a stale or missing timestamp and a malformed body, handing nothing over', async () => {
    const kernel = await started();
    const event = eventCallback(message());
    const wrongSecret = signedEvent('not-the-secret', event);
    expect(await forward(kernel, wrongSecret)).toMatchObject({
      status: 401,
      body: expect.stringMatching(/does not match/),
    });
    const tampered = signedEvent(SECRET, event);
    expect(await forward(kernel, { ...tampered, body: tampered.body.replace('hello aos', 'rm -rf /') })).toMatchObject({
      status: 401,
    });
    const stale = signedEvent(SECRET, event, { timestamp: Math.floor(Date.now() / 1000) - 10 * 60 });
    expect(await forward(kernel, stale)).toMatchObject({ status: 401, body: expect.stringMatching(/stale/) });
    expect(
      await forward(kernel, { body: tampered.body, headers: { 'content-type': 'application/json' } }),
    ).toMatchObject({ status: 401 });
    const body = '{"type": "event_callback", ';
    const ts = String(Math.floor(Date.now() / 1000));
    expect(
      await forward(kernel, {
        body,
        headers: { 'x-slack-request-timestamp': ts, 'x-slack-signature': slackSignature(SECRET, ts, body) },
      }),
    ).toMatchObject({ status: 400 });
    expect(kernel.inbound).toHaveLength(0);
  }, 30_000);

  it("ignores its own messages, other bots', edits and other events, answering Slack 200", async () => {
    const kernel = await started();
    const ignored = [
      message({ user: FAKE_BOT_USER_ID, text: 'my own reply' }),
      message({ bot_id: 'B0OTHER', text: 'another bot' }),
      message({ subtype: 'message_changed', message: { text: 'edited' } }),
      message({ subtype: 'channel_join', text: '<@U0ADA> has joined the channel' }),
      {
        type: 'reaction_added',
        user: 'U0ADA',
        reaction: 'thumbsup',
        item: { type: 'message', channel: 'C0GENERAL', ts: '1712345678.000200' },
      },
    ];
    for (const event of ignored)
      expect(await forward(kernel, signedEvent(SECRET, eventCallback(event)))).toMatchObject({ status: 200 });
    expect(
      await forward(kernel, signedEvent(SECRET, { type: 'app_rate_limited', team_id: FAKE_TEAM_ID })),
    ).toMatchObject({ status: 200 });
    expect(kernel.inbound).toHaveLength(0);
  }, 30_000);

  it('posts channel.outbound to the right channel and thread and returns its ts', async () => {
    const kernel = await started();
    const threaded = await kernel.rpc.request<{ message_id: string }>('channel.outbound', {
      ref: 'r1',
      chat: 'C0GENERAL',
      thread: '1712345678.000200',
      text: 'hi Ada',
      reply_to: '1712345678.000200',
    });
    const plain = await kernel.rpc.request<{ message_id: string }>('channel.outbound', {
      ref: 'r2',
      chat: 'D0ADA',
      thread: null,
      text: 'and in private',
    });
    expect(fake.sent).toEqual([
      { channel: 'C0GENERAL', text: 'hi Ada', thread_ts: '1712345678.000200', ts: threaded.message_id },
      { channel: 'D0ADA', text: 'and in private', ts: plain.message_id },
    ]);
    expect(threaded.message_id).toMatch(/^\d+\.\d{6}$/);
    // A malformed send is refused, not sent.
    expect((await refusal(kernel, 'channel.outbound', { chat: 'C0GENERAL', text: '' })).retryable).toBe(false);
    expect(fake.sent).toHaveLength(2);
  }, 30_000);

  it('makes a rate-limited post retryable and a refused or timed-out one not', async () => {
    const kernel = await started();
    const send = { ref: 'r1', chat: 'C0GENERAL', text: 'hello' };
    fake.failNextPosts(1, 'ratelimited');
    const limited = await refusal(kernel, 'channel.outbound', send);
    expect(limited).toMatchObject({ retryable: true, code: 429 });
    expect(limited.message).toMatch(/ratelimited/);
    fake.failNextPosts(1, 'channel_not_found');
    const notFound = await refusal(kernel, 'channel.outbound', send);
    expect(notFound.retryable).toBe(false);
    expect(notFound.message).toMatch(/channel_not_found/);
    fake.hangNextPost();
    const late = await refusal(kernel, 'channel.outbound', send);
    expect(late.retryable).toBe(false); // it went out: Slack may have posted it
    expect(late.message).toMatch(/may have reached Slack/);
    // Each attempt was one call: the SDK retries nothing itself.
    expect(fake.calls.filter((c) => c === 'chat.postMessage')).toHaveLength(3);
    expect(await kernel.rpc.request('channel.outbound', send)).toEqual({ message_id: expect.any(String) });
  }, 30_000);

  it('makes a post that could not connect retryable', async () => {
    const kernel = await started();
    await fake.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = await refusal(kernel, 'channel.outbound', { ref: 'r1', chat: 'C0GENERAL', text: 'hello' });
    expect(refused.retryable).toBe(true);
    expect(refused.message).toMatch(/not sent/);
  }, 30_000);

  it("exits 1 naming Slack's error, never the token, when its token is refused", async () => {
    const kernel = startAdapter('xoxb-9999-wrong-token-for-this-test');
    expect(await kernel.exit).toBe(1);
    expect(kernel.stderr()).toMatch(/invalid_auth/);
    expect(kernel.stderr()).not.toContain('xoxb-9999-wrong-token-for-this-test');
    expect(kernel.notes.find((n) => n.method === 'channel.status')?.params).toMatchObject({ state: 'error' });
  }, 30_000);
});

describe('Slack request signatures', () => {
  const now = 1_712_345_678_000;
  const ts = String(now / 1000);
  const body = '{"type":"event_callback"}';
  const headers = (signature: string, timestamp = ts): Record<string, string> => ({
    'x-slack-signature': signature,
    'x-slack-request-timestamp': timestamp,
  });

  it("matches Slack's documented example", () => {
    // https://api.slack.com/authentication/verifying-requests-from-slack
    const example =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const signature = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
    expect(slackSignature('8f742231b10e8888abcd99yyyzzz85a5', '1531420618', example)).toBe(signature);
    expect(
      verifySlackSignature(
        '8f742231b10e8888abcd99yyyzzz85a5',
        headers(signature, '1531420618'),
        example,
        1531420618_000 + 1000,
      ),
    ).toEqual({ ok: true });
  });

  it('takes a good signature within five minutes either way, and refuses past them', () => {
    const good = slackSignature('s3cret', ts, body);
    expect(verifySlackSignature('s3cret', headers(good), body, now)).toEqual({ ok: true });
    expect(verifySlackSignature('s3cret', headers(good), body, now + SLACK_SIGNATURE_MAX_AGE_S * 1000)).toEqual({
      ok: true,
    });
    expect(verifySlackSignature('s3cret', headers(good), body, now - SLACK_SIGNATURE_MAX_AGE_S * 1000)).toEqual({
      ok: true,
    });
    expect(
      verifySlackSignature('s3cret', headers(good), body, now + (SLACK_SIGNATURE_MAX_AGE_S + 1) * 1000),
    ).toMatchObject({ ok: false, reason: expect.stringMatching(/301 s from now.*stale/) });
    expect(
      verifySlackSignature('s3cret', headers(good), body, now - (SLACK_SIGNATURE_MAX_AGE_S + 1) * 1000),
    ).toMatchObject({ ok: false });
  });

  it('refuses a wrong secret, a changed body or timestamp, and missing or malformed headers, saying why', () => {
    const good = slackSignature('s3cret', ts, body);
    const reason = (secret: string, h: Record<string, string | undefined>, b = body): string => {
      const verdict = verifySlackSignature(secret, h, b, now);
      return verdict.ok ? 'ok' : verdict.reason;
    };
    expect(reason('other', headers(good))).toMatch(/does not match/);
    expect(reason('s3cret', headers(good), `${body} `)).toMatch(/does not match/);
    expect(reason('s3cret', headers(good, String(Number(ts) + 1)))).toMatch(/does not match/);
    expect(reason('s3cret', headers(good.toUpperCase().replace('V0=', 'v0=')))).toMatch(/64 hex digits/);
    expect(reason('s3cret', headers('v1=abc'))).toMatch(/64 hex digits/);
    expect(reason('s3cret', headers(good, '17e8'))).toMatch(/not a number/);
    expect(reason('s3cret', { 'x-slack-request-timestamp': ts })).toMatch(/no x-slack-signature/);
    expect(reason('s3cret', { 'x-slack-signature': good })).toMatch(/no x-slack-request-timestamp/);
    expect(reason('', headers(good))).toMatch(/no signing secret/);
    expect(reason('other', headers(good))).not.toContain(good.slice(3));
  });
});
