/**
 * A webhook reaches its process through any node of the cluster (daemon/cluster-webhooks.ts):
 * processes are told URLs under the public AOS_WEBHOOK_URL, and the address behind it may lead to
 * any node; a node without the route carries the request to the node that has it through the
 * database, and brings its process's reply back. A route nobody has is a 404 on every node; one
 * whose node is dead (its tree not adopted) is a 503 to try again.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import type { Kernel } from '../../kernel/kernel.js';
import { publicWebhookUrl } from '../../daemon/gateway.js';
import { webhooksElsewhere } from '../../daemon/cluster-webhooks.js';
import { serveOtherNodes } from '../../daemon/cluster-methods.js';
import { ownHandlers } from '../../daemon/methods.js';
import { ALL_CAPS, call, EXIT } from '../helpers/kernel-harness.js';
import { gatewayAt } from '../helpers/gateway.js';
import { until } from '../helpers/until.js';
import { PG_SKIP, postgresPerFile } from '../kernel/cluster/pg-fixture.js';
import { kernelNode, withNodeLog } from '../kernel/cluster/kernel-node.js';

const pgServer = postgresPerFile();
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
});

const PUBLIC = 'https://hooks.example.test/aos';

/** A node as the daemon makes it: a gateway that carries other nodes' routes there, serving what they carry here. */
async function node(name: string, url: string, dir: string, shared = true): Promise<Kernel> {
  let made: Kernel | null = null;
  const kernel = await kernelNode(name, url, dir, closers, shared, {
    rootCapabilities: [...ALL_CAPS, 'webhook'],
    webhookUrl: PUBLIC,
    gateway: gatewayAt(0, { elsewhere: webhooksElsewhere(() => made) }),
  });
  made = kernel;
  serveOtherNodes(kernel, ownHandlers);
  return kernel;
}

const REGISTER = call('SYS_REGISTER_WEBHOOK', { path: 'github/push' });
const BLOCK = call('RECV_MSG', { timeout_s: 60 });

/** The URL a process was told, once it has registered and waits. */
async function registered(kernel: Kernel, pid: number): Promise<string> {
  let url = '';
  await until(
    () => {
      const result = kernel.proc(pid)?.transcript.find((m) => m.text.includes('[SYS_RESULT::SYS_REGISTER_WEBHOOK]'));
      const match = result?.text.match(/"url":"([^"]+)"/);
      if (match) url = match[1] as string;
      return url !== '' && kernel.pcb(pid)?.state === 'blocked';
    },
    20_000,
    'the process to register its webhook and wait',
  );
  return url;
}

/** The same route, through another node's gateway (what the proxy behind the public URL does). */
const via = (kernel: Kernel, told: string): string => `${kernel.gatewayUrl}${told.slice(PUBLIC.length)}`;

describe('AOS_WEBHOOK_URL', () => {
  it('is an http(s) base without query, fragment or credentials; its trailing slash is dropped', () => {
    expect(publicWebhookUrl(undefined)).toBeUndefined();
    expect(publicWebhookUrl('  ')).toBeUndefined();
    expect(publicWebhookUrl('https://hooks.example.com/')).toBe('https://hooks.example.com');
    expect(publicWebhookUrl('http://10.0.0.5:8080/aos//')).toBe('http://10.0.0.5:8080/aos');
    for (const bad of ['hooks.example.com', 'ftp://x/', 'https://x/?a=1', 'https://x/#f', 'https://u:p@x/', 'javascript:alert(1)']) {
      expect(() => publicWebhookUrl(bad), bad).toThrow(/AOS_WEBHOOK_URL must/);
    }
  });
});

