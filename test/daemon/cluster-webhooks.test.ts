/**
 * A webhook reaches its process through any node of the cluster (daemon/cluster-webhooks.ts):
 * processes are told URLs under the public AOS_WEBHOOK_URL, and the address behind it may lead to
 * any node; a node without the route carries the request to the node that has it through the
 * database, and brings its process's reply back. A route nobody has is a 404 on every node; one
 * whose node is dead (its tree not adopted) is a 503 to try again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Kernel } from '../../kernel/kernel.js';
import { publicWebhookUrl } from '../../daemon/gateway.js';
import { call, EXIT } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';
import { PG_SKIP, postgresPerFile } from '../kernel/cluster/pg-fixture.js';
import { clusterScratch, dies, runClosers, withNodeLog } from '../kernel/cluster/kernel-node.js';
import { BLOCK, REGISTER, registered, via, webhookNode } from './cluster-webhook-nodes.js';
import { turnOf } from '../../kernel/loop/turn-state.js';

const pgServer = postgresPerFile();
const closers: Array<() => Promise<void>> = [];
afterEach(() => runClosers(closers));

const node = (name: string, url: string, dir: string, shared = true): Promise<Kernel> =>
  webhookNode(name, url, dir, closers, shared);

describe('AOS_WEBHOOK_URL', () => {
  it('is an http(s) base without query, fragment or credentials; its trailing slash is dropped', () => {
    expect(publicWebhookUrl(undefined)).toBeUndefined();
    expect(publicWebhookUrl('  ')).toBeUndefined();
    expect(publicWebhookUrl('https://hooks.example.com/')).toBe('https://hooks.example.com');
    expect(publicWebhookUrl('http://10.0.0.5:8080/aos//')).toBe('http://10.0.0.5:8080/aos');
    for (const bad of [
      'hooks.example.com',
      'ftp://x/',
      'https://x/?a=1',
      'https://x/#f',
      'https://u:p@x/',
      'javascript:alert(1)',
    ]) {
      expect(() => publicWebhookUrl(bad), bad).toThrow(/AOS_WEBHOOK_URL must/);
    }
  });
});

describe.skipIf(PG_SKIP)('a webhook in a cluster', () => {
  it("is answered by its process on another node: the request carried there, the reply brought back; others' routes are 404s", async () => {
    const { url, dir, tape: writeTape } = await clusterScratch(pgServer.server, closers, 'cluster-webhooks');
    const tape = await writeTape({
      hook: [
        REGISTER,
        BLOCK,
        {
          expect: [
            '[EVENT::WEBHOOK] {"request_id":"w1"',
            '"method":"POST"',
            '"path":"github/push"',
            '"query":{"ref":"main"}',
            '"body":"{\\"after\\":\\"abc\\"}"',
            '"x-github-event":"push"',
          ],
          reply: call('SYS_WEBHOOK_REPLY', { request_id: 'w1', status: 201, body: 'taken on a' }),
        },
        EXIT,
      ],
    });
    const a = await node('a', url, dir);
    const b = await node('b', url, dir);
    const proc = await a.spawn({ task: 'hook', model: `replay:${tape}`, name: 'hook' });
    const told = await registered(a, proc.pid);
    expect(told).toMatch(/^https:\/\/hooks\.example\.test\/aos\/hooks\/[A-Za-z0-9_-]{32}\/github\/push$/);
    expect(b.webhooks.find(told.split('/')[5] as string, 'github/push')).toBeUndefined();

    // A wrong path with the right token, and a token nobody has: no such webhook, on the node without them too.
    expect((await fetch(`${via(b, told)}x`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect(
      (await fetch(via(b, told).replace(/hooks\/[^/]+\//, `hooks/${'x'.repeat(32)}/`), { method: 'POST', body: '{}' }))
        .status,
    ).toBe(404);

    const res = await withNodeLog(
      fetch(`${via(b, told)}?ref=main`, {
        method: 'POST',
        body: '{"after":"abc"}',
        headers: { 'content-type': 'application/json', 'x-github-event': 'push', authorization: 'Bearer SECRET' },
      }),
    );
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('taken on a');
    expect((await a.waitExit(proc.pid)).exitCode).toBe(0);
    // The credential the caller sent reached no node's process.
    expect(JSON.stringify(turnOf(a.proc(proc.pid))?.transcript ?? [])).not.toContain('SECRET');
    // Ended: its route answers 410 from either node.
    expect((await fetch(via(b, told), { method: 'POST', body: '{}' })).status).toBe(410);
    expect((await fetch(via(a, told), { method: 'POST', body: '{}' })).status).toBe(410);
  }, 60_000);

  it('whose node is dead, its tree pinned there (a workspace of its own), is a 503 to try again, naming the node', async () => {
    const { url, dir, tape: writeTape } = await clusterScratch(pgServer.server, closers, 'cluster-webhooks');
    const tape = await writeTape({ hook: [REGISTER, BLOCK, EXIT] });
    const c = await node('c', url, dir, false);
    const b = await node('b', url, dir);
    const proc = await c.spawn({ task: 'hook', model: `replay:${tape}`, name: 'hook' });
    const told = await registered(c, proc.pid);
    await dies(c, url);
    await b.cluster?.member.beat();
    const res = await fetch(via(b, told), { method: 'POST', body: '{}' });
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/node c, which is dead/);
  }, 60_000);

  it('goes with its tree when its node dies: the adopter answers it, and so does any other node', async () => {
    const { url, dir, tape: writeTape } = await clusterScratch(pgServer.server, closers, 'cluster-webhooks');
    const answer = (id: string, body: string): { expect: string[]; reply: string } => ({
      expect: [`[EVENT::WEBHOOK] {"request_id":"${id}"`, `"body":"${body}"`],
      reply: call('SYS_WEBHOOK_REPLY', { request_id: id, body: `answered ${body}` }),
    });
    // Adopted, it goes on waiting in its RECV_MSG (a wait is no host call in flight).
    const tape = await writeTape({ hook: [REGISTER, BLOCK, answer('w1', 'one'), BLOCK, answer('w2', 'two'), EXIT] });
    const a = await node('a', url, dir);
    const proc = await a.spawn({ task: 'hook', model: `replay:${tape}`, name: 'hook' });
    const told = await registered(a, proc.pid);
    const b = await node('b', url, dir);
    const c = await node('c', url, dir, false);
    await dies(a, url);
    await withNodeLog(
      until(() => b.pcb(proc.pid)?.state === 'blocked', 30_000, 'b to adopt the process, waiting still'),
    );

    const here = await fetch(via(b, told), { method: 'POST', body: 'one' });
    expect([here.status, await here.text()]).toEqual([200, 'answered one']);
    await until(() => b.pcb(proc.pid)?.state === 'blocked', 20_000, 'the process to wait again');
    await c.cluster?.member.beat();
    const there = await fetch(via(c, told), { method: 'POST', body: 'two' });
    expect([there.status, await there.text()]).toEqual([200, 'answered two']);
    expect((await b.waitExit(proc.pid)).exitCode).toBe(0);
  }, 90_000);
});
