/**
 * Red team (issue 34): a malicious or buggy adapter speaking the channel protocol to the kernel
 * (drivers/channels/protocol.ts LineRpc, drivers/channels/supervisor.ts). Held: garbage JSON,
 * wrong types, answers to requests never asked, a line past the cap, stderr carrying the token in
 * encoded forms (masked in last_error). Found and fixed:
 *  - the line `null` (valid JSON) makes LineRpc read `.method` of null inside the stdout 'data'
 *    handler: an uncaught TypeError — the daemon's uncaughtException handler stops the kernel;
 *  - after any protocol violation (a stray non-JSON line on stdout, a line over the cap) the
 *    kernel's side closes but nobody ends the adapter: it stays "running", never restarted, and
 *    every later message and send is lost.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { MCP_LIMITS } from '../../drivers/mcp/driver.js';
import { ChannelError, LineRpc, MAX_LINE_BYTES } from '../../drivers/channels/protocol.js';
import { AdapterSupervisor } from '../../drivers/channels/supervisor.js';
import { SecretBox } from '../../kernel/safety/secrets.js';
import { ROOT } from '../helpers/cli.js';
import { until } from '../helpers/until.js';

const bwrap = await findBwrap();
const TOKEN = '4242:redteam-protocol-token-QW7x';

/** A hostile adapter: says hello, then does what AOS_MODE says; echoes every line it reads to stderr's count. */
const ADAPTER = `
const mode = process.env.AOS_MODE;
const out = (o) => process.stdout.write(typeof o === 'string' ? o + '\\n' : JSON.stringify(o) + '\\n');
const hello = () => out({ jsonrpc: '2.0', method: 'channel.hello', params: { protocol: 1, channel: 'x', account: 'evil' } });
// 'slow': says hello only after a while (an adapter starting on a loaded machine), then answers every request.
if (mode === 'slow') setTimeout(hello, 1500);
else hello();
if (mode === 'slow') {
  let buffered = '';
  process.stdin.on('data', (c) => {
    buffered += c;
    const lines = buffered.split('\\n');
    buffered = lines.pop();
    for (const line of lines) {
      const m = JSON.parse(line);
      if (m.method && m.id !== undefined) out({ jsonrpc: '2.0', id: m.id, result: { message_id: 'slow-1' } });
    }
  });
}
setTimeout(() => {
  if (mode === 'null') out('null');
  if (mode === 'garbage') { out('npm WARN something printed to stdout'); out({ jsonrpc: '2.0', id: 1, method: 'channel.inbound', params: {} }); }
  if (mode === 'stderr') {
    const t = process.env.AOS_CHANNEL_TOKEN;
    process.stderr.write('fatal: ' + Buffer.from(t).toString('base64') + ' ' + t.split('').reverse().join('') + ' ' + encodeURIComponent(t) + '\\n');
    process.exit(3);
  }
  if (mode === 'status') {
    // Its token as its state (cut to 40 characters by the supervisor) and its error, and as its account.
    const t = process.env.AOS_CHANNEL_TOKEN;
    out({ jsonrpc: '2.0', method: 'channel.status', params: { state: t, error: 'x '.repeat(249) + t } });
    out({ jsonrpc: '2.0', method: 'channel.hello', params: { protocol: 1, channel: 'x', account: t } });
  }
}, 200);
let n = 0;
process.stdin.on('data', (c) => { n += c.length; });
setInterval(() => undefined, 1000);
`;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-rt-ch-'));
  await writeFile(path.join(dir, 'adapter.cjs'), ADAPTER);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function pair(): { rpc: LineRpc; feed: (text: string) => void; written: string[]; closed: string[] } {
  const input = new PassThrough();
  const output = new PassThrough();
  const written: string[] = [];
  const closed: string[] = [];
  output.on('data', (c: Buffer) => written.push(c.toString()));
  const rpc = new LineRpc(
    input,
    output,
    async (method) => {
      if (method === 'channel.inbound') return { status: 'dropped' };
      throw new ChannelError(-32601, `no method ${method}`, false);
    },
    (why) => closed.push(why),
  );
  // The parser itself, synchronously: what the stream's 'data' handler runs.
  const feed = (text: string): void => (rpc as unknown as { take(chunk: string): void }).take(text);
  return { rpc, feed, written, closed };
}

