/**
 * Red team (issue 34): the Slack events route on the kernel's gateway (kernel/channels/launch.ts
 * startHook), a real kernel with the Slack adapter in its sandbox. Held: forged, tampered, future
 * and oddly spelled signatures start nothing; a body over the gateway's cap is 413 before the
 * adapter sees it; the route answers at once (503) while the adapter is down. Found and fixed:
 *  - an UNSIGNED request whose body was under the gateway's cap (1 MiB) but whose channel.http line
 *    was over the protocol's (1 MiB) — control characters JSON-escape to six bytes — made the
 *    adapter exit: anyone with the URL could keep the channel down. The kernel now caps a channel's
 *    body (param.channelHttpMaxBodyBytes) so its line stays under the protocol's at any escaping.
 *  - (low: signed content only) an event whose `ts` was past JavaScript's dates made the adapter
 *    throw a RangeError: 503, and every retry of it too. Now such a time reads as now.
 */
import { describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { inboundOf } from '../../drivers/channels/slack-adapter.js';
import { param } from '../../sys/param.js';
import { eventCallback, signedEvent } from '../fakes/fake-slack.js';
import { EXIT } from '../helpers/kernel-harness.js';
import { slackPerTest } from '../helpers/slack-harness.js';
import { until } from '../helpers/until.js';

const bwrap = await findBwrap();
const TOKEN = 'xoxb-redteam-slack-token-77';
const SIGNING = 'redteam-signing-secret-of-the-app';
const start = slackPerTest({ token: TOKEN, signing: SIGNING, agents: { helper: [EXIT] } });

async function post(url: string, headers: Record<string, string>, body: string): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(15_000) });
  await res.text();
  return res.status;
}

const event = (
  text: string,
  ts = `1700000000.${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`,
): Record<string, unknown> => eventCallback({ type: 'message', channel: 'C1', user: 'U1', text, ts });

describe.skipIf(!bwrap)('red team: the Slack events route', () => {
  it('forged, tampered, future-dated and oddly spelled signatures start nothing', async () => {
    const k = await start();
    const { url } = k;
    const good = signedEvent(SIGNING, event('genuine'));
    const other = signedEvent(SIGNING, event('another body'));
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[Record<string, string>, string]> = [
      [{ ...good.headers }, good.body.replace('genuine', 'tampered')],
      [{ ...good.headers, 'x-slack-signature': other.headers['x-slack-signature']! }, good.body],
      [signedEvent(SIGNING, event('future'), { timestamp: now + 600 }).headers, JSON.stringify(event('future'))],
      [{ ...good.headers, 'x-slack-signature': good.headers['x-slack-signature']!.toUpperCase() }, good.body],
      [
        { ...good.headers, 'x-slack-signature': `${good.headers['x-slack-signature']!}, v0=${'0'.repeat(64)}` },
        good.body,
      ],
      [{ ...good.headers, 'x-slack-request-timestamp': `${good.headers['x-slack-request-timestamp']!}.0` }, good.body],
      [{ ...good.headers, 'x-slack-signature': 'v0=' }, good.body],
      [{ 'content-type': 'application/json', 'x-slack-request-timestamp': String(now) }, good.body],
    ];
    for (const [headers, body] of cases) expect(await post(url, headers, body)).toBe(401);
    expect(k.kernel.channels.info('slack').counts.inbound).toBe(0);
    expect(k.kernel.units.runs('helper', 10)).toEqual([]);
    // The genuine one, for contrast, is taken.
    expect(await post(url, good.headers, good.body)).toBe(200);
    await until(() => k.kernel.channels.info('slack').counts.inbound === 1, 10_000, 'the genuine message taken');
  }, 40_000);

  it("a body over the gateway's cap is refused before the adapter sees it, and the adapter lives on", async () => {
    const k = await start();
    const { url } = k;
    const pid = k.kernel.channels.info('slack').pid;
    expect(await post(url, { 'content-type': 'application/json' }, 'a'.repeat(param.webhookMaxBodyBytes + 1))).toBe(
      413,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(k.kernel.channels.info('slack')).toMatchObject({ state: 'running', pid, restarts: 0 });
  }, 30_000);

  it("the route answers at once while the adapter is down (503), and the platform's retry is taken once it is back", async () => {
    const k = await start();
    const { url } = k;
    const pid = k.kernel.channels.info('slack').pid as number;
    process.kill(-pid, 'SIGKILL');
    await until(() => k.kernel.channels.info('slack').state !== 'running', 10_000, 'the adapter down');
    const message = signedEvent(SIGNING, event('while down'));
    const t0 = Date.now();
    expect(await post(url, message.headers, message.body)).toBe(503);
    expect(Date.now() - t0).toBeLessThan(3_000);
    await until(() => k.kernel.channels.info('slack').state === 'running', 20_000, 'the adapter back');
    expect(await post(url, message.headers, message.body)).toBe(200);
    await until(() => k.kernel.channels.info('slack').counts.inbound === 1, 10_000, 'the retry taken');
  }, 40_000);

  // Was broken: the whole body went in one channel.http line, which JSON escaping could take past the
  // protocol's line cap, and the adapter exited. Now a body over param.channelHttpMaxBodyBytes is 413 at
  // the kernel, and one under it stays under the line cap however it escapes.
  it.each([
    ['200 KB of control characters (6x when JSON-escaped): over the channel cap', '\u0001'.repeat(200_000), 413],
    ['600 KB of double quotes (2x when JSON-escaped): over the channel cap', '"'.repeat(600_000), 413],
    [
      'the channel cap of control characters (6x when JSON-escaped)',
      '\u0001'.repeat(param.channelHttpMaxBodyBytes),
      401,
    ],
  ])(
    'an unsigned request with %s is refused and does not bring the adapter down',
    async (_label, body, expected) => {
      const k = await start();
      const { url } = k;
      const before = k.kernel.channels.info('slack');
      const status = await post(url, { 'content-type': 'text/plain' }, body);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const after = k.kernel.channels.info('slack');
      expect({ status, state: after.state, samePid: after.pid === before.pid, restarts: after.restarts }).toEqual({
        status: expected,
        state: 'running',
        samePid: true,
        restarts: 0,
      });
    },
    30_000,
  );
});

// Was broken (low): platformTs() checked Number.isFinite(ms), but new Date(1e17).toISOString() throws.
describe('red team: a Slack event the adapter cannot read', () => {
  it('an event with an out-of-range ts is handed over or ignored, never a throw (a 503 Slack retries forever)', () => {
    const me = { team_id: 'T0FAKE', user_id: 'U0AOSBOT', user: 'aosbot' };
    for (const ts of ['99999999999999', '1e300', '-99999999999999']) {
      expect(() => inboundOf(me, { type: 'message', channel: 'C1', user: 'U1', text: 'x', ts }), ts).not.toThrow();
    }
  });
});
