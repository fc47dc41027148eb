/**
 * Red team (issue 36): webhooks carried between the nodes of a cluster (daemon/cluster-webhooks.ts).
 * A route is its token and its path, spelled exactly: no other spelling reaches the process through
 * another node's gateway either. What a node is carried is checked again where it reaches the
 * process (its shape, its size, the caller's credentials left out), and what a node answers is
 * checked before it becomes another gateway's response.
 */
import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { Kernel } from '../../kernel/kernel.js';
import { RemoteError } from '../../kernel/cluster/cluster.js';
import { deliverCarried, webhooksElsewhere } from '../../daemon/cluster-webhooks.js';
import { param } from '../../sys/param.js';
import { ALL_CAPS, call, EXIT } from '../helpers/kernel-harness.js';
import { gatewayAt } from '../helpers/gateway.js';
import { until } from '../helpers/until.js';
import { PG_SKIP, postgresPerFile } from '../kernel/cluster/pg-fixture.js';
import { clusterScratch, runClosers } from '../kernel/cluster/kernel-node.js';
import { BLOCK, REGISTER, registered, via, webhookNode } from '../daemon/cluster-webhook-nodes.js';
import { turnOf } from '../../kernel/loop/turn-state.js';

const pgServer = postgresPerFile();
const closers: Array<() => Promise<void>> = [];
afterEach(() => runClosers(closers));

