/**
 * The webhook gateway over real HTTP on 127.0.0.1 (port 0) against a real kernel on an inline
 * replay tape: register, deliver as [EVENT::WEBHOOK], reply, and every way a request can fail.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../protocol/events.js';
import { Kernel } from '../../kernel/kernel.js';
import { param } from '../../sys/param.js';
import type { Pcb } from '../../sys/types.js';
import { ALL_CAPS, call, EXIT, startHarness, type TapeEntry } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';
import { gatewayAt } from '../helpers/gateway.js';
import { turnOf } from '../../kernel/loop/turn-state.js';

const CAPS = [...ALL_CAPS, 'webhook'];
const BLOCK = call('RECV_MSG', { timeout_s: 30 });

interface Booted {
  kernel: Kernel;
  events: KernelEvent[];
  spawn(name?: string): Promise<Pcb>;
}

let dirs: string[] = [];
let kernels: Kernel[] = [];
afterEach(async () => {
  for (const k of kernels) await k.shutdown();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  kernels = [];
  dirs = [];
});

async function boot(
  agents: Record<string, TapeEntry[]>,
  options: { caps?: string[]; replyTimeoutMs?: number } = {},
): Promise<Booted> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-gateway-'));
  dirs.push(dir);
  const tape = path.join(dir, 'tape.yaml');
  await writeFile(tape, YAML.stringify({ agents }));
  const kernel = await Kernel.create({
    workspace: path.join(dir, 'ws'),
    rootCapabilities: options.caps ?? CAPS,
    cwd: dir,
    gateway: gatewayAt(0),
    ...(options.replyTimeoutMs ? { webhookReplyTimeoutMs: options.replyTimeoutMs } : {}),
  });
  kernels.push(kernel);
  const events: KernelEvent[] = [];
  kernel.events.subscribe((e) => events.push(e));
  return { kernel, events, spawn: (name = 'root') => kernel.spawn({ task: 't', model: `replay:${tape}`, name }) };
}

type Result = Extract<KernelEvent, { type: 'result' }>;
const results = (b: Booted, pid: number): Result[] =>
  b.events.filter((e): e is Result => e.type === 'result' && e.pid === pid);

/** Spawn, and resolve with the URL once the process registered and is blocked. */
async function registered(b: Booted, name = 'root'): Promise<{ pcb: Pcb; url: string }> {
  const pcb = await b.spawn(name);
  await until(() => results(b, pcb.pid).length > 0 && b.kernel.pcb(pcb.pid)?.state === 'blocked');
  const value = results(b, pcb.pid)[0]?.value as { url: string };
  return { pcb, url: value.url };
}

const REGISTER = call('SYS_REGISTER_WEBHOOK', { path: 'github/push' });

