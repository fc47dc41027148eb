/** The provider table through a real socket and the real client: the `models` method, and `spawn` without a model. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KernelClient } from '../../client/client.js';
import { AosError } from '../../sys/errno.js';
import { METHODS } from '../../protocol/protocol.js';
import { PROVIDERS } from '../../drivers/llm/providers.js';
import { EXIT } from '../helpers/kernel-harness.js';
import { type ServerFixture, startServer } from '../helpers/server-fixture.js';

const KEY = 'sk-test-SECRET-never-listed';

let fx: ServerFixture | null = null;
let client: KernelClient | null = null;
afterEach(async () => {
  client?.close();
  client = null;
  await fx?.close();
  fx = null;
  vi.unstubAllEnvs();
});

async function connect(options: { defaultModel?: string } = {}): Promise<KernelClient> {
  fx = await startServer({ root: [EXIT] }, options);
  client = await KernelClient.connect(fx.paths);
  return client;
}

describe('models', () => {
  it('lists every provider of the table, configured or not, with models, windows and prices, never a key', async () => {
    vi.stubEnv('OPENAI_API_KEY', KEY);
    vi.stubEnv('GEMINI_API_KEY', '');
    vi.stubEnv('GOOGLE_API_KEY', '');
    vi.stubEnv('GEMINI_BASE_URL', '');
    vi.stubEnv('OPENAI_BASE_URL', '');
    const c = await connect({ defaultModel: 'gpt-4o-mini' });
    const listing = await c.request('models', {});
    expect(listing.default_model).toBe('openai:gpt-4o-mini');
    expect(listing.providers.map((p) => p.name)).toEqual(PROVIDERS.map((p) => p.name));
    const [gemini, openai] = listing.providers;
    expect(gemini).toMatchObject({ configured: false, default_model: 'gemini-2.5-flash', patterns: ['gemini-*'] });
    expect(gemini?.models.find((m) => m.name === 'gemini-2.5-pro')).toEqual({
      name: 'gemini-2.5-pro',
      context_window: 1_048_576,
      price: { prompt: 1.25, output: 10, cached: 0.125 },
      as_of: '2025-12',
    });
    expect(openai).toMatchObject({
      configured: true,
      endpoint: 'https://api.openai.com/v1',
      settings: ['OPENAI_API_KEY', 'OPENAI_BASE_URL'],
    });
    expect(JSON.stringify(listing)).not.toContain(KEY);
  });

  it('is in the protocol table and takes no params', async () => {
    expect(METHODS.models.params.safeParse({}).success).toBe(true);
    expect(METHODS.models.params.safeParse({ all: true }).success).toBe(false);
    const c = await connect();
    expect((await c.request('models', {})).default_model).toBeNull();
  });
});

describe('spawn without a model', () => {
  it("runs on the kernel's default", async () => {
    const c = await connect({ defaultModel: 'tape.yaml' });
    const row = await c.request('spawn', { task: 't' });
    expect(row.model).toBe(fx?.model);
    expect((await fx?.kernel.waitExit(row.pid))?.exitCode).toBe(0);
  });

  it('is refused with EINVAL and the set-up help when the kernel has no default', async () => {
    const c = await connect();
    const error = await c.request('spawn', { task: 't' }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AosError);
    expect(error).toMatchObject({ code: 'EINVAL', message: expect.stringContaining('--model provider:model') });
    expect((error as AosError).message).toContain('OPENAI_BASE_URL');
  });
});
