import { afterEach, describe, expect, it, vi } from 'vitest';
import { EXIT } from '../helpers/kernel-harness.js';
import { rawClient, type ServerFixture, startServer } from '../helpers/server-fixture.js';

let fx: ServerFixture | null = null;
afterEach(async () => {
  vi.restoreAllMocks();
  await fx?.close();
  fx = null;
});

describe('one connection pipelining many requests', () => {
  it('is served a slice (param.requestSliceMs) per turn of the loop: another client is answered in between, and every request in order', async () => {
    fx = await startServer({ root: [EXIT] });
    const handled: string[] = [];
    const stats = fx.kernel.stats.bind(fx.kernel);
    // Each ps costs 0.3 ms: a socket chunk of them (~1,600) takes far longer than a slice.
    vi.spyOn(fx.kernel, 'processes').mockImplementation(async () => {
      handled.push('ps');
      for (const end = performance.now() + 0.3; performance.now() < end;);
      return [];
    });
    vi.spyOn(fx.kernel, 'stats').mockImplementation(() => (handled.push('stats'), stats()));
    const burst = await rawClient(fx.socket);
    const other = await rawClient(fx.socket);
    const count = 2_000;
    burst.socket.write(
      Array.from({ length: count }, (_, id) => `${JSON.stringify({ id, method: 'ps', params: {} })}\n`).join(''),
    );
    // Once the burst is being answered, the other client asks; it must not wait for the rest of the burst.
    await burst.next();
    other.send({ id: 'stats', method: 'stats', params: {} });
    expect(await other.next()).toMatchObject({ id: 'stats', ok: true });
    // Without slices it would come after the whole socket chunk the first answer came from (~1,600 requests).
    expect(handled.indexOf('stats')).toBeLessThan(400);
    const answers = await burst.until((line) => line.id === count - 1, 30_000);
    expect(answers.map((a) => a.id)).toEqual(Array.from({ length: count - 1 }, (_, i) => i + 1));
    burst.socket.destroy();
    other.socket.destroy();
  }, 60_000);
});
