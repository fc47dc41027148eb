import { describe, expect, it } from 'vitest';
import { guardedFetch, type ResolvedAddress } from '../../../drivers/net/fetch.js';
import { BASE, ONLY_LOOPBACK_V4, startHttpsServer, startSilentServer, waitFor } from './test-servers.js';

describe('https keeps the original name for SNI and certificate checks', () => {
  it('sends SNI for the URL host and rejects an untrusted certificate', async () => {
    const tlsServer = await startHttpsServer();
    try {
      const resolve = async (): Promise<ResolvedAddress[]> => [{ address: '127.0.0.1', family: 4 }];
      const options = { ...BASE, resolve, allowPrivate: ONLY_LOOPBACK_V4 };
      await expect(
        guardedFetch(`https://aos-test.invalid:${tlsServer.port}/`, undefined, options),
      ).rejects.toMatchObject({ code: 'EIO' });
      expect(tlsServer.serverNames).toEqual(['aos-test.invalid']);
      expect(tlsServer.requests).toEqual([]);
      await waitFor(() => tlsServer.openSockets() === 0);
    } finally {
      await tlsServer.close();
    }
  });

  it('times out a TLS handshake that never completes as a connect timeout', async () => {
    const silent = await startSilentServer();
    try {
      const options = { ...BASE, connectTimeoutMs: 200, allowPrivate: ONLY_LOOPBACK_V4 };
      const started = Date.now();
      await expect(guardedFetch(`https://127.0.0.1:${silent.port}/`, undefined, options)).rejects.toMatchObject({
        code: 'ETIMEDOUT',
        message: expect.stringMatching(/^connecting to/),
      });
      // Its connect limit ended it (not before it): the message says connecting; not timed by the clock.
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      await waitFor(() => silent.openSockets() === 0);
    } finally {
      await silent.close();
    }
  });
});