describe.skipIf(PG_SKIP)('a webhook in a cluster', () => {
  it("is answered by its process on another node: the request carried there, the reply brought back; others' routes are 404s", async () => {
    const url = await pgServer.server.createDatabase();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-cluster-webhooks-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const tape = path.join(dir, 'tape.yaml');
    await writeFile(
      tape,
      YAML.stringify({
        agents: {
          hook: [
            REGISTER,
            BLOCK,
            {
              expect: ['[EVENT::WEBHOOK] {"request_id":"w1"', '"method":"POST"', '"path":"github/push"', '"query":{"ref":"main"}', '"body":"{\\"after\\":\\"abc\\"}"', '"x-github-event":"push"'],
              reply: call('SYS_WEBHOOK_REPLY', { request_id: 'w1', status: 201, body: 'taken on a' }),
            },
            EXIT,
          ],
        },
      }),
    );
    const a = await node('a', url, dir);
    const b = await node('b', url, dir);
    const proc = await a.spawn({ task: 'hook', model: `replay:${tape}`, name: 'hook' });
    const told = await registered(a, proc.pid);
    expect(told).toMatch(/^https:\/\/hooks\.example\.test\/aos\/hooks\/[A-Za-z0-9_-]{32}\/github\/push$/);
    expect(b.webhooks.find(told.split('/')[5] as string, 'github/push')).toBeUndefined();

    // A wrong path with the right token, and a token nobody has: no such webhook, on the node without them too.
    expect((await fetch(`${via(b, told)}x`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(via(b, told).replace(/hooks\/[^/]+\//, `hooks/${'x'.repeat(32)}/`), { method: 'POST', body: '{}' })).status).toBe(404);

    const res = await withNodeLog(fetch(`${via(b, told)}?ref=main`, { method: 'POST', body: '{"after":"abc"}', headers: { 'content-type': 'application/json', 'x-github-event': 'push', authorization: 'Bearer SECRET' } }));
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('taken on a');
    expect((await a.waitExit(proc.pid)).exitCode).toBe(0);
    // The credential the caller sent reached no node's process.
    expect(JSON.stringify(a.proc(proc.pid)?.transcript ?? [])).not.toContain('SECRET');
    // Ended: its route answers 410 from either node.
    expect((await fetch(via(b, told), { method: 'POST', body: '{}' })).status).toBe(410);
    expect((await fetch(via(a, told), { method: 'POST', body: '{}' })).status).toBe(410);
  }, 60_000);

  it("whose node is dead, its tree pinned there (a workspace of its own), is a 503 to try again, naming the node", async () => {
    const url = await pgServer.server.createDatabase();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-cluster-webhooks-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const tape = path.join(dir, 'tape.yaml');
    await writeFile(tape, YAML.stringify({ agents: { hook: [REGISTER, BLOCK, EXIT] } }));
    const c = await node('c', url, dir, false);
    const b = await node('b', url, dir);
    const proc = await c.spawn({ task: 'hook', model: `replay:${tape}`, name: 'hook' });
    const told = await registered(c, proc.pid);
    c.cluster?.member.stop();
    await c.close();
    const sql = new pg.Client({ connectionString: url });
    await sql.connect();
    closers.push(() => sql.end());
    await sql.query("UPDATE aos_nodes SET state = 'dead', fenced_ms = 0, fenced_by = 'test' WHERE name = 'c'");
    await b.cluster?.member.beat();
    const res = await fetch(via(b, told), { method: 'POST', body: '{}' });
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/node c, which is dead/);
  }, 60_000);

  it('goes with its tree when its node dies: the adopter answers it, and so does any other node', async () => {
    const url = await pgServer.server.createDatabase();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-cluster-webhooks-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const tape = path.join(dir, 'tape.yaml');
    const answer = (id: string, body: string): { expect: string[]; reply: string } => ({
      expect: [`[EVENT::WEBHOOK] {"request_id":"${id}"`, `"body":"${body}"`],
      reply: call('SYS_WEBHOOK_REPLY', { request_id: id, body: `answered ${body}` }),
    });
    // Adopted, it goes on waiting in its RECV_MSG (a wait is no host call in flight).
    await writeFile(tape, YAML.stringify({ agents: { hook: [REGISTER, BLOCK, answer('w1', 'one'), BLOCK, answer('w2', 'two'), EXIT] } }));
    const a = await node('a', url, dir);
    const proc = await a.spawn({ task: 'hook', model: `replay:${tape}`, name: 'hook' });
    const told = await registered(a, proc.pid);
    const b = await node('b', url, dir);
    const c = await node('c', url, dir, false);
    a.cluster?.member.stop();
    await a.close();
    const sql = new pg.Client({ connectionString: url });
    await sql.connect();
    closers.push(() => sql.end());
    await sql.query("UPDATE aos_nodes SET state = 'dead', fenced_ms = 0, fenced_by = 'test' WHERE name = 'a'");
    await withNodeLog(until(() => b.pcb(proc.pid)?.state === 'blocked', 30_000, 'b to adopt the process, waiting still'));

    const here = await fetch(via(b, told), { method: 'POST', body: 'one' });
    expect([here.status, await here.text()]).toEqual([200, 'answered one']);
    await until(() => b.pcb(proc.pid)?.state === 'blocked', 20_000, 'the process to wait again');
    await c.cluster?.member.beat();
    const there = await fetch(via(c, told), { method: 'POST', body: 'two' });
    expect([there.status, await there.text()]).toEqual([200, 'answered two']);
    expect((await b.waitExit(proc.pid)).exitCode).toBe(0);
  }, 90_000);
});
