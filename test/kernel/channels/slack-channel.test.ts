/**
 * A Slack channel through a real kernel (issue 34): Slack's Events API posts to the kernel's
 * gateway, which hands each request to the adapter in its sandbox; the adapter checks Slack's
 * signature and hands messages over; a bound unit's run answers with chat.postMessage through the
 * egress proxy. A forged request starts nothing; a retried delivery starts nothing twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import type { SecretSpec } from '../../../kernel/safety/policy-rules.js';
import { SecretBox } from '../../../kernel/safety/secrets.js';
import { eventCallback, type FakeSlack, signedEvent, startFakeSlack } from '../../fakes/fake-slack.js';
import { ALL_CAPS, call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';
import { until } from '../../helpers/until.js';

const bwrap = await findBwrap();
const TOKEN = 'xoxb-kernel-slack-test';
const SIGNING = 'signing-secret-of-the-test-app';
let h: Harness | null = null;
let fake: FakeSlack | null = null;
afterEach(async () => {
  await h?.close();
  await fake?.close();
  h = null;
  fake = null;
});

const spec = (name: string, env: string): SecretSpec => ({ name, fromEnv: env, fromFile: null, hosts: [], exec: [], mcp: [], channels: ['slack'] });

async function start(): Promise<{ h: Harness; fake: FakeSlack; url: string }> {
  fake = await startFakeSlack(TOKEN);
  const secrets = await SecretBox.load([spec('SLACK_BOT', 'T_BOT'), spec('SLACK_SIGNING', 'T_SIGN')], '/nonexistent', { T_BOT: TOKEN, T_SIGN: SIGNING });
  h = await startHarness({ helper: [call('CHANNEL_SEND', { to: 'inbound', text: 'on it' }), EXIT] }, { rootCapabilities: [...ALL_CAPS, 'channel', 'thread'], secrets, webhookPort: 0 });
  h.kernel.units.add({ name: 'helper', task: 'Answer.', model: `replay:${h.tape}`, capabilities: ['channel:slack'] });
  await h.kernel.channels.add({ name: 'slack', kind: 'slack', token_secret: 'SLACK_BOT', signing_secret: 'SLACK_SIGNING', api_root: fake.apiRoot });
  await until(() => h!.kernel.channels.info('slack').state === 'running', 20_000, 'the Slack adapter running');
  await h.kernel.channels.bind({ channel: 'slack', sender: 'U1', unit: 'helper' });
  return { h, fake, url: h.kernel.channels.info('slack').events_url as string };
}

const post = async (url: string, req: { headers: Record<string, string>; body: string }): Promise<{ status: number; text: string }> => {
  const res = await fetch(url, { method: 'POST', headers: req.headers, body: req.body });
  return { status: res.status, text: await res.text() };
};

describe.skipIf(!bwrap)('a Slack channel', () => {
  it('answers the URL check, takes a signed message into a run whose reply is posted; a retry starts nothing', async () => {
    const { h, fake, url } = await start();
    expect(url).toMatch(/\/hooks\/[A-Za-z0-9_-]{32}\/events$/);
    expect(h.kernel.channels.info('slack').account).toBe('T0FAKE');
    expect(await post(url, signedEvent(SIGNING, { type: 'url_verification', challenge: 'c-123' }))).toEqual({ status: 200, text: 'c-123' });
    const message = signedEvent(SIGNING, eventCallback({ type: 'message', channel: 'C1', user: 'U1', text: 'deploy please', ts: '1700000000.000100' }, 'Ev1'));
    expect((await post(url, message)).status).toBe(200);
    await until(() => fake.sent.length === 1, 20_000, 'the reply posted');
    expect(fake.sent[0]).toMatchObject({ channel: 'C1', text: 'on it' });
    expect(await post(url, { ...message, headers: { ...message.headers, 'x-slack-retry-num': '1' } })).toMatchObject({ status: 200 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.kernel.units.runs('helper', 10).filter((r) => r.outcome === 'started')).toHaveLength(1);
    expect(h.kernel.channels.info('slack').counts).toMatchObject({ inbound: 1, duplicate: 1 });
    expect(h.kernel.threads.info('chat:slack:@c1').entries).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('a forged or stale request is refused and starts nothing', async () => {
    const { h, url } = await start();
    const forged = signedEvent('not-the-signing-secret', eventCallback({ type: 'message', channel: 'C1', user: 'U1', text: 'rm -rf /', ts: '1.2' }));
    expect((await post(url, forged)).status).toBe(401);
    const stale = signedEvent(SIGNING, eventCallback({ type: 'message', channel: 'C1', user: 'U1', text: 'old', ts: '1.3' }), { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect((await post(url, stale)).status).toBe(401);
    const unsigned = { headers: { 'content-type': 'application/json' }, body: JSON.stringify(eventCallback({ type: 'message', channel: 'C1', user: 'U1', text: 'hi', ts: '1.4' })) };
    expect((await post(url, unsigned)).status).toBe(401);
    expect(h.kernel.units.runs('helper', 10)).toEqual([]);
    expect(h.kernel.channels.info('slack').counts.inbound).toBe(0);
  }, 60_000);
});
