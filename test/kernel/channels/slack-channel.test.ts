/**
 * A Slack channel through a real kernel (issue 34): Slack's Events API posts to the kernel's
 * gateway, which hands each request to the adapter in its sandbox; the adapter checks Slack's
 * signature and hands messages over; a bound unit's run answers with chat.postMessage through the
 * egress proxy. A forged request starts nothing; a retried delivery starts nothing twice.
 */
import { describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { eventCallback, signedEvent } from '../../fakes/fake-slack.js';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { slackPerTest } from '../../helpers/slack-harness.js';
import { until } from '../../helpers/until.js';

const bwrap = await findBwrap();
const TOKEN = 'xoxb-kernel-slack-test';
const SIGNING = 'signing-secret-of-the-test-app';
const start = slackPerTest({
  token: TOKEN,
  signing: SIGNING,
  agents: { helper: [call('CHANNEL_SEND', { to: 'inbound', text: 'on it' }), EXIT] },
  helperCapabilities: ['channel:slack'],
});

const post = async (
  url: string,
  req: { headers: Record<string, string>; body: string },
): Promise<{ status: number; text: string }> => {
  const res = await fetch(url, { method: 'POST', headers: req.headers, body: req.body });
  return { status: res.status, text: await res.text() };
};

describe.skipIf(!bwrap)('a Slack channel', () => {
  it('answers the URL check, takes a signed message into a run whose reply is posted; a retry starts nothing', async () => {
    const h = await start();
    const { fake, url } = h;
    expect(url).toMatch(/\/hooks\/[A-Za-z0-9_-]{32}\/events$/);
    expect(h.kernel.channels.info('slack').account).toBe('T0FAKE');
    expect(await post(url, signedEvent(SIGNING, { type: 'url_verification', challenge: 'c-123' }))).toEqual({
      status: 200,
      text: 'c-123',
    });
    const message = signedEvent(
      SIGNING,
      eventCallback(
        { type: 'message', channel: 'C1', user: 'U1', text: 'deploy please', ts: '1700000000.000100' },
        'Ev1',
      ),
    );
    expect((await post(url, message)).status).toBe(200);
    await until(() => fake.sent.length === 1, 20_000, 'the reply posted');
    expect(fake.sent[0]).toMatchObject({ channel: 'C1', text: 'on it' });
    expect(await post(url, { ...message, headers: { ...message.headers, 'x-slack-retry-num': '1' } })).toMatchObject({
      status: 200,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.kernel.units.runs('helper', 10).filter((r) => r.outcome === 'started')).toHaveLength(1);
    expect(h.kernel.channels.info('slack').counts).toMatchObject({ inbound: 1, duplicate: 1 });
    expect(h.kernel.threads.info('chat:slack:@c1').entries).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('a forged or stale request is refused and starts nothing', async () => {
    const h = await start();
    const { url } = h;
    const forged = signedEvent(
      'not-the-signing-secret',
      eventCallback({ type: 'message', channel: 'C1', user: 'U1', text: 'rm -rf /', ts: '1.2' }),
    );
    expect((await post(url, forged)).status).toBe(401);
    const stale = signedEvent(
      SIGNING,
      eventCallback({ type: 'message', channel: 'C1', user: 'U1', text: 'old', ts: '1.3' }),
      { timestamp: Math.floor(Date.now() / 1000) - 3600 },
    );
    expect((await post(url, stale)).status).toBe(401);
    const unsigned = {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(eventCallback({ type: 'message', channel: 'C1', user: 'U1', text: 'hi', ts: '1.4' })),
    };
    expect((await post(url, unsigned)).status).toBe(401);
    expect(h.kernel.units.runs('helper', 10)).toEqual([]);
    expect(h.kernel.channels.info('slack').counts.inbound).toBe(0);
  }, 60_000);
});