/** A request with its target sent byte for byte (fetch would resolve dot segments first). */
function raw(base: string, target: string, body = '{}'): Promise<number> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: target,
        headers: { 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const webhookEvents = (k: Kernel, pid: number): string[] =>
  (turnOf(k.proc(pid))?.transcript ?? []).filter((m) => m.text.includes('[EVENT::WEBHOOK]')).map((m) => m.text);

describe.skipIf(PG_SKIP)("another node's route, spelled otherwise", () => {
  it('is no webhook through any node: only the exact token and path reach the process', async () => {
    const { url, dir, tape } = await clusterScratch(pgServer.server, closers, 'redteam-cluster-webhooks');
    const model = `replay:${await tape({
      hook: [
        REGISTER,
        BLOCK,
        {
          expect: ['[EVENT::WEBHOOK] {"request_id":"w1"', '"body":"the real one"'],
          reply: call('SYS_WEBHOOK_REPLY', { request_id: 'w1', body: 'answered' }),
        },
        BLOCK,
        EXIT,
      ],
    })}`;
    const a = await webhookNode('a', url, dir, closers);
    const b = await webhookNode('b', url, dir, closers);
    const proc = await a.spawn({ task: 'hook', model, name: 'hook' });
    const told = await registered(a, proc.pid);
    const token = told.split('/').at(-3) as string;
    const other = (c: string): string => (c === 'A' ? 'B' : 'A');
    const spellings = [
      `/hooks/${token.toUpperCase()}/github/push`,
      `/hooks/${token.toLowerCase()}/github/push`,
      `/hooks/${token.slice(0, -1)}${other(token.at(-1) as string)}/github/push`,
      `/hooks/${token.slice(0, -1)}/github/push`,
      `/hooks/${token}x/github/push`,
      `/hooks/%${(token.charCodeAt(0) as number).toString(16)}${token.slice(1)}/github/push`,
      `/hooks/${token}%00/github/push`,
      `/hooks/${token}/github%2Fpush`,
      `/hooks/${token}/github/push/`,
      `/hooks/${token}/./github/push`,
      `/hooks/${token}/github/../github/push`,
      `/hooks/${token}//github/push`,
      `/hooks/${token}/GITHUB/push`,
      `/hooks/${token}/github/push%20`,
      `/HOOKS/${token}/github/push`,
      `//hooks/${token}/github/push`,
      `/hooks/x'%20OR%20'1'='1/github/push`,
      `/hooks/%25/github/push`,
      `/hooks/_/github/push`,
      `/hooks/${token.slice(0, 8)}%25/github/push`,
    ];
    for (const target of spellings) {
      for (const node of [b, a])
        expect(await raw(node.gatewayUrl as string, target), `${target} on ${node.cluster?.member.name}`).toBe(404);
    }
    expect(webhookEvents(a, proc.pid)).toEqual([]);
    // The exact route, through the other node: the one request the process sees.
    const res = await fetch(via(b, told), { method: 'POST', body: 'the real one' });
    expect([res.status, await res.text()]).toEqual([200, 'answered']);
    await until(() => a.pcb(proc.pid)?.state === 'blocked', 20_000, 'the process to wait again');
    expect(webhookEvents(a, proc.pid)).toHaveLength(1);
  }, 60_000);
});

describe('a request carried from another node', () => {
  it('is checked again where it reaches the process: shape, method, size, credentials; a unit route is not reached', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-redteam-carried-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const tape = path.join(dir, 'tape.yaml');
    await writeFile(
      tape,
      YAML.stringify({
        agents: {
          hook: [
            REGISTER,
            BLOCK,
            { expect: '[EVENT::WEBHOOK]', reply: call('SYS_WEBHOOK_REPLY', { request_id: 'w1', body: 'ok' }) },
            EXIT,
          ],
        },
      }),
    );
    const kernel = await Kernel.create({
      workspace: path.join(dir, 'ws'),
      rootCapabilities: [...ALL_CAPS, 'webhook'],
      cwd: dir,
      gateway: gatewayAt(0),
    });
    closers.push(() => kernel.shutdown());
    const proc = await kernel.spawn({ task: 'hook', model: `replay:${tape}`, name: 'hook' });
    await until(
      () => kernel.pcb(proc.pid)?.state === 'blocked' && (turnOf(kernel.proc(proc.pid))?.transcript.length ?? 0) > 2,
      20_000,
      'the process to register and wait',
    );
    const result =
      turnOf(kernel.proc(proc.pid))?.transcript.find((m) => m.text.includes('[SYS_RESULT::SYS_REGISTER_WEBHOOK]'))
        ?.text ?? '';
    const token = result.match(/\/hooks\/([^/]+)\//)?.[1] as string;
    const request = { method: 'POST', query: {}, headers: { 'x-github-event': 'push' }, body: '{}' };
    const carried = (over: Record<string, unknown>, req: Record<string, unknown> = {}): unknown => ({
      token,
      path: 'github/push',
      request: { ...request, ...req },
      ...over,
    });

    // Malformed: never thrown, answered 400, nothing delivered.
    for (const bad of [
      null,
      'x',
      [],
      { token },
      carried({ token: 7 }),
      carried({ path: null }),
      carried({}, { method: 'GET\r\nX-Injected: 1' }),
      carried({}, { method: '' }),
      carried({}, { headers: { a: 1 } }),
      carried({}, { body: null }),
      carried({}, { query: 'a=1' }),
    ]) {
      expect((await deliverCarried(kernel, bad)).status, JSON.stringify(bad)).toBe(400);
    }
    // Over the gateway's size in bytes, though not in characters.
    const wide = 'é'.repeat(Math.floor(param.webhookMaxBodyBytes / 2) + 1);
    expect((await deliverCarried(kernel, carried({}, { body: wide }))).status).toBe(413);
    // Spelled otherwise: no such webhook here either.
    expect((await deliverCarried(kernel, carried({ token: token.toUpperCase() }))).status).toBe(404);
    expect((await deliverCarried(kernel, carried({ path: 'github/push/' }))).status).toBe(404);
    // A unit's route is answered by its own node's gateway, never carried to a run.
    let started = false;
    kernel.webhooks.addRoute(
      'unit-token-0123456789abcdef01234',
      'go',
      async () => ((started = true), { reply: { status: 200, body: 'ran' } }),
    );
    expect(
      (await deliverCarried(kernel, carried({ token: 'unit-token-0123456789abcdef01234', path: 'go' }))).status,
    ).toBe(404);
    expect(started).toBe(false);
    expect(webhookEvents(kernel, proc.pid)).toEqual([]);

    // Credentials the asking node should have left out are left out here too.
    const secrets = {
      authorization: 'Bearer SECRET1',
      cookie: 's=SECRET2',
      'x-api-key': 'SECRET3',
      'proxy-authorization': 'Basic SECRET4',
      'x-auth-token': 'SECRET5',
    };
    const reply = await deliverCarried(kernel, carried({}, { headers: { ...secrets, 'x-github-event': 'push' } }));
    expect(reply).toMatchObject({ status: 200, body: 'ok' });
    const seen = webhookEvents(kernel, proc.pid).join('\n');
    expect(seen).toContain('"x-github-event":"push"');
    expect(seen).not.toMatch(/SECRET/);
    expect(JSON.stringify(turnOf(kernel.proc(proc.pid))?.transcript ?? [])).not.toMatch(/SECRET/);
  }, 60_000);
});

describe("another node's answer", () => {
  /** The gateway's way to a route on node x, whose answer (or failure) is `answer`. */
  const toX = (answer: () => Promise<unknown>): ReturnType<typeof webhooksElsewhere> =>
    webhooksElsewhere(
      () =>
        ({
          webhooks: { replyTimeoutMs: 1_000 },
          cluster: { remote: { webhookOwner: async () => 'x' }, member: { nodes: [] }, requests: { ask: answer } },
        }) as never,
    );
  const through = async (answer: () => Promise<unknown>): Promise<{ status: number }> => {
    const found = await toX(answer).find('t', 'p');
    if (!found || !('deliver' in found)) throw new Error('no way to x');
    return found.deliver({ method: 'POST', query: {}, headers: {}, body: '' });
  };

  it('becomes a response only when it is one: no line break in a header, a status in range, a text body', async () => {
    expect(await through(async () => ({ status: 201, body: 'fine', contentType: 'text/plain' }))).toMatchObject({
      status: 201,
      body: 'fine',
    });
    for (const bad of [
      { status: 200, body: 'x', contentType: 'text/html\r\nSet-Cookie: session=stolen' },
      { status: 200, body: 'x', contentType: 'text/html\nLocation: https://evil.example' },
      { status: 200, body: 'x', contentType: '' },
      { status: 101, body: 'x' },
      { status: 700, body: 'x' },
      { status: 200.5, body: 'x' },
      { status: 200, body: { toString: 'x' } },
      { status: '200', body: 'x' },
      null,
      'a string',
    ]) {
      expect((await through(async () => bad)).status, JSON.stringify(bad)).toBe(502);
    }
  });

  it('that never came is a 503 to try again; a failure there is a 502 saying so', async () => {
    expect((await through(async () => Promise.reject(new RemoteError('ETIMEDOUT', 'not taken')))).status).toBe(503);
    const failed = await through(async () => Promise.reject(new RemoteError('EIO', 'boom')));
    expect(failed).toMatchObject({ status: 502 });
  });
});
