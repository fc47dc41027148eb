/** Webhooks outlive a kernel restart: the URL stays valid and reaches the resumed process. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../protocol/events.js';
import { Kernel } from '../../kernel/kernel.js';
import { ALL_CAPS, call, EXIT } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';
import { gatewayAt } from '../helpers/gateway.js';

let dir: string;
let kernels: Kernel[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-gateway-restart-'));
});
afterEach(async () => {
  for (const k of kernels) await k.close();
  kernels = [];
  await rm(dir, { recursive: true, force: true });
});

async function boot(webhookPort: number): Promise<{ kernel: Kernel; events: KernelEvent[] }> {
  const kernel = await Kernel.create({
    workspace: path.join(dir, 'ws'),
    rootCapabilities: [...ALL_CAPS, 'webhook'],
    storeFile: path.join(dir, 'aos.db'),
    cwd: dir,
    gateway: gatewayAt(webhookPort),
  });
  kernels.push(kernel);
  const events: KernelEvent[] = [];
  kernel.events.subscribe((e) => events.push(e));
  return { kernel, events };
}

describe('webhooks across a kernel restart', () => {
  it('keeps the URL: a request after the restart reaches the resumed process, with a fresh request id', async () => {
    const model = `replay:${path.join(dir, 'tape.yaml')}`;
    await writeFile(
      path.join(dir, 'tape.yaml'),
      YAML.stringify({
        agents: {
          root: [
            call('SYS_REGISTER_WEBHOOK', { path: 'deploy' }),
            call('RECV_MSG', { timeout_s: 30 }),
            { expect: '"request_id":"w1"', reply: call('SYS_WEBHOOK_REPLY', { request_id: 'w1', body: 'before' }) },
            call('RECV_MSG', { timeout_s: 30 }),
            {
              expect: ['"errno":"EINTR"', '"request_id":"w2"', '"body":"after"'],
              reply: call('SYS_WEBHOOK_REPLY', { request_id: 'w2', body: 'resumed' }),
            },
            { expect: '"ok":true', reply: EXIT },
          ],
        },
      }),
    );
    const a = await boot(0);
    const pcb = await a.kernel.spawn({ task: 't', model });
    await until(() => a.kernel.pcb(pcb.pid)?.state === 'blocked');
    const registered = a.events.find((e) => e.type === 'result' && e.name === 'SYS_REGISTER_WEBHOOK');
    const url = (registered?.type === 'result' ? (registered.value as { url: string }) : { url: '' }).url;
    expect(await (await fetch(url, { method: 'POST', body: 'first' })).text()).toBe('before');
    await until(() => a.kernel.pcb(pcb.pid)?.state === 'blocked');
    const port = a.kernel.gateway?.address().port ?? 0;
    await a.kernel.close();
    await expect(fetch(url)).rejects.toThrow();

    const b = await boot(port);
    expect(b.kernel.gatewayUrl).toBe(`http://127.0.0.1:${port}`);
    expect(b.kernel.pcb(pcb.pid)?.state).toBe('blocked');
    const res = await fetch(url, { method: 'POST', body: 'after' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('resumed');
    expect((await b.kernel.waitExit(pcb.pid)).exitCode).toBe(0);
    // Ended owner, after yet another restart: 410, not 404.
    await b.kernel.close();
    const c = await boot(0);
    const again = url.replace(`:${port}/`, `:${c.kernel.gateway?.address().port}/`);
    expect((await fetch(again)).status).toBe(410);
  });

  it('answers 503 to a request still waiting when the kernel stops, and stops promptly', async () => {
    await writeFile(
      path.join(dir, 'tape.yaml'),
      YAML.stringify({
        agents: {
          root: [
            call('SYS_REGISTER_WEBHOOK', { path: 'slow' }),
            call('RECV_MSG', { timeout_s: 30 }),
            call('SLEEP', { seconds: 30 }),
          ],
        },
      }),
    );
    const a = await boot(0);
    const pcb = await a.kernel.spawn({ task: 't', model: `replay:${path.join(dir, 'tape.yaml')}` });
    await until(() => a.kernel.pcb(pcb.pid)?.state === 'blocked');
    const registered = a.events.find((e) => e.type === 'result' && e.name === 'SYS_REGISTER_WEBHOOK');
    const url = (registered?.type === 'result' ? (registered.value as { url: string }) : { url: '' }).url;
    const pending = fetch(url, { method: 'POST', body: 'x' });
    await until(() => a.kernel.pcb(pcb.pid)?.state === 'sleeping');
    const start = Date.now();
    await a.kernel.close();
    // Far under the 30 s reply timeout: stopping answers waiting requests instead of waiting for them.
    expect(Date.now() - start).toBeLessThan(5000);
    const res = await pending;
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'the kernel is stopping' });
  });
});
