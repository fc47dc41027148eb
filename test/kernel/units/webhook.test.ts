/**
 * The webhook trigger on a real gateway: each request starts one run, bound to it, which answers it
 * (SYS_WEBHOOK_REPLY with no request id: the one waiting); 20 at once give 20 runs, each answering
 * its own request; a request the overlap policy does not run is answered at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../../protocol/events.js';
import { ALL_CAPS, call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const REPLY = call('SYS_WEBHOOK_REPLY', { body: 'handled' });

async function post(url: string, body: string): Promise<{ status: number; text: string; pid: string | null }> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
  return { status: res.status, text: await res.text(), pid: res.headers.get('x-aos-pid') };
}

describe('units: the webhook trigger', () => {
  it('20 requests at once give 20 runs, each answering its own request', async () => {
    h = await startHarness(
      { intake: [{ reply: REPLY, expect: '[EVENT::TRIGGER] {"unit":"intake","trigger":"webhook orders"' }, EXIT] },
      { rootCapabilities: [...ALL_CAPS, 'webhook'], webhookPort: 0 },
    );
    const k = h;
    k.kernel.units.add({
      name: 'intake',
      task: 'Order: {{trigger.body}}',
      model: `replay:${k.tape}`,
      capabilities: ['webhook'],
      triggers: [{ webhook: 'orders' }],
      on_overlap: 'parallel',
      max_parallel: 25,
    });
    const [hook] = k.kernel.units.webhooks('intake');
    expect(hook?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hooks\/[\w-]{32}\/orders$/);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => post(hook?.url as string, `order-${i}`)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(answers.every((a) => a.text === 'handled')).toBe(true);
    const pids = answers.map((a) => Number(a.pid));
    expect(new Set(pids).size).toBe(20);
    // Each answer came from the run its own request started: that run was given that body.
    answers.forEach((a, i) => {
      const first = k.eventsOf(Number(a.pid), 'prompt')[0] as Extract<KernelEvent, { type: 'prompt' }>;
      expect(first.text).toContain(`[TASK] Order: "order-${i}"`);
      expect(first.text).toMatch(/"request_id":"w\d+"/);
    });
  }, 30_000);

  it('a request the overlap policy does not run is answered 429 at once, saying why; a wrong token is 404', async () => {
    h = await startHarness(
      { slow: [call('RECV_MSG', { timeout_s: 60 })] },
      { rootCapabilities: [...ALL_CAPS, 'webhook'], webhookPort: 0 },
    );
    const k = h;
    k.kernel.units.add({
      name: 'slow',
      task: 't',
      model: `replay:${k.tape}`,
      triggers: [{ webhook: { path: 'in' } }],
      on_overlap: 'skip',
    });
    const url = k.kernel.units.webhooks('slow')[0]?.url as string;
    const first = post(url, 'one');
    const started = () => k.events.some((e) => e.type === 'trigger' && e.outcome === 'started');
    while (!started()) await new Promise((resolve) => setTimeout(resolve, 10));
    const second = await post(url, 'two');
    expect(second.status).toBe(429);
    expect(second.text).toMatch(/slow: not run: a run is still going/);
    expect((await post(url.replace(/\/hooks\/[\w-]+\//, '/hooks/wrongtokenwrongtokenwrongtoken00/'), 'x')).status).toBe(
      404,
    );
    k.kernel.kill(k.kernel.units.info('slow').live[0] as number);
    expect((await first).status).toBe(410); // its run ended without answering
  }, 30_000);

  it('a webhook unit whose runs would not hold webhook is refused at add, preview and up, saying what to add (issue 51.4)', async () => {
    h = await startHarness({ x: [EXIT] }, { rootCapabilities: ALL_CAPS, webhookPort: 0 });
    const k = h;
    const hook = (capabilities?: string[]): Record<string, unknown> => ({
      name: 'hook',
      task: 't',
      model: `replay:${k.tape}`,
      ...(capabilities ? { capabilities } : {}),
      triggers: [{ webhook: 'in' }],
    });
    expect(() => k.kernel.units.add(hook(['fs.read:/**']))).toThrow(
      /unit hook has a webhook trigger, but its capabilities lack "webhook".*add "webhook" to its capabilities/,
    );
    expect(() => k.kernel.units.preview(hook(['fs.read:/**']))).toThrow(/its capabilities lack "webhook"/);
    // Its runs would hold the root's all: the root lacks it.
    expect(() => k.kernel.units.add(hook())).toThrow(/the policy's root does not hold the webhook capability/);
    // Asked for and not held: the usual refusal, naming it.
    expect(() => k.kernel.units.add(hook(['webhook']))).toThrow(/asks for more than the policy's root holds: webhook/);
    expect(k.kernel.units.list()).toEqual([]);
    // A unit without a webhook trigger needs no webhook.
    expect(
      k.kernel.units.add({ name: 'plain', task: 't', model: `replay:${k.tape}`, capabilities: ['ipc'] }).name,
    ).toBe('plain');
  });
});
