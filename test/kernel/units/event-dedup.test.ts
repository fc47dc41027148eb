/**
 * A unit trigger firing twice for the same event starts one run: a platform's retry of a webhook
 * delivery (its delivery id header, or the id in its body where the unit says) is answered with the
 * run the first delivery started — 200 `{"deduped": true, "pid"}` — recorded as a skipped run and on
 * the audit trail; the ids outlive a kernel restart. Other deliveries, and requests with no id, run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DELIVERY_HEADERS, eventIdSource, onEventId, webhookEventId } from '../../../kernel/units/event-id.js';
import { parseUnit } from '../../../kernel/units/spec.js';
import { ALL_CAPS, call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const REPLY = call('SYS_WEBHOOK_REPLY', { body: 'handled' });
const CAPS = { rootCapabilities: [...ALL_CAPS, 'webhook'], webhookPort: 0 };

async function post(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> | string; pid: string | null }> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  let json: Record<string, unknown> | string = text;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // a run's own answer
  }
  return { status: res.status, json, pid: res.headers.get('x-aos-pid') };
}

function addIntake(k: Harness, trigger: Record<string, unknown>): string {
  k.kernel.units.add(
    {
      name: 'intake',
      task: 'Event: {{trigger.body}}',
      model: `replay:${k.tape}`,
      capabilities: ['webhook'],
      triggers: [{ webhook: trigger }],
      on_overlap: 'parallel',
      max_parallel: 25,
    },
    { replace: true },
  );
  return k.kernel.units.webhooks('intake')[0]?.url as string;
}

const started = (k: Harness): number[] =>
  k.kernel.units
    .runs('intake', 100)
    .filter((r) => r.outcome === 'started')
    .map((r) => r.pid as number);

describe('units: one run per event id', () => {
  it('a retried delivery (the same X-GitHub-Delivery) starts no second run and is answered with the first', async () => {
    h = await startHarness({ intake: [REPLY, EXIT] }, CAPS);
    const url = addIntake(h, { path: 'push' });
    const first = await post(url, '{"ref":"main"}', { 'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' });
    expect(first).toMatchObject({ status: 200, json: 'handled' });
    const again = await post(url, '{"ref":"main"}', { 'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' });
    expect(again).toMatchObject({
      status: 200,
      json: {
        deduped: true,
        pid: Number(first.pid),
        event_id: 'x-github-delivery:72d3162e-cc78-11e3-81ab-4c9367dc0958',
      },
    });
    expect(started(h)).toEqual([Number(first.pid)]);
    const skipped = h.kernel.units.runs('intake', 100).find((r) => r.outcome === 'skipped');
    expect(skipped).toMatchObject({
      pid: Number(first.pid),
      reason: expect.stringMatching(/^duplicate of event x-github-delivery:72d3.*: run \d+ was started for it$/),
    });
    expect(
      h.kernel.store.audit
        .list({ limit: 100 })
        .filter((r) => r.call === 'TRIGGER')
        .map((r) => r.reason),
    ).toEqual(['started', expect.stringMatching(/^skipped: duplicate of event/)]);
    // Another delivery is other work; a request with no id is an event of its own, each time.
    expect((await post(url, '{}', { 'X-GitHub-Delivery': 'another' })).json).toBe('handled');
    expect((await post(url, '{}')).json).toBe('handled');
    expect((await post(url, '{}')).json).toBe('handled');
    expect(started(h)).toHaveLength(4);
  }, 30_000);

  it('ten copies of one delivery at once start one run', async () => {
    h = await startHarness({ intake: [{ reply: REPLY, delay_ms: 200 }, EXIT] }, CAPS);
    const url = addIntake(h, { path: 'hook' });
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => post(url, '{}', { 'Idempotency-Key': 'evt-1' })),
    );
    expect(answers.filter((a) => a.json === 'handled')).toHaveLength(1);
    const pid = Number(answers.find((a) => a.json === 'handled')?.pid);
    expect(answers.filter((a) => typeof a.json === 'object').map((a) => a.json)).toEqual(
      Array(9).fill({ deduped: true, pid, event_id: 'idempotency-key:evt-1' }),
    );
    expect(started(h)).toEqual([pid]);
  }, 30_000);

  it('reads the id from the body where the unit says (Telegram update_id, Stripe id), and not at all with none', async () => {
    h = await startHarness({ intake: [REPLY, EXIT] }, CAPS);
    const url = addIntake(h, { path: 'tg', event_id: 'body:update_id' });
    const update = JSON.stringify({ update_id: 815, message: { text: 'hi' } });
    const first = await post(url, update, { 'X-GitHub-Delivery': 'ignored: the unit reads the body' });
    expect((await post(url, update, { 'X-GitHub-Delivery': 'another' })).json).toEqual({
      deduped: true,
      pid: Number(first.pid),
      event_id: 'body.update_id:815',
    });
    expect((await post(url, JSON.stringify({ update_id: 816 }))).json).toBe('handled');
    expect(started(h)).toHaveLength(2);

    h.kernel.units.add(
      {
        name: 'intake',
        task: 'Event',
        model: `replay:${h.tape}`,
        capabilities: ['webhook'],
        triggers: [{ webhook: { path: 'tg', event_id: 'none' } }],
        on_overlap: 'parallel',
      },
      { replace: true },
    );
    const same = { 'Idempotency-Key': 'k' };
    expect((await post(url, update, same)).json).toBe('handled');
    expect((await post(url, update, same)).json).toBe('handled');
  }, 30_000);

  it('a unit removed and added again under its name starts with no event ids of the old one', async () => {
    h = await startHarness({ intake: [REPLY, EXIT] }, CAPS);
    const first = await post(addIntake(h, { path: 'push' }), '{}', { 'X-GitHub-Delivery': 'd-1' });
    expect(first.json).toBe('handled');
    h.kernel.units.remove('intake');
    const again = await post(addIntake(h, { path: 'push' }), '{}', { 'X-GitHub-Delivery': 'd-1' });
    expect(again.json).toBe('handled');
    expect(again.pid).not.toBe(first.pid);
  }, 30_000);

  it('a retry after a kernel restart still finds the run its delivery started', async () => {
    const keep = await mkdtemp(path.join(os.tmpdir(), 'aos-event-id-'));
    const storeFile = path.join(keep, 'aos.db');
    try {
      h = await startHarness({ intake: [REPLY, EXIT] }, { ...CAPS, storeFile });
      const first = await post(addIntake(h, { path: 'push' }), '{}', {
        'Webhook-Id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
      });
      await h.close();
      h = await startHarness({ intake: [REPLY, EXIT] }, { ...CAPS, storeFile });
      const url = addIntake(h, { path: 'push' });
      expect((await post(url, '{}', { 'Webhook-Id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W' })).json).toMatchObject({
        deduped: true,
        pid: Number(first.pid),
      });
      expect((await post(url, '{}', { 'Webhook-Id': 'msg_other' })).json).toBe('handled');
    } finally {
      // The kernel closes its store (and a run still ending writes its last rows) before the
      // directory holding it goes.
      await h?.close();
      h = null;
      await rm(keep, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('event ids', () => {
  it('takes the first delivery header present, by any case, and bounds long ids', () => {
    const source = eventIdSource(undefined, 't');
    const headers = (h: Record<string, string>) => (name: string) => h[name];
    expect(webhookEventId(source, headers({ 'svix-id': 's1', 'x-github-delivery': 'g1' }), '')).toBe('svix-id:s1');
    expect(webhookEventId(source, headers({ 'x-github-delivery': '  g1 ' }), '')).toBe('x-github-delivery:g1');
    expect(webhookEventId(source, headers({ 'x-github-delivery': '   ' }), '')).toBeNull();
    expect(webhookEventId(source, headers({}), '')).toBeNull();
    expect(webhookEventId(source, headers({ 'x-event-id': 'x'.repeat(500) }), '')).toMatch(
      /^x-event-id:sha256:[0-9a-f]{64}$/,
    );
    expect(DELIVERY_HEADERS.every((n) => n === n.toLowerCase())).toBe(true);
    expect(webhookEventId(eventIdSource('header:X-Custom-Id', 't'), headers({ 'x-custom-id': 'c' }), '')).toBe(
      'x-custom-id:c',
    );
  });

  it('reads a body path: strings and numbers only; not JSON, absent, or an object is no id', () => {
    const at = eventIdSource('body:data.object.id', 't');
    const none = () => undefined;
    expect(webhookEventId(at, none, '{"data":{"object":{"id":"evt_1"}}}')).toBe('body.data.object.id:evt_1');
    expect(webhookEventId(at, none, '{"data":{"object":{"id":7}}}')).toBe('body.data.object.id:7');
    for (const body of [
      'not json',
      '{}',
      '{"data":{"object":{"id":{}}}}',
      '{"data":[1]}',
      'null',
      '{"data":{"object":{"id":""}}}',
    ])
      expect(webhookEventId(at, none, body)).toBeNull();
  });

  it('refuses an event_id it cannot read, saying what it takes', () => {
    for (const bad of ['query:id', 'header:', 'body:a..b', 'header:bad name']) {
      expect(() => eventIdSource(bad, 'triggers[0].webhook')).toThrow(
        /triggers\[0\]\.webhook: event_id .* is header:<name> .*body:<json\.path> .* or none/,
      );
    }
    expect(() =>
      parseUnit('name: x\ntask: t\ntriggers:\n  - webhook: {path: in, event_id: "cookie:x"}\n', 'u.yaml'),
    ).toThrow(/event_id "cookie:x"/);
  });

  it('names what happened for on triggers: an exit by its run, an approval by its id; a budget crossing none', () => {
    expect(onEventId({ event: 'exit', unit: 'build', pid: 12, code: 1, state: 'exited' })).toBe('exit:build:12');
    expect(onEventId({ event: 'approval_expired', pid: 3, approval: 'ab12', call: 'FS_WRITE', rule: 'r' })).toBe(
      'approval:ab12',
    );
    expect(
      onEventId({
        event: 'budget',
        budget: 'daily',
        key: 'all',
        window: 'daily:2026-11-25',
        level: 'warning',
        spent_usd: 1,
        spent_tokens: 2,
      }),
    ).toBeNull();
  });
});