describe('red team: the channel protocol parser', () => {
  // Was broken (fixed): protocol.ts dispatch() reads message.method of `null`.
  it('the line "null" from an adapter does not throw out of the parser (it would be an uncaught exception in the kernel)', () => {
    const { feed } = pair();
    expect(() => feed('null\n')).not.toThrow();
  });

  it('JSON of every other shape is survived: a non-object ends the conversation, an object of wrong types is ignored', () => {
    for (const line of ['1', '"x"', 'true', '[]', '[{"method":"channel.inbound"}]']) {
      const { feed, closed } = pair();
      expect(() => feed(`${line}\n`)).not.toThrow();
      expect(closed).toEqual([expect.stringMatching(/^not a JSON-RPC message/)]);
    }
    const { feed, closed } = pair();
    for (const line of [
      '{}',
      '{"method":42}',
      '{"id":{"a":1},"result":1}',
      '{"method":"channel.inbound","params":null,"id":[1]}',
      '{"id":"1","error":"boom"}',
    ]) {
      expect(() => feed(`${line}\n`)).not.toThrow();
    }
    expect(closed).toEqual([]);
  });

  it('answers to requests never asked are ignored; an answer settles only its own request, once', async () => {
    const { rpc, feed } = pair();
    const asked = rpc.request<{ message_id: string }>('channel.outbound', { ref: 'r', chat: '1', text: 'x' });
    feed('{"jsonrpc":"2.0","id":999,"result":{"message_id":"forged"}}\n');
    feed('{"jsonrpc":"2.0","id":1,"error":{"code":{"x":1},"message":{"y":2},"data":{"retryable":"yes"}}}\n');
    const error = await asked.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ChannelError);
    expect((error as ChannelError).retryable).toBe(false);
    expect(() => feed('{"jsonrpc":"2.0","id":1,"result":{"message_id":"again"}}\n')).not.toThrow();
  });

  it('garbage JSON and a line past the cap close the conversation, never throw', () => {
    const a = pair();
    expect(() => a.feed('{not json\n')).not.toThrow();
    expect(a.closed[0]).toMatch(/not JSON/);
    const b = pair();
    const chunk = 'x'.repeat(64 * 1024);
    expect(() => {
      for (let sent = 0; sent <= MAX_LINE_BYTES + chunk.length; sent += chunk.length) b.feed(chunk);
    }).not.toThrow();
    expect(b.closed[0]).toMatch(/longer than/);
  });
});

function supervisor(mode: string, log: string[] = []): AdapterSupervisor {
  return new AdapterSupervisor({
    name: 'evil',
    program: { command: process.execPath, args: [path.join(dir, 'adapter.cjs')], read: [dir] },
    env: { AOS_MODE: mode, AOS_CHANNEL_TOKEN: TOKEN },
    egress: { allow: [], allowPrivate: [] },
    runBase: dir,
    limits: MCP_LIMITS,
    restart: { delayMs: 100, maxDelayMs: 200, healthyAfterMs: 60_000 },
    requestTimeoutMs: 1_500,
    maxInflight: 64,
    mask: (text) => text,
    log: (_level, message) => log.push(message),
    handlers: {
      hello: (account) => void log.push(`hello ${account}`),
      inbound: async () => 'dropped',
      callback: async () => ({ text: '' }),
      status: (state, error) => void log.push(`status ${state}: ${error ?? ''}`),
    },
  });
}

