/**
 * Requests still arriving are bounded (issue 27.9): their count and the bytes they hold, per
 * owning process and in all, from the moment their headers arrive; a sender that trickles is
 * answered 408 and cut, and what it sent is let go. Real sockets against a real gateway.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../daemon/gateway.js';
import { Kernel } from '../../kernel/kernel.js';
import type { KernelEvent } from '../../protocol/events.js';
import { ALL_CAPS, call } from '../helpers/kernel-harness.js';
import { gatewayAt } from '../helpers/gateway.js';
import { until } from '../helpers/until.js';

const LIMITS = { perProcess: 4, total: 6, bytesPerProcess: 64 * 1024, bytes: 96 * 1024 };
let kernel: Kernel | null = null;
let dir = '';
afterEach(async () => {
  await kernel?.shutdown();
  kernel = null;
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A POST whose headers go at once and whose chunked body never ends: it answers with whatever comes back. */
function slowUpload(
  port: number,
  pathname: string,
  firstChunk: number,
): { socket: net.Socket; reply: Promise<string> } {
  const socket = net.connect(port, '127.0.0.1');
  let got = '';
  const reply = new Promise<string>((resolve) => {
    socket.on('data', (c: Buffer) => (got += c.toString()));
    socket.on('close', () => resolve(got));
    socket.on('error', () => resolve(got));
  });
  socket.on('connect', () => {
    socket.write(`POST ${pathname} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`);
    socket.write(`${firstChunk.toString(16)}\r\n${'z'.repeat(firstChunk)}\r\n`);
  });
  return { socket, reply };
}

describe('uploads in progress', () => {
  it('bounds the requests still arriving and their bytes, cuts slow senders, and serves the next request', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-uploads-'));
    const tape = path.join(dir, 'tape.yaml');
    const reply = call('SYS_WEBHOOK_REPLY', { request_id: 'w1', status: 200, body: 'ok' });
    await writeFile(
      tape,
      YAML.stringify({
        agents: {
          root: [
            call('SYS_REGISTER_WEBHOOK', { path: 'in' }),
            call('RECV_MSG', { timeout_s: 60 }),
            { expect: '[EVENT::WEBHOOK]', reply },
            call('RECV_MSG', { timeout_s: 60 }),
          ],
        },
      }),
    );
    kernel = await Kernel.create({
      workspace: path.join(dir, 'ws'),
      rootCapabilities: [...ALL_CAPS, 'webhook'],
      cwd: dir,
      gateway: gatewayAt(0, { uploads: LIMITS, requestTimeoutMs: 1500, headersTimeoutMs: 1500 }),
    });
    const events: KernelEvent[] = [];
    kernel.events.subscribe((e) => events.push(e));
    const pcb = await kernel.spawn({ task: 't', model: `replay:${tape}` });
    await until(() => kernel!.pcb(pcb.pid)?.state === 'blocked', 10_000, 'the webhook registered');
    const registered = events.find(
      (e): e is Extract<KernelEvent, { type: 'result' }> => e.type === 'result' && e.name === 'SYS_REGISTER_WEBHOOK',
    );
    const url = new URL((registered?.value as { url: string }).url);
    const gateway = kernel.gateway as Gateway;
    const port = Number(url.port);

    // Ten slow uploads of 24 KiB each so far: four get a slot, only two fit in 64 KiB, the rest are refused.
    const uploads = Array.from({ length: 10 }, () => slowUpload(port, url.pathname, 24 * 1024));
    let peak = 0;
    await until(
      () => {
        peak = Math.max(peak, gateway.uploads.stats().bytes);
        return uploads.filter((u) => u.socket.destroyed).length >= 6;
      },
      10_000,
      'the uploads past the caps to be refused',
    );
    expect(gateway.uploads.stats().requests).toBeLessThanOrEqual(LIMITS.perProcess);
    expect(peak).toBeLessThanOrEqual(LIMITS.bytesPerProcess);
    // The rest trickle and are cut by the request timeout; nothing they sent is held afterwards.
    const replies = await Promise.all(uploads.map((u) => u.reply));
    expect(
      replies.filter((r) => /^HTTP\/1\.1 429/.test(r)).length + replies.filter((r) => /^HTTP\/1\.1 503/.test(r)).length,
    ).toBeGreaterThanOrEqual(6);
    expect(replies.some((r) => /^HTTP\/1\.1 408/.test(r))).toBe(true);
    expect(replies.every((r) => r === '' || /^HTTP\/1\.1 (408|429|503)/.test(r))).toBe(true);
    expect(gateway.uploads.stats()).toEqual({ requests: 0, bytes: 0 });

    // The process never saw any of them, and a normal request still gets through.
    const ok = await fetch(url, { method: 'POST', body: 'hello' });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('ok');
  }, 30_000);
});
