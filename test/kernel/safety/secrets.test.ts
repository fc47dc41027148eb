/**
 * Secrets: substituted only where the policy lets them go, after the capability check; the value
 * never appears in what the model sees, nor in any byte the kernel stores, logs or emits.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/index.js';
import { Kernel } from '../../../kernel/kernel.js';
import { parsePolicy } from '../../../kernel/safety/policy.js';
import { SecretBox } from '../../../kernel/safety/secrets.js';
import type { KernelEvent } from '../../../protocol/events.js';
import { call, EXIT } from '../../helpers/kernel-harness.js';

const VALUE = 'sk-live-7f3a9c2e51d04b8e';
const bwrap = await findBwrap();
let server: Server;
let port = 0;
const seenByServer: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seenByServer.push(String(req.headers['x-api-key'] ?? ''));
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ echoed: req.headers['x-api-key'], auth: req.headers.authorization }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const POLICY = `version: 1
root: {capabilities: [exec]}
secrets:
  TOKEN:
    from_env: AOS_TEST_TOKEN
    hosts: ["127.0.0.1"]
    exec: ["true"]
  NOVALUE:
    from_env: AOS_TEST_UNSET
    hosts: ["127.0.0.1"]
`;

describe.skipIf(!bwrap)('secrets', () => {
  it('reach the server and the command, come back masked, and leave no byte in the store, events or log', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-secrets-'));
    const url = `http://127.0.0.1:${port}/echo`;
    const tape = {
      root: [
        [
          call('NET_FETCH', {
            url,
            headers: { 'x-api-key': '{{secret:TOKEN}}', authorization: 'Bearer {{secret:TOKEN}}' },
          }),
          call('EXEC_CMD', { cmd: 'TOKEN={{secret:TOKEN}} true' }),
          call('EXEC_CMD', { cmd: 'echo {{secret:TOKEN}} > leak.txt; printenv TOKEN' }),
          call('NET_FETCH', { url: `http://localhost:${port}/echo`, headers: { 'x-api-key': '{{secret:TOKEN}}' } }),
          call('EXEC_CMD', { cmd: 'TOKEN={{secret:TOKEN}} cat x' }),
          call('NET_FETCH', { url: `${url}?k={{secret:TOKEN}}` }),
          call('FS_WRITE', { path: '/out/x', content: '{{secret:TOKEN}}' }),
          call('NET_FETCH', { url, headers: { a: '{{secret:NOVALUE}}' } }),
          call('NET_FETCH', { url, headers: { a: '{{secret:OTHER}}' } }),
          // Never in an argument, where the program could print, compare or slice it (issue 46.8).
          call('EXEC_CMD', { cmd: 'true "token: {{secret:TOKEN}}"' }),
        ].join('\n'),
        { expect: ['[secret TOKEN]'], reply: EXIT },
      ],
    };
    await writeFile(path.join(dir, 'tape.yaml'), YAML.stringify({ agents: tape }));
    const safety = parsePolicy(POLICY, 'p').safety;
    const secrets = await SecretBox.load(safety.secrets, dir, { AOS_TEST_TOKEN: VALUE });
    const logged: string[] = [];
    const kernel = await Kernel.create({
      workspace: path.join(dir, 'ws'),
      rootCapabilities: ['fs.read:/**', 'fs.write:/**', 'exec', 'net.fetch:127.0.0.1', 'net.fetch:localhost'],
      netAllowPrivate: ['127.0.0.1:*'],
      cwd: dir,
      storeFile: path.join(dir, 'aos.db'),
      safety,
      secrets,
      log: (level, message) => logged.push(`${level} ${message}`),
    });
    const events: KernelEvent[] = [];
    kernel.events.subscribe((e) => events.push(e));
    const pcb = await kernel.spawn({ task: 't', model: `replay:${path.join(dir, 'tape.yaml')}` });
    const end = await kernel.waitExit(pcb.pid);
    const results = events.filter(
      (e): e is Extract<KernelEvent, { type: 'result' }> => e.type === 'result' && e.name !== 'SYS_EXIT',
    );
    await kernel.shutdown();

    expect(end.exitReason).toBe('exited');
    expect(seenByServer).toEqual([VALUE]); // the real value went out, once, to the allowed host
    const outcome = results.map((r) => (r.ok ? 'ok' : r.errno));
    expect(outcome).toEqual(['ok', 'ok', 'EPERM', 'EPERM', 'EPERM', 'EPERM', 'EPERM', 'EPERM', 'EPERM', 'EPERM']);
    expect(JSON.stringify(results[0]?.value)).toContain('"echoed\\":\\"[secret TOKEN]\\"');
    expect(results[1]?.value).toMatchObject({ stdout: '', exit_code: 0 });
    // A secret's command line is one program and its words: no redirection, no second command.
    expect(results[2]?.message).toMatch(/one program and plain arguments.*">"/);
    expect(results[3]?.message).toMatch(/may not be sent to localhost/);
    expect(results[4]?.message).toMatch(/may not go to the command cat/);
    expect(results[5]?.message).toMatch(/not go in a URL/);
    expect(results[6]?.message).toMatch(/FS_WRITE cannot carry secrets/);
    expect(results[7]?.message).toMatch(/NOVALUE has no value/);
    expect(results[8]?.message).toMatch(/no secret named OTHER/);
    expect(results[9]?.message).toMatch(
      /only in its environment: write TOKEN=\{\{secret:TOKEN\}\} before the program.*could compare, slice or print it/,
    );

    // Every byte the kernel kept or said: the store files, the events, the log.
    const needle = Buffer.from(VALUE);
    for (const name of await readdir(dir)) {
      if (!name.startsWith('aos.db')) continue;
      const bytes = await readFile(path.join(dir, name));
      expect(bytes.includes(needle), `${name} holds the secret`).toBe(false);
    }
    expect(JSON.stringify(events)).not.toContain(VALUE);
    expect(logged.join('\n')).not.toContain(VALUE);
    // Nothing of the run is left behind: no shell ran the redirection.
    expect(await readdir(path.join(dir, 'ws'))).not.toContain('leak.txt');
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a secret file that others can read', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-secrets-'));
    await writeFile(path.join(dir, 'tok'), 'abcdefghijkl\n', { mode: 0o644 });
    const box = await SecretBox.load(
      parsePolicy(`${POLICY.split('secrets:')[0]}secrets:\n  F: {from_file: tok, hosts: [a.example]}\n`, 'p').safety
        .secrets,
      dir,
      {},
    );
    const def = { name: 'NET_FETCH' } as Parameters<SecretBox['substitute']>[0]['def'];
    expect(
      box.substitute({ def, args: { url: 'https://a.example/', headers: { k: '{{secret:F}}' } }, capability: null }),
    ).toMatchObject({
      refused: { errno: 'EPERM', message: expect.stringMatching(/mode 0600/) },
    });
    await rm(dir, { recursive: true, force: true });
  });
});
