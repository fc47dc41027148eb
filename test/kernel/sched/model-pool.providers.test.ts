/**
 * Real providers' wire formats through a real kernel: the Gemini SDK and the OpenAI-compatible
 * driver against the fake provider server, with the model pool's retries and rate limits.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../fakes/fake-provider.js';
import { Kernel, type KernelOptions } from '../../../kernel/kernel.js';
import type { KernelEvent } from '../../../protocol/events.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

let fake: FakeProvider;
let kernel: Kernel | undefined;
let dir: string;
const events: KernelEvent[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-providers-'));
  fake = await startFakeProvider({});
  vi.stubEnv('GEMINI_API_KEY', 'test-key-never-logged');
  vi.stubEnv('GEMINI_BASE_URL', fake.url);
  vi.stubEnv('OPENAI_BASE_URL', `${fake.url}/v1`);
  vi.stubEnv('OPENAI_API_KEY', 'sk-test-never-logged');
  events.length = 0;
});
afterEach(async () => {
  await kernel?.shutdown();
  kernel = undefined;
  await fake.close();
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
});

async function boot(options: Partial<KernelOptions> = {}): Promise<Kernel> {
  kernel = await Kernel.create({
    workspace: path.join(dir, 'ws'),
    rootCapabilities: ['fs.read:/**', 'fs.write:/**', 'spawn'],
    modelRetry: { backoffBaseMs: 5, backoffMaxMs: 50 },
    ...options,
  });
  kernel.events.subscribe((e) => events.push(e));
  return kernel;
}

/** Turn 0 writes a file, turn 1 exits. */
const twoTurns = ({ messages }: { messages: unknown[] }): string =>
  messages.length <= 1 ? '[SYS_CALL::FS_WRITE] {"path":"out.txt","content":"hi"}' : '[SYS_CALL::SYS_EXIT] {"code":0}';

describe.each(['gemini:gemini-2.5-flash', 'openai:llama3.1:8b'])('%s through the kernel', (model) => {
  it('finishes, and the token counts equal the usage the endpoint reported', async () => {
    fake.setBehavior({ reply: twoTurns, usage: (ctx) => ({ prompt: 100 + ctx.index, output: 7, cached: 0 }) });
    const k = await boot();
    const pcb = await k.waitExit((await k.spawn({ task: 'write a file', model })).pid);
    expect(pcb.exitCode).toBe(0);
    const [row] = await k.processes({ all: true });
    expect(row).toMatchObject({ turns: 2, prompt_tokens: 100 + 101, output_tokens: 14, tokens: 215 });
    // Priced from the table for Gemini; a local model costs nothing.
    expect((row?.cost ?? 0) > 0).toBe(model.startsWith('gemini'));
    expect(fake.requests).toHaveLength(2);
    // The results reached the model: the second request carries the first call's result.
    expect(JSON.stringify(fake.requests[1]?.body)).toContain('[SYS_RESULT::FS_WRITE]');
    expect(JSON.stringify(events)).not.toContain('never-logged');
  });

  it('rides out a 429 storm and 500s: no failure reaches the agent', async () => {
    fake.setBehavior({
      reply: twoTurns,
      fault: (ctx) =>
        ctx.index < 3 ? { kind: 'rate_limit', retryAfterMs: 20 } : ctx.index < 5 ? { kind: 'server' } : undefined,
    });
    const k = await boot();
    const pcb = await k.waitExit((await k.spawn({ task: 't', model })).pid);
    expect(pcb.exitCode).toBe(0);
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    expect(fake.requests.length).toBe(7);
  });

  it('retries a malformed reply and a hang (model timeout)', async () => {
    fake.setBehavior({
      reply: twoTurns,
      fault: (ctx) => (ctx.index === 0 ? { kind: 'malformed' } : ctx.index === 1 ? { kind: 'hang' } : undefined),
    });
    const k = await boot({ modelLimits: { [model.split(':')[0] ?? model]: { reply_s: 0.3 } } });
    const pcb = await k.waitExit((await k.spawn({ task: 't', model })).pid);
    expect(pcb.exitCode).toBe(0);
  });

  it('ends the process with a clear reason once the retries are spent', async () => {
    fake.setBehavior({ fault: { kind: 'server', status: 503 } });
    const k = await boot({ modelRetry: { maxRetries: 2, backoffBaseMs: 1, backoffMaxMs: 2 } });
    const pcb = await k.waitExit((await k.spawn({ task: 't', model })).pid);
    expect(pcb.exitCode).toBe(1);
    expect(pcb.exitReason).toMatch(/^model error: /);
    expect(fake.requests).toHaveLength(3);
  });

  it('does not retry an auth failure', async () => {
    fake.setBehavior({ fault: { kind: 'auth' } });
    const k = await boot();
    const pcb = await k.waitExit((await k.spawn({ task: 't', model })).pid);
    expect(pcb.exitReason).toMatch(/^model error: /);
    expect(fake.requests).toHaveLength(1);
  });
});

describe('rate limits known to the pool', () => {
  it('paces many agents under the provider rpm: no 429 is ever sent back', async () => {
    fake.setBehavior({ reply: '[SYS_CALL::SYS_EXIT] {"code":0}', limits: { rpm: 600 } });
    const k = await boot({ modelLimits: { gemini: { rpm: 540, concurrency: 4 } } });
    const pcbs = await Promise.all(
      Array.from({ length: 12 }, (_, i) => k.spawn({ task: 't', model: 'gemini:gemini-2.5-flash', name: `a${i}` })),
    );
    const ended = await Promise.all(pcbs.map((p) => k.waitExit(p.pid)));
    expect(ended.every((p) => p.exitCode === 0)).toBe(true);
    expect(fake.stats().rateLimited).toBe(0);
    expect(fake.stats().maxInFlight).toBeLessThanOrEqual(4);
  });
});
