/**
 * Channels (issue 34), end to end on a real kernel: the Telegram adapter in its sandbox, through
 * its egress proxy, against the fake Bot API on loopback. What a message costs aos:
 *  - accept: a message posted to the platform until the kernel has committed it (long poll, tunnel,
 *    the adapter, dedup, binding, thread) — one at a time, so each is its own latency;
 *  - burst: `--burst` messages at once from ten chats, until all are committed (messages a second);
 *  - reply: a message until the bound unit's run has answered it on the platform (a run spawned,
 *    one turn of a replay model, CHANNEL_SEND back through the adapter);
 *  - restart: the adapter SIGKILLed until its successor is polling again.
 *
 *   node --import tsx bench/channels.ts [--messages 100] [--burst 1000] [--replies 20]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { findBwrap } from '../drivers/exec/find-bwrap.js';
import { Kernel } from '../kernel/kernel.js';
import { SecretBox } from '../kernel/safety/secrets.js';
import { startFakeTelegram } from '../test/fakes/fake-telegram.js';
import { figure, flag, report } from './report.js';

const messages = Number(flag('messages', '100'));
const burst = Number(flag('burst', '1000'));
const replies = Number(flag('replies', '20'));
const TOKEN = '777:bench-channels-token';

const pct = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
async function until(what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!ok()) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

if (!(await findBwrap())) {
  process.stderr.write(
    'channels: skipped — adapters run in bubblewrap, which is not installed (apt-get install -y bubblewrap)\n',
  );
  process.exit(0);
}
const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-bench-channels-'));
const fake = await startFakeTelegram(TOKEN);
let kernel: Kernel | null = null;
try {
  const tape = path.join(dir, 'tape.yaml');
  await writeFile(
    tape,
    YAML.stringify({
      agents: {
        helper: ['[SYS_CALL::CHANNEL_SEND] {"to": "inbound", "text": "ok"}', '[SYS_CALL::SYS_EXIT] {"code": 0}'],
        sink: ['[SYS_CALL::SLEEP] {"seconds": 3600}'],
      },
    }),
  );
  const secrets = await SecretBox.load(
    [{ name: 'TG', fromEnv: 'TG', fromFile: null, hosts: [], exec: [], mcp: [], channels: ['tg'] }],
    dir,
    { TG: TOKEN },
  );
  kernel = await Kernel.create({
    workspace: path.join(dir, 'ws'),
    rootCapabilities: ['channel', 'thread'],
    storeFile: path.join(dir, 'aos.db'),
    cwd: dir,
    secrets,
  });
  const k = kernel;
  await k.channels.add({ name: 'tg', kind: 'telegram', token_secret: 'TG', api_root: fake.apiRoot });
  await until('the adapter running', () => k.channels.info('tg').state === 'running');
  const inbound = (): number => k.channels.info('tg').counts.inbound;

  // Accepted one at a time: a sink process (its stdin drained by nobody: each message is one line there).
  const sink = await k.spawn({ task: 'sink', model: `replay:${tape}`, name: 'sink' });
  await k.channels.bind({ channel: 'tg', chat: '1', sender: '1', pid: sink.pid });
  const accept: number[] = [];
  for (let i = 0; i < messages; i++) {
    const before = inbound();
    const start = performance.now();
    fake.push(1, `message ${i}`, { id: 1, first_name: 'one' });
    await until('accepted', () => inbound() > before);
    accept.push(performance.now() - start);
  }
  k.kill(sink.pid);

  // A burst from ten chats into threads (bound to no live process: kept in the threads, dropped for delivery).
  for (let s = 2; s <= 11; s++)
    await k.channels.bind({
      channel: 'tg',
      sender: String(s),
      pid: (await k.spawn({ task: 'sink', model: `replay:${tape}`, name: 'sink' })).pid,
    });
  const settled = (): number => {
    const c = k.channels.info('tg').counts;
    return c.inbound + c.dropped;
  };
  const before = settled();
  const burstStart = performance.now();
  for (let i = 0; i < burst; i++) fake.push((i % 10) + 2, `burst ${i}`, { id: (i % 10) + 2, first_name: 'b' });
  await until('the burst settled', () => settled() >= before + burst, 300_000);
  const burstMs = performance.now() - burstStart;

  // Answered: a unit's run per message.
  k.units.add({ name: 'helper', task: 'answer', model: `replay:${tape}`, capabilities: ['channel:tg'] });
  await k.channels.bind({ channel: 'tg', chat: '50', sender: '50', unit: 'helper' });
  const reply: number[] = [];
  for (let i = 0; i < replies; i++) {
    const sent = fake.sent.length;
    const start = performance.now();
    fake.push(50, `question ${i}`, { id: 50, first_name: 'q' });
    await until('answered', () => fake.sent.length > sent);
    reply.push(performance.now() - start);
    await until('the run ended', () =>
      k.list().every((p) => p.name !== 'helper' || p.state === 'exited' || p.state === 'killed'),
    );
  }

  // The adapter killed and back.
  const pid = k.channels.info('tg').pid as number;
  const killedAt = performance.now();
  process.kill(-pid, 'SIGKILL');
  await until('back', () => k.channels.info('tg').state === 'running' && k.channels.info('tg').pid !== pid);
  const restartMs = performance.now() - killedAt;

  report(
    'channels',
    { messages, burst, replies, dedup_scope: 'channel:tg', duplicates: k.channels.info('tg').counts.duplicate },
    [
      figure(
        'channels.accept_p50_ms',
        pct(accept, 50),
        'ms',
        'a message posted to the platform until the kernel committed it (long poll, egress tunnel, sandboxed adapter, dedup, binding, thread), one at a time',
        { max: 100 },
      ),
      figure('channels.accept_p95_ms', pct(accept, 95), 'ms', 'the same, 95th percentile'),
      figure(
        'channels.burst_per_s',
        (burst / burstMs) * 1000,
        'msg/s',
        `${burst} messages from ten chats at once, each committed in turn`,
        { min: 200 },
      ),
      figure(
        'channels.reply_p50_ms',
        pct(reply, 50),
        'ms',
        "a message until the bound unit's run answered it on the platform (spawn, a replay turn, CHANNEL_SEND through the adapter)",
        { max: 500 },
      ),
      figure('channels.reply_p95_ms', pct(reply, 95), 'ms', 'the same, 95th percentile'),
      figure(
        'channels.adapter_restart_ms',
        restartMs,
        'ms',
        'the adapter SIGKILLed until its successor polls again (backoff 0.5 s first)',
        { max: 5_000 },
      ),
    ],
  );
} finally {
  await kernel?.shutdown();
  await fake.close();
  await rm(dir, { recursive: true, force: true });
}