describe.skipIf(!bwrap)('red team: a hostile adapter under its supervisor', () => {
  it('a kernel whose adapter prints "null" keeps running (the daemon stops on an uncaught exception)', async () => {
    // The supervisor in a process of its own, as the daemon runs it (an uncaught exception ends it).
    const host = path.join(dir, 'host.mjs');
    await writeFile(
      host,
      `import { AdapterSupervisor } from ${JSON.stringify(path.join(ROOT, 'drivers/channels/supervisor.ts'))};
       import { MCP_LIMITS } from ${JSON.stringify(path.join(ROOT, 'drivers/mcp/driver.ts'))};
       process.on('uncaughtException', (e) => { console.log('UNCAUGHT ' + e.message); process.exit(70); });
       const s = new AdapterSupervisor({ name: 'evil', program: { command: process.execPath, args: [${JSON.stringify(path.join(dir, 'adapter.cjs'))}], read: [${JSON.stringify(dir)}] },
         env: { AOS_MODE: 'null', AOS_CHANNEL_TOKEN: 'x' }, egress: { allow: [], allowPrivate: [] }, runBase: ${JSON.stringify(dir)}, limits: MCP_LIMITS,
         restart: { delayMs: 100, maxDelayMs: 200, healthyAfterMs: 60000 }, requestTimeoutMs: 1000, mask: (t) => t, log: () => {},
         handlers: { hello: () => {}, inbound: async () => 'dropped', status: () => {} } });
       s.start();
       setTimeout(async () => { console.log('SURVIVED'); await s.stop(); process.exit(0); }, 4000);`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', host], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(out).not.toMatch(/UNCAUGHT/);
    expect(out).toContain('SURVIVED');
    expect(code).toBe(0);
  }, 20_000);

  // Was broken (fixed): supervisor.ts converse() gives LineRpc no onClose; nothing ends or restarts the adapter.
  it('an adapter that breaks the protocol (a stray line on stdout) is restarted, not left "running" with nobody listening', async () => {
    const s = supervisor('garbage');
    try {
      s.start();
      await s.ready(10_000);
      const first = s.pid;
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const settled = await s.request('channel.test', {}, 1_000).then(
        () => 'answered',
        (e: unknown) => (e as Error).message,
      );
      // Either it was restarted, or at least it is not reported as running while nobody reads it.
      const healthy = s.state === 'running' && s.pid === first;
      expect(
        healthy,
        `state ${s.state}, pid unchanged, restarts ${s.restarts}; channel.test: ${settled.slice(0, 120)}`,
      ).toBe(false);
    } finally {
      await s.stop();
    }
  }, 20_000);

  it('an adapter that dies printing its token (raw, base64, reversed, %-encoded) leaves no form of it in last_error or the log', async () => {
    const box = await SecretBox.load(
      [{ name: 'T', fromEnv: 'T', fromFile: null, hosts: [], exec: [], mcp: [], channels: ['evil'] }],
      '/nonexistent',
      { T: TOKEN },
    );
    const log: string[] = [];
    const s = new AdapterSupervisor({
      ...(supervisor('stderr', log) as unknown as { config: ConstructorParameters<typeof AdapterSupervisor>[0] })
        .config,
      mask: (t) => String(box.mask(t)),
    });
    try {
      s.start();
      await until(() => s.lastError !== null, 10_000, 'the adapter died');
      const shown = [s.lastError ?? '', ...log].join('\n');
      expect(shown).toMatch(/exited/);
      for (const form of [
        TOKEN,
        Buffer.from(TOKEN).toString('base64'),
        [...TOKEN].reverse().join(''),
        encodeURIComponent(TOKEN),
      ])
        expect(shown).not.toContain(form);
    } finally {
      await s.stop();
    }
  }, 20_000);

  // Found and fixed (a red-team review): an adapter's status state and hello account were cut, then
  // not masked at all, and its error was cut before it was masked (a secret straddling the cut
  // leaves a piece the mask no longer knows). Masked whole, then cut.
  it("an adapter's status and hello carrying its token reach the kernel's handlers and log masked", async () => {
    const box = await SecretBox.load(
      [{ name: 'T', fromEnv: 'T', fromFile: null, hosts: [], exec: [], mcp: [], channels: ['evil'] }],
      '/nonexistent',
      { T: TOKEN },
    );
    const log: string[] = [];
    const s = new AdapterSupervisor({
      ...(supervisor('status', log) as unknown as { config: ConstructorParameters<typeof AdapterSupervisor>[0] })
        .config,
      mask: (t) => String(box.mask(t)),
    });
    try {
      s.start();
      await until(
        () => log.some((l) => l.startsWith('status ')) && log.filter((l) => l.startsWith('hello ')).length >= 2,
        10_000,
        "the adapter's status and second hello",
      );
      const shown = log.join('\n');
      for (const form of [TOKEN, TOKEN.slice(0, 20), TOKEN.slice(-12)]) expect(shown).not.toContain(form);
    } finally {
      await s.stop();
    }
  }, 20_000);

  // Found (a CI run under load): a send a person approved just after the kernel started failed
  // EAGAIN — three attempts in 1.5 s, all while its adapter was still starting. A send now waits
  // for an adapter on its way up (kernel/channels/send.ts); the supervisor says when it is.
  it('an adapter still starting says it is coming, and is ready once it said hello', async () => {
    const s = supervisor('slow');
    try {
      s.start();
      expect(s.coming).toBe(true);
      await expect(s.request('channel.outbound', { ref: 'r', chat: '1', text: 'x' })).rejects.toMatchObject({
        retryable: true,
      });
      await s.ready(10_000);
      expect(s.coming).toBe(false);
      expect(await s.request('channel.outbound', { ref: 'r', chat: '1', text: 'approved words' }, 10_000)).toEqual({
        message_id: 'slow-1',
      });
    } finally {
      await s.stop();
    }
  }, 20_000);
});
