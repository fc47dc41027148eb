/**
 * Red team of `aos eval` (issue 35, kernel/tapes/eval.ts, compare.ts, ask.ts, drivers/llm/tape-file.ts):
 * whatever the model replies, nothing touches the host — no syscall runs, no process starts, no
 * workspace file changes, no request leaves; a tape path that is a FIFO, /dev/zero, a directory, a
 * huge file or a link out of the workspace is refused without hanging; a hand-crafted tape is
 * bounded (a huge `sent`, thousands of entries); a reply that is enormous or full of malformed
 * blocks ends the run, never the kernel.
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, open as openFile, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelDriver } from '../../drivers/llm/types.js';
import { evalTapes } from '../../kernel/tapes/eval.js';
import type { KernelEvent } from '../../protocol/events.js';
import { param } from '../../sys/param.js';
import { watchBlocks } from '../helpers/cpu-block.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

let h: Harness | null = null;
let server: http.Server | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

const RECORDED = {
  pid: 1,
  agent: 'root',
  model: 'replay:x',
  system: 'You are process 1.',
  prompt_tokens: 0,
  output_tokens: 0,
  cost_usd: 0,
  ended: { state: 'exited', code: 0 },
};
/** A tape as `aos record` writes it, by hand: one entry per reply, each with what was sent. */
async function tapeOf(
  name: string,
  replies: string[],
  sent: (i: number) => string = (i) => `[SYS_RESULT::FS_LIST] {"ok":true,"value":${i}}`,
): Promise<string> {
  const file = path.join(h!.dir, name);
  const doc = {
    agents: { root: replies.map((reply, i) => ({ reply, sent: sent(i) })) },
    recorded: { ...RECORDED, turns: replies.length },
  };
  await writeFile(file, YAML.stringify(doc, { lineWidth: 0 }));
  return file;
}
async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  await mkdir(dir, { recursive: true });
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile())
      files[path.join(entry.parentPath, entry.name)] = await readFile(path.join(entry.parentPath, entry.name), 'utf8');
  }
  return files;
}
/** What `work` returned, and the longest block of CPU work between two ticks meanwhile (watchBlocks). */
async function blockOf<T>(work: () => Promise<T>): Promise<{ value: T; block: number }> {
  const watch = watchBlocks();
  try {
    const value = await work();
    return { value, block: watch.stop() };
  } finally {
    watch.stop();
  }
}

