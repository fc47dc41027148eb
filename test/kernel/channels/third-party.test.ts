/**
 * A third party's adapter (issue 34: "a Discord or email adapter without changing aos"): a plain
 * program written against docs/channels.md, added as `kind: custom` with its command and egress,
 * runs in the same sandbox as the first-party adapters; its messages reach a bound unit and the
 * unit's reply goes back through it. Its only way out is the host:port it was given.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { tokenSecrets } from '../../helpers/channel-harness.js';
import { ROOT } from '../../helpers/cli.js';
import { ALL_CAPS, call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';
import { until } from '../../helpers/until.js';

const bwrap = await findBwrap();
let h: Harness | null = null;
let platform: http.Server | null = null;
afterEach(async () => {
  await h?.close();
  platform?.closeAllConnections();
  platform?.close();
  h = null;
});

/** A made-up chat platform: messages to poll, acks, sends. */
async function startPlatform(): Promise<{
  port: number;
  queue: Array<{ id: number; chat: string; from: string; name: string; text: string }>;
  sent: Array<{ chat: string; text: string }>;
  acked: number[];
}> {
  const state = {
    port: 0,
    queue: [] as Array<{ id: number; chat: string; from: string; name: string; text: string }>,
    sent: [] as Array<{ chat: string; text: string }>,
    acked: [] as number[],
  };
  platform = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.headers.authorization !== 'Bearer 777:channel-harness-token') return res.writeHead(401).end('{}');
      if (req.url === '/updates')
        return res.end(JSON.stringify({ messages: state.queue.filter((m) => !state.acked.includes(m.id)) }));
      const p = JSON.parse(body || '{}') as { id?: number; chat?: string; text?: string };
      if (req.url === '/ack') state.acked.push(p.id ?? -1);
      if (req.url === '/send') state.sent.push({ chat: p.chat ?? '', text: p.text ?? '' });
      res.end(JSON.stringify({ id: state.sent.length }));
    });
  });
  await new Promise<void>((resolve) => platform!.listen(0, '127.0.0.1', resolve));
  state.port = (platform.address() as AddressInfo).port;
  return state;
}

describe.skipIf(!bwrap)('a third-party adapter', () => {
  it('speaks the documented protocol from its sandbox: a message in, a reply out', async () => {
    const p = await startPlatform();
    h = await startHarness(
      { echoer: [call('CHANNEL_SEND', { to: 'inbound', text: 'heard you' }), EXIT] },
      { rootCapabilities: [...ALL_CAPS, 'channel', 'thread'], secrets: await tokenSecrets(['echo']) },
    );
    h.kernel.units.add({ name: 'echoer', task: 'Answer.', model: `replay:${h.tape}`, capabilities: ['channel:echo'] });
    const adapter = path.join(ROOT, 'test/fixtures/channels/third-party-adapter.mjs');
    const target = `127.0.0.1:${p.port}`;
    const info = await h.kernel.channels.add({
      name: 'echo',
      kind: 'custom',
      token_secret: 'TG_TOKEN',
      command: [process.execPath, adapter, target],
      egress: [target],
    });
    expect(info).toMatchObject({ kind: 'custom', egress: [target], api_root: '' });
    await until(() => h!.kernel.channels.info('echo').state === 'running', 20_000, 'the adapter running');
    expect(h.kernel.channels.info('echo').account).toBe('third-party-bot');
    await h.kernel.channels.bind({ channel: 'echo', sender: 'u1', unit: 'echoer' });
    p.queue.push({ id: 1, chat: 'room-7', from: 'u1', name: 'Ann', text: 'hello from elsewhere' });
    await until(() => p.sent.length === 1, 20_000, 'the reply through the adapter');
    expect(p.sent[0]).toEqual({ chat: 'room-7', text: 'heard you' });
    // Confirmed to the platform once the kernel answered (the reply may come first).
    await until(() => p.acked.length === 1, 10_000, 'the message confirmed');
    expect(p.acked).toEqual([1]);
    expect(await h.kernel.channels.test('echo')).toEqual({
      ok: true,
      account: 'third-party-bot',
      name: 'Third Party',
      sent: null,
    });
    expect(h.kernel.threads.info('chat:echo:room-7').entries).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('reaches nothing but its egress from its sandbox: no direct connection, no DNS, no tunnel elsewhere', async () => {
    const p = await startPlatform();
    const other = http.createServer((_req, res) => res.end('should never be reached'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    let reached = 0;
    other.on('connection', () => reached++);
    try {
      h = await startHarness({}, { rootCapabilities: [...ALL_CAPS, 'channel'], secrets: await tokenSecrets(['echo']) });
      const adapter = path.join(ROOT, 'test/fixtures/channels/third-party-adapter.mjs');
      const target = `127.0.0.1:${p.port}`;
      const forbidden = `127.0.0.1:${(other.address() as AddressInfo).port}`;
      await h.kernel.channels.add({
        name: 'echo',
        kind: 'custom',
        token_secret: 'TG_TOKEN',
        command: [process.execPath, adapter, target, forbidden],
        egress: [target],
      });
      await until(
        async () => (await h!.kernel.channels.messages('echo')).some((m) => m.sender === 'probe'),
        20_000,
        'the probe',
      );
      const probe = (await h.kernel.channels.messages('echo')).find((m) => m.sender === 'probe');
      expect(JSON.parse(probe!.text)).toEqual({
        direct: 'ECONNREFUSED',
        dns: expect.stringMatching(/^E/),
        tunnelled: expect.stringMatching(/^HTTP\/1\.1 403/),
      });
      expect(reached).toBe(0);
    } finally {
      other.close();
    }
  }, 60_000);

  it('is refused without an absolute program, or with an egress that is not host:port', async () => {
    h = await startHarness({}, { rootCapabilities: [...ALL_CAPS, 'channel'], secrets: await tokenSecrets(['echo']) });
    await expect(
      h.kernel.channels.add({ name: 'echo', kind: 'custom', token_secret: 'TG_TOKEN', command: ['adapter.mjs'] }),
    ).rejects.toThrow(/absolute path/);
    await expect(
      h.kernel.channels.add({
        name: 'echo',
        kind: 'custom',
        token_secret: 'TG_TOKEN',
        command: ['/bin/true'],
        egress: ['https://discord.com'],
      }),
    ).rejects.toThrow(/not host:port/);
    expect(h.kernel.channels.list()).toEqual([]);
  }, 30_000);
});