describe('webhook gateway', () => {
  it('delivers a request as [EVENT::WEBHOOK], waking RECV_MSG with EINTR, and answers with SYS_WEBHOOK_REPLY', async () => {
    const b = await boot({
      root: [
        REGISTER,
        { expect: '"url":"http://127.0.0.1:', reply: BLOCK },
        {
          expect: [
            '"errno":"EINTR"',
            '[EVENT::WEBHOOK] {"request_id":"w1"',
            '"method":"POST"',
            '"path":"github/push"',
            '"body":"{\\"a\\":1}"',
          ],
          reply: call('SYS_WEBHOOK_REPLY', { request_id: 'w1', status: 201, body: 'thanks' }),
        },
        { expect: '[SYS_RESULT::SYS_WEBHOOK_REPLY] {"ok":true', reply: EXIT },
      ],
    });
    const { pcb, url } = await registered(b);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hooks\/[A-Za-z0-9_-]{32}\/github\/push$/);
    expect(url.startsWith(`${b.kernel.gatewayUrl}/hooks/`)).toBe(true);
    const res = await fetch(url, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('thanks');
    expect((await b.kernel.waitExit(pcb.pid)).exitCode).toBe(0);
    expect(b.events).toContainEqual(expect.objectContaining({ type: 'message', channel: 'webhook', to_pid: pcb.pid }));
  });

  it('interrupts the next blocking call when the request arrived while the process was busy', async () => {
    const b = await boot({
      root: [
        REGISTER,
        { reply: BLOCK, delay_ms: 400 },
        {
          expect: ['"errno":"EINTR"', '"request_id":"w1"'],
          reply: call('SYS_WEBHOOK_REPLY', { request_id: 'w1', body: 'seen' }),
        },
        EXIT,
      ],
    });
    const pcb = await b.spawn();
    await until(() => results(b, pcb.pid).length > 0);
    const url = (results(b, pcb.pid)[0]?.value as { url: string }).url;
    const start = Date.now();
    const res = await fetch(url, { method: 'POST', body: 'x' });
    expect(await res.text()).toBe('seen');
    expect(Date.now() - start).toBeLessThan(5000);
  });

  it('passes method, query and safe headers, never credentials, and keeps the token out of the event', async () => {
    const b = await boot({ root: [REGISTER, BLOCK, call('RECV_MSG', { timeout_s: 30 })] });
    const { pcb, url } = await registered(b);
    const pending = fetch(`${url}?a=1&a=2&b=x`, {
      method: 'PUT',
      body: 'hello',
      headers: {
        'x-github-event': 'push',
        authorization: 'Bearer SECRET1',
        'x-api-key': 'SECRET2',
        cookie: 's=SECRET3',
      },
    });
    await until(
      () => turnOf(b.kernel.proc(pcb.pid))?.transcript.some((m) => m.text.includes('[EVENT::WEBHOOK]')) ?? false,
    );
    const text =
      turnOf(b.kernel.proc(pcb.pid))?.transcript.find((m) => m.text.includes('[EVENT::WEBHOOK]'))?.text ?? '';
    const event = JSON.parse(text.slice(text.indexOf('[EVENT::WEBHOOK] ') + 17).split('\n')[0] ?? '') as Record<
      string,
      unknown
    >;
    expect(event).toMatchObject({
      request_id: 'w1',
      webhook_id: 1,
      method: 'PUT',
      path: 'github/push',
      query: { a: ['1', '2'], b: 'x' },
      body: 'hello',
    });
    expect(event.headers).toMatchObject({ 'x-github-event': 'push', 'content-type': 'text/plain;charset=UTF-8' });
    expect(JSON.stringify(event)).not.toMatch(/SECRET/);
    const token = url.split('/')[4] ?? 'no token';
    expect(text).not.toContain(token);
    expect(JSON.stringify(b.events.filter((e) => e.type === 'message'))).not.toContain(token);
    b.kernel.kill(pcb.pid);
    expect((await pending).status).toBe(410);
  });

  it('returns the same URL for the same path, and a different token for another path', async () => {
    const b = await boot({
      root: [[REGISTER, REGISTER, call('SYS_REGISTER_WEBHOOK', { path: 'other' })].join('\n'), EXIT],
    });
    const pcb = await b.spawn();
    await b.kernel.waitExit(pcb.pid);
    const [first, second, third] = results(b, pcb.pid).map((r) => r.value as { url: string; webhook_id: number });
    expect(second).toEqual(first);
    expect(third?.webhook_id).toBe(2);
    expect(third?.url.split('/')[4]).not.toBe(first?.url.split('/')[4]);
  });

  it('refuses SYS_REGISTER_WEBHOOK and SYS_WEBHOOK_REPLY without the webhook capability (EPERM)', async () => {
    const b = await boot(
      {
        root: [
          [REGISTER, call('SYS_WEBHOOK_REPLY', { request_id: 'w1' })].join('\n'),
          { expect: '"errno":"EPERM"', reply: EXIT },
        ],
      },
      { caps: ALL_CAPS },
    );
    const pcb = await b.spawn();
    expect((await b.kernel.waitExit(pcb.pid)).exitCode).toBe(0);
    expect(
      results(b, pcb.pid)
        .slice(0, 2)
        .map((r) => r.errno),
    ).toEqual(['EPERM', 'EPERM']);
    expect(results(b, pcb.pid)[0]?.message).toContain('needs capability "webhook"');
  });

  it('refuses bad paths with EINVAL', async () => {
    // One leading slash is the seed's spelling of a route ("/api/chat"); a second is still refused.
    const bad = ['', '../x', 'a/../b', '//abs', '.hidden', 'has space', 'a?b', 'x'.repeat(129), 'é'];
    const b = await boot({ root: [bad.map((p) => call('SYS_REGISTER_WEBHOOK', { path: p })).join('\n'), EXIT] });
    const pcb = await b.spawn();
    await b.kernel.waitExit(pcb.pid);
    const mine = results(b, pcb.pid).slice(0, bad.length);
    expect(mine.map((r) => r.errno)).toEqual(bad.map(() => 'EINVAL'));
    for (const r of mine) expect(r.message).toContain('path');
  });

  it('says EIO when the kernel runs no gateway', async () => {
    const h = await startHarness(
      { root: [REGISTER, { expect: '"errno":"EIO"', reply: EXIT }] },
      { rootCapabilities: CAPS },
    );
    try {
      const pcb = await h.run();
      expect(pcb.exitCode).toBe(0);
      expect(h.results(pcb.pid)[0]?.message).toBe(
        'webhooks are not enabled in this kernel (start it with a webhook port)',
      );
      expect(h.kernel.gatewayUrl).toBeNull();
    } finally {
      await h.close();
    }
  });

  it('answers 404 for unknown tokens, a guessed token on a real path, a wrong path, and anything else', async () => {
    const b = await boot({ root: [REGISTER, BLOCK] });
    const { pcb, url } = await registered(b);
    const base = b.kernel.gatewayUrl ?? '';
    const token = url.split('/')[4] ?? '';
    const guessed = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    const targets = [
      `${base}/hooks/nope/github/push`,
      `${base}/hooks/${guessed}/github/push`,
      `${base}/hooks/${token}/github/pull`,
      `${base}/hooks/${token}/github/push/`,
      `${base}/hooks/${token}`,
      `${base}/hooks/${token}/github/%70ush`,
      `${base}/`,
      `${base}/hooks/`,
    ];
    for (const target of targets) {
      const res = await fetch(target, { method: 'POST', body: 'x' });
      expect(res.status, target).toBe(404);
      expect(await res.json()).toEqual({ error: 'no such webhook' });
    }
    expect(b.kernel.proc(pcb.pid)?.queues.notices).toEqual([]);
  });

  it('answers 410 once the owner has exited, and 410 at once to requests waiting when it ends', async () => {
    const b = await boot({
      root: [REGISTER, BLOCK, { expect: '[EVENT::WEBHOOK]', reply: EXIT }],
    });
    const { pcb, url } = await registered(b);
    const start = Date.now();
    const waiting = await fetch(url, { method: 'POST', body: 'x' });
    expect(waiting.status).toBe(410);
    expect(await waiting.json()).toEqual({ error: 'the process that owned this webhook has ended' });
    expect(Date.now() - start).toBeLessThan(5000);
    await b.kernel.waitExit(pcb.pid);
    const after = await fetch(url);
    expect(after.status).toBe(410);
  });

  it('answers 413 to a body over the limit without waking the process', async () => {
    const b = await boot({ root: [REGISTER, BLOCK] });
    const { pcb, url } = await registered(b);
    const res = await fetch(url, { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1) });
    expect(res.status).toBe(413);
    const chunked = await rawRequest(url, 'POST', ['x'.repeat(600 * 1024), 'y'.repeat(600 * 1024)]);
    expect(chunked).toMatch(/^HTTP\/1\.1 413/);
    expect(b.kernel.pcb(pcb.pid)?.state).toBe('blocked');
    expect(b.kernel.proc(pcb.pid)?.queues.notices).toEqual([]);
  });

  it('answers 504 when the process does not reply in time; a late reply and an unknown id get ENOENT', async () => {
    const b = await boot(
      {
        root: [
          REGISTER,
          BLOCK,
          { expect: '[EVENT::WEBHOOK]', reply: call('SLEEP', { seconds: 0.4 }) },
          [call('SYS_WEBHOOK_REPLY', { request_id: 'w1' }), call('SYS_WEBHOOK_REPLY', { request_id: 'w999' })].join(
            '\n',
          ),
          { expect: '"errno":"ENOENT"', reply: EXIT },
        ],
      },
      { replyTimeoutMs: 150 },
    );
    const { pcb, url } = await registered(b);
    const res = await fetch(url, { method: 'POST', body: 'x' });
    expect(res.status).toBe(504);
    expect(await res.json()).toEqual({ error: 'the process did not reply in time' });
    expect((await b.kernel.waitExit(pcb.pid)).exitCode).toBe(0);
    const replies = results(b, pcb.pid).filter((r) => r.name === 'SYS_WEBHOOK_REPLY');
    expect(replies.map((r) => r.errno)).toEqual(['ENOENT', 'ENOENT']);
  });

  it('gives EPERM to a process replying to another process’s request', async () => {
    const b = await boot({
      root: [
        REGISTER,
        BLOCK,
        { expect: '"request_id":"w1"', reply: call('SPAWN_AGENT', { role: 'other' }) },
        call('WAIT', { pid: 2 }),
        { expect: '"exit_code":0', reply: call('SYS_WEBHOOK_REPLY', { request_id: 'w1', body: 'mine' }) },
        { expect: '"ok":true', reply: EXIT },
      ],
      other: [
        call('SYS_WEBHOOK_REPLY', { request_id: 'w1', body: 'stolen' }),
        { expect: '"errno":"EPERM"', reply: EXIT },
      ],
    });
    const { url } = await registered(b);
    const res = await fetch(url, { method: 'POST', body: 'x' });
    expect(await res.text()).toBe('mine');
    expect(results(b, 2)[0]).toMatchObject({ errno: 'EPERM', message: 'webhook request w1 belongs to process 1' });
  });

  it('answers 429 once too many requests wait for one process', async () => {
    // The requests arrive during a slow inference; the process never replies.
    const sleeps = Array.from({ length: 5 }, (_, i) => call('SLEEP', { seconds: 30 + i }));
    const b = await boot({
      root: [REGISTER, BLOCK, { reply: call('SLEEP', { seconds: 29 }), delay_ms: 1000 }, ...sleeps],
    });
    const { pcb, url } = await registered(b);
    const waiting = Array.from({ length: param.maxPendingWebhookRequests }, () =>
      fetch(url, { method: 'POST', body: 'x' }),
    );
    await until(() => b.kernel.webhooks.pendingOf(pcb.pid) === param.maxPendingWebhookRequests);
    const refused = await fetch(url, { method: 'POST', body: 'x' });
    expect(refused.status).toBe(429);
    b.kernel.kill(pcb.pid);
    expect(new Set((await Promise.all(waiting)).map((r) => r.status))).toEqual(new Set([410]));
  });

  it('drops a request whose client went away: a later reply gets ENOENT', async () => {
    const b = await boot({
      root: [
        REGISTER,
        BLOCK,
        { expect: '[EVENT::WEBHOOK]', reply: call('SLEEP', { seconds: 0.3 }) },
        call('SYS_WEBHOOK_REPLY', { request_id: 'w1' }),
        { expect: '"errno":"ENOENT"', reply: EXIT },
      ],
    });
    const { pcb, url } = await registered(b);
    const abort = new AbortController();
    const pending = fetch(url, { method: 'POST', body: 'x', signal: abort.signal }).catch((e: unknown) => e);
    await until(() => b.kernel.pcb(pcb.pid)?.state === 'sleeping');
    abort.abort();
    expect(await pending).toBeInstanceOf(Error);
    expect((await b.kernel.waitExit(pcb.pid)).exitCode).toBe(0);
  });

  it('listens on 127.0.0.1 only and survives malformed requests', async () => {
    const b = await boot({ root: [REGISTER, BLOCK] });
    const { url } = await registered(b);
    const address = b.kernel.gateway?.address();
    expect(address?.address).toBe('127.0.0.1');
    const port = address?.port ?? 0;
    for (const garbage of [
      'BLAH\r\n\r\n',
      'GET /hooks/%%%/x HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET x HTTP/1.1\r\n\r\n',
      '\u0000\u0001\r\n\r\n',
    ]) {
      await rawSend(port, garbage);
    }
    const aborted = await rawSend(
      port,
      `POST ${new URL(url).pathname} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc`,
      true,
    );
    expect(aborted).toBe('');
    expect((await fetch(`${b.kernel.gatewayUrl}/nothing`)).status).toBe(404);
  });
});

/** Send bytes on a fresh connection; resolve with whatever comes back before it closes. */
function rawSend(port: number, data: string, hangUp = false): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(data);
      if (hangUp) socket.destroy();
    });
    let got = '';
    socket.on('data', (c: Buffer) => {
      got += c.toString();
      socket.end();
    });
    socket.on('error', () => resolve(got));
    socket.on('close', () => resolve(got));
    socket.setTimeout(2000, () => socket.destroy());
  });
}

/** A chunked request (no Content-Length): the cap holds while reading. */
function rawRequest(url: string, method: string, chunks: string[]): Promise<string> {
  const u = new URL(url);
  const body = chunks.map((c) => `${c.length.toString(16)}\r\n${c}\r\n`).join('');
  const head = `${method} ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nTransfer-Encoding: chunked\r\n\r\n`;
  return rawSend(Number(u.port), `${head}${body}0\r\n\r\n`);
}