describe('eval touches nothing on the host', () => {
  it('whatever the model replies: no syscall, process, file, request, timer, thread or audit row', async () => {
    let hits = 0;
    server = http.createServer((_req, res) => {
      hits++;
      res.end('hit');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    h = await startHarness(
      {},
      {
        netAllowPrivate: ['127.0.0.1'],
        rootCapabilities: [
          'fs.read:/**',
          'fs.write:/**',
          'exec',
          'spawn',
          'ipc',
          'timer',
          'mem',
          'net.fetch:*',
          'webhook',
          'thread:**',
          'mcp:**',
        ],
      },
    );
    const hostile = [
      call('EXEC_CMD', { cmd: `touch pwned; curl -s ${url} ; echo x > ${path.join(h.dir, 'host-pwned')}` }),
      `${call('FS_WRITE', { path: 'pwned.txt', content: 'x' })}\n${call('FS_WRITE', { path: '../escape.txt', content: 'x' })}`,
      `${call('SPAWN_AGENT', { role: 'evil', task: 'x', name: 'evil' })}\n${call('NET_FETCH', { url })}`,
      `${call('MCP_CALL', { server: 'x', tool: 'y' })}\n${call('SYS_SCHEDULE', { seconds: 1, prompt: 'x' })}\n${call('SYS_REGISTER_WEBHOOK', { path: '/x' })}`,
      `${call('THREAD_APPEND', { key: 'evil', text: 'x' })}\n${call('MEM_WRITE', { text: 'x' })}\n${call('SEND_MSG', { to_pid: 1, content: 'x' })}\n${call('CHANNEL_SEND', { to: 'inbound', text: 'x' })}`,
      call('SYS_EXIT', { code: 0 }),
    ];
    // The recording made the same calls: the model follows it to the end, every reply played.
    const tape = await tapeOf('hostile.yaml', hostile);
    const before = {
      files: await snapshot(h.workspace),
      procs: (await h.kernel.processes({ all: true })).length,
      audit: h.kernel.safety.audit.list({ limit: 500 }).length,
    };
    const emitted: KernelEvent[] = [];
    const stop = h.kernel.events.subscribe((e) => emitted.push(e));
    const [run] = await evalTapes(h.kernel, { tapes: [tape], models: [`replay:${tape}`] });
    stop();
    expect(run).toMatchObject({ turns: hostile.length, diverged: null, ended: { state: 'exited' } });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(emitted).toEqual([]);
    expect(hits).toBe(0);
    expect(await snapshot(h.workspace)).toEqual(before.files);
    expect(await readdir(h.dir)).not.toContain('host-pwned');
    expect(await readdir(h.dir)).not.toContain('escape.txt');
    expect(await h.kernel.processes({ all: true })).toHaveLength(before.procs);
    expect(h.kernel.safety.audit.list({ limit: 500 })).toHaveLength(before.audit);
    expect(h.kernel.threads.list('')).toEqual([]);
  });
});

describe('a tape path eval is given', () => {
  it('is refused before it is read when it is a FIFO, /dev/zero, a directory, a huge file or a link out of the workspace', async () => {
    h = await startHarness({});
    const model = `replay:${await tapeOf('ok.yaml', [EXIT])}`;
    await mkdir(h.workspace, { recursive: true });
    const fifo = path.join(h.dir, 'tape.fifo');
    execFileSync('mkfifo', [fifo]);
    const wsFifo = path.join(h.workspace, 'planted.fifo');
    execFileSync('mkfifo', [wsFifo]);
    const huge = path.join(h.dir, 'huge.yaml');
    const handle = await openFile(huge, 'w');
    await handle.truncate(4 * 1024 ** 3);
    await handle.close();
    const outside = await tapeOf('outside.yaml', [EXIT]);
    await symlink(outside, path.join(h.workspace, 'link.yaml'));
    const cases: Array<[string, RegExp]> = [
      [fifo, /not a regular file/],
      [wsFifo, /not a regular file: \/planted\.fifo/],
      ['/dev/zero', /not a regular file/],
      [h.dir, /is a directory/],
      [huge, /larger than the \d+ byte limit/],
      [path.join(h.workspace, 'link.yaml'), /is a symlink: \/link\.yaml/],
    ];
    // Refused by what the path is, before a byte is read: a FIFO with no writer would hang the read
    // (the test's timeout), /dev/zero or the huge file would be read up to the cap first.
    for (const [file, why] of cases) {
      const value = await evalTapes(h.kernel, { tapes: [file], models: [model] }).then(
        () => null,
        (error: Error) => error,
      );
      expect(value, file).toBeInstanceOf(Error);
      expect(value?.message, file).toMatch(why);
    }
  });
});

describe('a hand-crafted tape', () => {
  it('with a sent near the size cap, or thousands of entries, plays in bounded time with the kernel answering', async () => {
    h = await startHarness({});
    const big = await tapeOf('big.yaml', [call('FS_LIST', {}), EXIT], (i) =>
      i === 0 ? 'y'.repeat(param.replayMaxTapeBytes - 4096) : 'end',
    );
    const one = await evalTapes(h.kernel, { tapes: [big], models: [`replay:${big}`] });
    expect(one[0]).toMatchObject({ turns: 2, diverged: null });
    const many = await tapeOf(
      'many.yaml',
      Array.from({ length: 5_000 }, (_, i) => call('FS_READ', { path: `f${i}` })),
    );
    const all = await blockOf(() => evalTapes(h!.kernel, { tapes: [many], models: [`replay:${many}`] }));
    // Bounded: no more turns than a process could take.
    expect(all.value[0]?.turns).toBeLessThanOrEqual(param.maxTurns);
    // Open defect: playing 5,000 entries holds the kernel's thread in one block of ~0.5 s of CPU on a
    // 2-core machine (498 ms measured). The bound keeps a block of whole seconds of work out until
    // the play is cut into steps.
    expect(all.block).toBeLessThan(2_500);
  }, 30_000);

  // Was broken (fixed; resources): eval plays every entry a tape lists — no turn cap like a process's max_turns,
  // no token or cost budget — so a planted 1 MiB tape makes thousands of (paid) model requests, each
  // with the whole conversation so far.
  it('asks its model no more times than a process could take turns', async () => {
    h = await startHarness({});
    const many = await tapeOf(
      'many.yaml',
      Array.from({ length: 2_000 }, (_, i) => call('FS_READ', { path: `f${i}` })),
    );
    const real = await h.kernel.models.get(`replay:${many}`);
    let asked = 0;
    const counting: ModelDriver = Object.create(real) as ModelDriver;
    counting.complete = (request) => {
      asked++;
      return real.complete(request);
    };
    const host = {
      cwd: h.dir,
      models: { get: () => Promise.resolve(counting) },
      tapes: h.kernel.tapes,
      pool: h.kernel.pool,
      privacy: h.kernel.privacy,
    };
    await evalTapes(host, { tapes: [many], models: [`replay:${many}`] });
    expect(asked).toBeLessThanOrEqual(param.maxTurns);
  }, 30_000);
});

describe('a model reply', () => {
  it('that is enormous or full of malformed blocks ends the run as diverged, and the kernel goes on', async () => {
    h = await startHarness({ root: [EXIT] });
    const recorded = await tapeOf('rec.yaml', [call('FS_LIST', {}), EXIT]);
    const n = Math.floor((param.replayMaxTapeBytes - 8192) / 64);
    const replies = [
      Array(n).fill('[SYS_CALL::FS_WRITE] {"path": "a", "content": ').join('\n'),
      `[SYS_CALL::FS_WRITE] ${'{"a":['.repeat(n)}`,
      `${'[SYS_CALL::'.repeat(n)}`,
      ['null', '[]', '"s"', '1e999', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}']
        .map((a) => `[SYS_CALL::SPAWN_AGENT] ${a}`)
        .join('\n'),
      `${'x'.repeat(param.replayMaxTapeBytes - 8192)}\n${call('FS_LIST', {})}`,
    ];
    for (const [i, reply] of replies.entries()) {
      const model = path.join(h.dir, `model-${i}.yaml`);
      await writeFile(model, YAML.stringify({ agents: { root: [reply, EXIT] } }, { lineWidth: 0 }));
      const { value, block } = await blockOf(() =>
        evalTapes(h!.kernel, { tapes: [recorded], models: [`replay:${model}`] }),
      );
      expect(value[0]?.ended.state, `reply ${i}`).toMatch(/^(diverged|exited)$/);
      expect(block, `reply ${i}`).toBeLessThan(1_000);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await h.run()).exitCode).toBe(0);
  }, 30_000);
});
