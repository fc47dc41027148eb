/**
 * SYS_REGISTER_WEBHOOK hands out a URL only once its route is durable: in a cluster a request may
 * come to any node, which finds the route in the database (daemon/cluster-webhooks.ts), so a URL
 * given before the group commit had landed was a 404 there (CI 87, under load).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ALL_CAPS, call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('SYS_REGISTER_WEBHOOK', () => {
  it('answers once the route is committed, not before', async () => {
    h = await startHarness(
      { root: [call('SYS_REGISTER_WEBHOOK', { path: 'in' }), EXIT] },
      { webhookPort: 0, rootCapabilities: [...ALL_CAPS, 'webhook'] },
    );
    const store = h.kernel.store;
    const commit = store.committed.bind(store);
    let release = (): void => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const waits = vi.spyOn(store, 'committed').mockImplementation(async () => {
      await held;
      await commit();
    });
    const pcb = await h.spawn({ name: 'root' });
    await until(() => waits.mock.calls.length > 0);
    // The route is there in memory, but the process has no URL while the commit is held back.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(h.results(pcb.pid)).toEqual([]);
    release();
    await h.kernel.waitExit(pcb.pid);
    expect(h.results(pcb.pid)[0]?.value).toMatchObject({
      url: expect.stringMatching(/\/hooks\/[A-Za-z0-9_-]{32}\/in$/),
    });
    waits.mockRestore();
  });
});
