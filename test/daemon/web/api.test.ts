import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { webView } from '../../../daemon/web/index.js';
import { call } from '../../helpers/kernel-harness.js';
import { raw, startWeb, type WebFixture } from '../../helpers/web.js';

const TURNS = 12;
let w: WebFixture;
let cookie = '';
let csrf = '';
beforeAll(async () => {
  vi.stubEnv('AOS_WEB_PORT', '0');
  w = await startWeb({
    root: [...Array.from({ length: TURNS }, (_, i) => ({ reply: call('SYS_WRITE_STDOUT', { text: `word${i}` }), usage: { prompt: 10, output: 1 } })), call('SYS_EXIT', { code: 0 })],
  });
  ({ cookie, csrf } = await w.login());
});
afterAll(async () => {
  await w.close();
  vi.unstubAllEnvs();
});

async function getJson<T>(path: string): Promise<{ status: number; body: T }> {
  const answer = await raw(w.port, path, { headers: { Cookie: cookie } });
  return { status: answer.status, body: JSON.parse(answer.body) as T };
}

interface Page {
  more: boolean;
  before: number | null;
  events: Array<{ id: number; e: { pid: number; type: string }; model?: string; cost?: number }>;
}

describe('web view API', () => {
  it('pages a history by event id, newest first, with the model and cost of each reply', async () => {
    const { pid } = await w.fx.kernel.spawn({ task: 'talk', model: w.fx.model });
    await w.fx.kernel.waitExit(pid);
    await w.fx.kernel.store.committed();
    const total = w.fx.kernel.history(pid).length;
    const seen: number[] = [];
    let before: number | null = null;
    for (;;) {
      const { status, body }: { status: number; body: Page } = await getJson<Page>(`/api/events?pid=${pid}&limit=10${before ? `&before=${before}` : ''}`);
      expect(status).toBe(200);
      seen.push(...body.events.map((f) => f.id));
      for (const f of body.events) if (f.e.type === 'model') expect(f).toMatchObject({ model: w.fx.model, cost: 0 });
      if (!body.more) break;
      before = body.before;
    }
    expect(seen).toHaveLength(total);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(new Set(seen).size).toBe(total);
    expect((await getJson('/api/events?before=x')).status).toBe(400);
  });

  it('searches, describes a process, and charts its usage', async () => {
    const hits = await getJson<Page>('/api/search?q=word11');
    expect(hits.body.events.length).toBeGreaterThan(0);
    const proc = await getJson<{ limits: { maxTurns: number } }>('/api/proc?pid=1');
    expect(proc.body.limits.maxTurns).toBeGreaterThan(0);
    expect((await getJson('/api/proc?pid=999')).status).toBe(404);
    const usage = await getJson<{ t: number[]; tokens: number[] }>('/api/usage?pid=1');
    expect(usage.body.tokens.at(-1)).toBe(TURNS * 11);
    expect(usage.body.tokens[0]).toBe(0);
  });

  it('methods this kernel lacks answer 404 ENOSYS, and the page is told which it has', async () => {
    const session = await getJson<{ features: { approvals: boolean; stop: boolean } }>('/api/session');
    const headers = { Cookie: cookie, Origin: `http://127.0.0.1:${w.port}`, 'Content-Type': 'application/json', 'X-AOS-CSRF': csrf };
    if (!session.body.features.stop) {
      const stop = await raw(w.port, '/api/stop', { method: 'POST', headers, body: '{"pid":1}' });
      expect([stop.status, JSON.parse(stop.body)]).toEqual([404, { error: { code: 'ENOSYS', message: 'this kernel has no method "stop"' } }]);
    }
    if (!session.body.features.approvals) expect((await getJson('/api/approvals')).status).toBe(404);
    const bad = await raw(w.port, '/api/send', { method: 'POST', headers, body: '{"pid":"one","text":"x"}' });
    expect(bad.status).toBe(400);
  });

  it('a stream exists only while a tab has it open: the view pays nothing once it is closed', async () => {
    const view = await webView(w.fx.kernel, () => Promise.reject(new Error('unused')));
    const opened = http.request({ host: '127.0.0.1', port: w.port, path: '/api/stream', headers: { Host: `127.0.0.1:${w.port}`, Cookie: cookie } });
    const firstBytes = new Promise<void>((resolve, reject) => {
      opened.on('response', (res) => res.once('data', () => resolve()));
      opened.on('error', reject);
    });
    opened.end();
    await firstBytes;
    expect(view.streams.size).toBe(1);
    opened.destroy();
    await vi.waitFor(() => expect(view.streams.size).toBe(0));
  });
});
