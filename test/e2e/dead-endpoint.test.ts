/**
 * A model endpoint nothing listens on is said at once, through the real CLI and daemon: which
 * address refused, what to check, the command that applies a fixed base URL — not six retries over
 * 23 s that say only "network".
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHome, type TestHome } from '../helpers/daemon.js';

let t: TestHome;
let port: number;

/** A port that was free a moment ago: nothing listens on it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: free } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return free;
}

beforeAll(async () => {
  t = await makeHome();
  port = await closedPort();
});
afterAll(async () => {
  await t.dispose();
});

describe('a dead model endpoint', () => {
  it('ends the spawn at once with the refusing address, what to check and `aos kernel restart`; no retries', async () => {
    const env = { OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`, OPENAI_API_KEY: 'sk-test', GEMINI_API_KEY: '', GOOGLE_API_KEY: '' };
    const run = await t.cli(['spawn', 'hello', '--model', 'openai:llama3'], { env, timeoutMs: 30_000 });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`127.0.0.1:${port} refused the connection (ECONNREFUSED)`);
    expect(run.stdout).toContain('OPENAI_BASE_URL');
    expect(run.stdout).toContain('aos kernel restart');
    expect(run.stdout).not.toMatch(/retry \d+\/\d+/);
  }, 60_000);
});
