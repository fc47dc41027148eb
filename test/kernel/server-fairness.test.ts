import { afterEach, describe, expect, it, vi } from 'vitest';
import { param } from '../../kernel/param.js';
import { EXIT } from '../helpers/kernel-harness.js';
import { rawClient, type ServerFixture, startServer } from '../helpers/server-fixture.js';

let fx: ServerFixture | null = null;
afterEach(async () => {
  vi.restoreAllMocks();
  await fx?.close();
  fx = null;
});

describe('one connection pipelining many requests', () => {
  it('is served a slice per turn of the loop: another client is answered in between, and every request in order', async () => {
    fx = await startServer({ root: [EXIT] });
    const handled: string[] = [];
    const processes = fx.kernel.processes.bind(fx.kernel);
    const stats = fx.kernel.stats.bind(fx.kernel);
    vi.spyOn(fx.kernel, 'processes').mockImplementation((options) => (handled.push('ps'), processes(options)));
    vi.spyOn(fx.kernel, 'stats').mockImplementation(() => (handled.push('stats'), stats()));
    const burst = await rawClient(fx.socket);
    const other = await rawClient(fx.socket);
    const count = param.requestsPerTick * 100;
    burst.socket.write(Array.from({ length: count }, (_, id) => `${JSON.stringify({ id, method: 'ps', params: {} })}\n`).join(''));
    // Once the burst is being answered, the other client asks; it must not wait for the whole burst.
    await burst.next();
    other.send({ id: 'stats', method: 'stats', params: {} });
    expect(await other.next()).toMatchObject({ id: 'stats', ok: true });
    expect(handled.indexOf('stats')).toBeLessThan(count / 4);
    const answers = await burst.until((line) => line.id === count - 1, 20_000);
    expect(answers.map((a) => a.id)).toEqual(Array.from({ length: count - 1 }, (_, i) => i + 1));
    burst.socket.destroy();
    other.socket.destroy();
  });
});
