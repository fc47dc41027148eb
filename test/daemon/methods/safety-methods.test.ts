/**
 * Who answered an approval is the daemon's to say, from the connection the answer came on (issue
 * 27.4): a client that names its own `via` is refused, and the audit records the transport.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../../kernel/safety/policy.js';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { rawClient, type ServerFixture, startServer } from '../../helpers/server-fixture.js';
import { until } from '../../helpers/until.js';

const ASK = parsePolicy('version: 1\nroot: {capabilities: [exec]}\nrules:\n  - ask: "fs.write:/src/**"\n', 'p').safety;

let fixture: ServerFixture | null = null;
afterEach(async () => {
  await fixture?.close();
  fixture = null;
});

describe('approve and deny over the socket', () => {
  it('refuses a via named by the client and records the socket as the way the answer came', async () => {
    fixture = await startServer({ root: [call('FS_WRITE', { path: '/src/a', content: 'x' }), EXIT] }, { safety: ASK });
    const pcb = await fixture.kernel.spawn({ task: 't', model: fixture.model });
    await until(() => fixture!.kernel.safety.approvals.list(10).length === 1, 10_000, 'a pending approval');
    const [request] = fixture.kernel.safety.approvals.list(10);
    const client = await rawClient(fixture.socket);
    client.send({ id: 1, method: 'approve', params: { id: request!.id, via: 'cli' } });
    expect(await client.next()).toMatchObject({
      id: 1,
      ok: false,
      error: { code: 'EINVAL', message: expect.stringMatching(/via/) },
    });
    expect(fixture.kernel.safety.approvals.list(10)).toHaveLength(1);
    client.send({ id: 2, method: 'approve', params: { id: request!.id } });
    expect(await client.next()).toMatchObject({ id: 2, ok: true });
    await fixture.kernel.waitExit(pcb.pid);
    expect(fixture.kernel.safety.audit.list({ limit: 10 }).at(-1)).toMatchObject({
      decision: 'approved',
      decided_by: 'person',
      via: 'socket',
    });
    client.socket.destroy();
  });
});
