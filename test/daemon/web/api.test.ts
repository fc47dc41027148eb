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
    root: [
      ...Array.from({ length: TURNS }, (_, i) => ({
        reply: call('SYS_WRITE_STDOUT', { text: `word${i}` }),
        usage: { prompt: 10, output: 1 },
      })),
      call('SYS_EXIT', { code: 0 }),
    ],
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
    const total = (await w.fx.kernel.history(pid)).length;
    const seen: number[] = [];
    let before: number | null = null;
    for (;;) {
      const { status, body }: { status: number; body: Page } = await getJson<Page>(
        `/api/events?pid=${pid}&limit=10${before ? `&before=${before}` : ''}`,
      );
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
    const proc = await getJson<{ limits: { maxTurns: number }; taint: { tainted: boolean; sources: unknown[] } }>(
      '/api/proc?pid=1',
    );
    expect(proc.body.limits.maxTurns).toBeGreaterThan(0);
    // Its taint as aos inspect shows it (issue 49.4): this process read nothing from outside.
    expect(proc.body.taint).toMatchObject({ tainted: false, sources: [] });
    expect((await getJson('/api/proc?pid=999')).status).toBe(404);
    const usage = await getJson<{ t: number[]; tokens: number[] }>('/api/usage?pid=1');
    expect(usage.body.tokens.at(-1)).toBe(TURNS * 11);
    expect(usage.body.tokens[0]).toBe(0);
  });

  it('methods this kernel lacks answer 404 ENOSYS, and the page is told which it has', async () => {
    const session = await getJson<{ features: { approvals: boolean; stop: boolean } }>('/api/session');
    const headers = {
      Cookie: cookie,
      Origin: `http://127.0.0.1:${w.port}`,
      'Content-Type': 'application/json',
      'X-AOS-CSRF': csrf,
    };
    if (!session.body.features.stop) {
      const stop = await raw(w.port, '/api/stop', { method: 'POST', headers, body: '{"pid":1}' });
      expect([stop.status, JSON.parse(stop.body)]).toEqual([
        404,
        { error: { code: 'ENOSYS', message: 'this kernel has no method "stop"' } },
      ]);
    }
    if (!session.body.features.approvals) expect((await getJson('/api/approvals')).status).toBe(404);
    const bad = await raw(w.port, '/api/send', { method: 'POST', headers, body: '{"pid":"one","text":"x"}' });
    expect(bad.status).toBe(400);
  });

  it('lists threads and shows one: summary, entries (the newest, or after a seq), the processes that used it', async () => {
    const session = await getJson<{ features: { threads: boolean } }>('/api/session');
    expect(session.body.features.threads).toBe(true);
    const threads = w.fx.kernel.threads;
    threads.append('client:acme', { text: 'net 30 agreed', kind: 'decision', pid: 0, unit: null });
    threads.append('client:acme', { text: 'invoice 117 sent', kind: 'result', pid: 1, unit: 'billing' });
    threads.append('client:zeta/eu', { text: 'first contact', pid: 0, unit: null });
    await w.fx.kernel.store.committed();
    interface Info {
      key: string;
      entries: number;
      last_seq: number;
      summary_through: number;
    }
    interface Show {
      thread: Info;
      summary: string;
      entries: Array<{ seq: number; pid: number; unit: string | null; kind: string; text: string }>;
      next_since: number | null;
      processes: Array<{ pid: number; how: string }>;
    }
    const all = await getJson<{ threads: Info[] }>('/api/threads');
    expect(all.body.threads.map((t) => t.key)).toEqual(['client:acme', 'client:zeta/eu']);
    const acme = await getJson<{ threads: Info[] }>(`/api/threads?prefix=${encodeURIComponent('client:a')}`);
    expect(acme.body.threads).toEqual([
      expect.objectContaining({ key: 'client:acme', entries: 2, last_seq: 2, summary_through: 0 }),
    ]);
    const shown = await getJson<Show>(`/api/thread?key=${encodeURIComponent('client:acme')}`);
    expect(shown.status).toBe(200);
    expect(shown.body.entries.map((e) => [e.seq, e.pid, e.unit, e.kind, e.text])).toEqual([
      [1, 0, null, 'decision', 'net 30 agreed'],
      [2, 1, 'billing', 'result', 'invoice 117 sent'],
    ]);
    expect(shown.body.processes).toEqual([{ pid: 1, how: 'wrote' }]);
    expect(shown.body.summary).toBe('');
    const after = await getJson<Show>(`/api/thread?key=${encodeURIComponent('client:acme')}&since=1`);
    expect([after.body.entries.map((e) => e.seq), after.body.next_since]).toEqual([[2], null]);
    const paged = await getJson<Show>(`/api/thread?key=${encodeURIComponent('client:acme')}&since=0&limit=1`);
    expect([paged.body.entries.map((e) => e.seq), paged.body.next_since]).toEqual([[1], 1]);
    const newest = await getJson<Show>(`/api/thread?key=${encodeURIComponent('client:acme')}&limit=1`);
    expect(newest.body.entries.map((e) => e.seq)).toEqual([2]);
    expect((await getJson<Show>(`/api/thread?key=${encodeURIComponent('client:zeta/eu')}`)).body.thread.key).toBe(
      'client:zeta/eu',
    );
    // Refused as the CLI's call would be: no such thread 404, a bad key, prefix or number 400.
    const none = await getJson<{ error: { code: string } }>(`/api/thread?key=${encodeURIComponent('client:none')}`);
    expect([none.status, none.body.error.code]).toEqual([404, 'ENOENT']);
    for (const bad of [
      '/api/thread',
      '/api/thread?key=Client%3AAcme',
      '/api/thread?key=client%3Aacme&since=x',
      '/api/thread?key=client%3Aacme&limit=0',
      '/api/threads?prefix=A%20B',
    ]) {
      expect((await getJson(bad)).status, bad).toBe(400);
    }
  });

  it('a stream exists only while a tab has it open: the view pays nothing once it is closed', async () => {
    const view = await webView(w.fx.kernel, () => Promise.reject(new Error('unused')));
    const opened = http.request({
      host: '127.0.0.1',
      port: w.port,
      path: '/api/stream',
      headers: { Host: `127.0.0.1:${w.port}`, Cookie: cookie },
    });
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
