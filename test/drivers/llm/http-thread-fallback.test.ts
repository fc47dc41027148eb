/**
 * An HTTP client thread that cannot start (a Worker refused where threads are scarce, its client not
 * loaded in it): what it held is retried, and whole replies are read on the kernel's thread from
 * then on — never a model that stops answering because a thread would not start.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { POOL_OPTIONS, postJson, startHttpThread, useHttpThread } from '../../../drivers/llm/http-post.js';
import { HttpThread } from '../../../drivers/llm/http-thread.js';
import { createOpenAIDriver } from '../../../drivers/llm/openai.js';
import type { ModelRequest } from '../../../drivers/llm/types.js';
import { startFakeProvider } from '../../fakes/fake-provider.js';
import { loopbackServers } from '../../helpers/loopback-http.js';

// node:worker_threads as it is, but a Worker can be refused (as `new Worker` throws when the host has no threads left).
const refuse = vi.hoisted(() => ({ workers: false, made: 0 }));
vi.mock('node:worker_threads', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:worker_threads')>();
  class Refusable extends real.Worker {
    constructor(source: string | URL, options?: import('node:worker_threads').WorkerOptions) {
      if (refuse.workers)
        throw Object.assign(new Error('Worker initialization failure'), { code: 'ERR_WORKER_INIT_FAILED' });
      super(source, options);
    }
  }
  return { ...real, Worker: Refusable, default: { ...real, Worker: Refusable } };
});

const { serve } = loopbackServers();
const made: HttpThread[] = [];
const broken = (): HttpThread => {
  const t = new HttpThread(POOL_OPTIONS, '/nonexistent/undici/index.js');
  made.push(t);
  return t;
};

afterEach(async () => {
  refuse.workers = false;
  useHttpThread(true, new HttpThread(POOL_OPTIONS));
  await Promise.all(made.splice(0).map((t) => t.close()));
});

const echo = (): Promise<string> =>
  serve((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => res.end(JSON.stringify({ got: body })));
  });

describe('an HTTP client thread that cannot start', () => {
  it('fails what it held as a connection reset (retried), says why, and ready() resolves', async () => {
    const url = await echo();
    const t = broken();
    const held = t.request('POST', url, {}, '{}', new AbortController().signal);
    await expect(held).rejects.toMatchObject({
      code: 'ECONNRESET',
      message: expect.stringMatching(/^the HTTP client's thread could not start: .*nonexistent/),
    });
    await t.ready();
    expect(t.startFailure?.message).toMatch(/nonexistent/);
    expect(t.inFlight).toBe(0);
  });

  it('is not started again: neither by ready() (a driver opened or made) nor by a request or an abort', async () => {
    const url = await echo();
    const t = broken();
    useHttpThread(true, t);
    await startHttpThread();
    expect(t.startFailure).not.toBeNull();
    const made = refuse.made;
    for (let i = 0; i < 3; i++) await startHttpThread();
    await expect(t.request('POST', url, {}, '{}', new AbortController().signal)).rejects.toMatchObject({
      code: 'ECONNRESET',
    });
    const aborted = new AbortController();
    const reply = postJson(url, {}, '{}', aborted.signal);
    aborted.abort();
    await reply.catch(() => undefined);
    expect(refuse.made).toBe(made);
  });

  it('a Worker refused outright: the request fails as a reset at once, nothing left waiting', async () => {
    refuse.workers = true;
    const t = new HttpThread(POOL_OPTIONS);
    made.push(t);
    await expect(t.request('GET', 'http://127.0.0.1:9/', {}, null, new AbortController().signal)).rejects.toMatchObject(
      {
        code: 'ECONNRESET',
        message: expect.stringContaining('Worker initialization failure'),
      },
    );
    await t.ready();
    expect(t.startFailure).toMatchObject({ code: 'ERR_WORKER_INIT_FAILED' });
    expect(t.inFlight).toBe(0);
  });

  it('postJson then reads whole replies on the kernel’s thread, and the process is warned once', async () => {
    const url = await echo();
    const warnings: Error[] = [];
    const onWarning = (w: Error): number => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const t = broken();
      useHttpThread(true, t);
      await t.ready();
      for (let i = 0; i < 3; i++) {
        const reply = await postJson(
          url,
          { 'content-type': 'application/json' },
          `{"n":${i}}`,
          new AbortController().signal,
        );
        expect(reply).toMatchObject({ status: 200, bodyText: JSON.stringify({ got: `{"n":${i}}` }) });
      }
      await new Promise((resolve) => setImmediate(resolve));
      const ours = warnings.filter((w) => (w as Error & { code?: string }).code === 'AOS_HTTP_THREAD');
      expect(ours).toHaveLength(1);
      expect(ours[0]?.message).toMatch(/could not start .*model replies are read on the kernel's thread/);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it("a driver's turns still get their replies: what the thread held fails as a retryable reset, the retry is answered", async () => {
    const fake = await startFakeProvider({ reply: 'answered' });
    try {
      useHttpThread(true, broken());
      // Not awaiting the driver's open: the first request reaches the thread before it fails to start.
      const driver = createOpenAIDriver({ model: 'm', baseUrl: `${fake.url}/v1`, apiKey: 'k' });
      await expect(driver.complete(request())).rejects.toMatchObject({ kind: 'network', retryable: true });
      // The model pool's retry (kernel/sched): from now on on the kernel's thread.
      for (let i = 0; i < 2; i++) expect((await driver.complete(request())).text).toBe('answered');
      expect(fake.requests).toHaveLength(2);
    } finally {
      await fake.close();
    }
  });

  it("a driver's turns get their replies from the first when the Worker is refused outright", async () => {
    const fake = await startFakeProvider({ reply: 'answered' });
    try {
      refuse.workers = true;
      useHttpThread(true, new HttpThread(POOL_OPTIONS));
      const driver = createOpenAIDriver({ model: 'm', baseUrl: `${fake.url}/v1`, apiKey: 'k' });
      for (let i = 0; i < 2; i++) expect((await driver.complete(request())).text).toBe('answered');
      expect(fake.requests).toHaveLength(2);
    } finally {
      await fake.close();
    }
  });
});

function request(): ModelRequest {
  return {
    system: 'sys',
    messages: [{ role: 'user', text: 'hi' }],
    proc: { pid: 1, name: 'p', turn: 0 },
    signal: new AbortController().signal,
  };
}
