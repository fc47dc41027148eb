/** The web view's stream carries replies as they are written (`text` frames) while a tab is open, before the turn's event. */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EXIT } from '../../helpers/kernel-harness.js';
import { startWeb, type WebFixture } from '../../helpers/web.js';
import { until } from '../../helpers/until.js';

const REPLY = `Reading the inbox, then writing the digest. ${'More words as they come. '.repeat(5)}${EXIT}`;

let w: WebFixture;
let cookie = '';
beforeAll(async () => {
  vi.stubEnv('AOS_WEB_PORT', '0');
  w = await startWeb({ writer: [{ reply: REPLY, delay_ms: 400 }] });
  ({ cookie } = await w.login());
});
afterAll(async () => {
  await w.close();
  vi.unstubAllEnvs();
});

describe('web stream: text as it is written', () => {
  it('sends text frames for the reply, joined its text, before the model event; nothing streams once the tab is gone', async () => {
    let body = '';
    const req = http.request({
      host: '127.0.0.1',
      port: w.port,
      path: '/api/stream',
      headers: { Host: `127.0.0.1:${w.port}`, Cookie: cookie },
    });
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
    });
    req.end();
    await until(() => body.includes('event: hello'));
    expect(w.fx.kernel.live.watched).toBe(true);
    const { pid } = await w.fx.kernel.spawn({ task: 'write', model: w.fx.model, name: 'writer' });
    await w.fx.kernel.waitExit(pid);
    await until(() => /"type":"model"/.test(body));
    const frames = body
      .split('\n\n')
      .map((f) => ({ event: /^event: (.+)$/m.exec(f)?.[1], data: /^data: (.+)$/m.exec(f)?.[1] ?? '' }));
    const texts = frames
      .filter((f) => f.event === 'text')
      .map((f) => JSON.parse(f.data) as { pid: number; text: string });
    expect(texts.length).toBeGreaterThan(1);
    expect(texts.every((t) => t.pid === pid)).toBe(true);
    expect(texts.map((t) => t.text).join('')).toBe(REPLY);
    const modelAt = frames.findIndex((f) => f.event === 'ev' && f.data.includes('"type":"model"'));
    expect(frames.map((f) => f.event).lastIndexOf('text')).toBeLessThan(modelAt);
    req.destroy();
    await until(() => !w.fx.kernel.live.watched);
  });
});
