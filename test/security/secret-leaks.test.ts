/**
 * Secrets an agent uses but never sees (issue 27.2, 27.3): the ways a secret came back — a redirect
 * naming a file after it, the agent's own `./bin/<program>`, a `PATH=` prefix, a function of the
 * program's name, a host or an MCP server echoing it base64-, hex-, %- or JSON-escaped, slices of
 * a file holding it, the value minus one character — are refused or masked, and afterwards no form
 * of the value is in any byte of the store, the events or the log.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { findGate } from '../../drivers/exec/gate/gate-binary.js';
import { Kernel } from '../../kernel/kernel.js';
import { parsePolicy } from '../../kernel/safety/policy.js';
import type { SecretSpec } from '../../kernel/safety/policy-secrets.js';
import { SecretBox } from '../../kernel/safety/secrets.js';
import type { KernelEvent } from '../../protocol/events.js';
import { everything } from '../drivers/mcp/servers.js';
import { call, EXIT } from '../helpers/kernel-harness.js';
import { leakForms } from './leak-forms.js';

// Quotes, a backslash and a slash: its JSON and URL forms differ from the value itself.
const VALUE = 'tok"9fK2/xQ7w\\Zp-41LmN8vR';
const ready = Boolean((await findBwrap()) && (await findGate()));
if (!ready) console.log('bwrap or the exec gate is missing: secret leak tests skipped');

/** A host that echoes the header back in every form a careless (or hostile) server might. */
function echoForms(v: string): Record<string, string> {
  const b = Buffer.from(v);
  return {
    raw: v,
    minusFirst: v.slice(1),
    minusLast: v.slice(0, -1),
    middle: v.slice(4, 16),
    upper: v.toUpperCase(),
    reversed: [...v].reverse().join(''),
    base64: b.toString('base64'),
    base64Shifted: Buffer.concat([Buffer.from('user:'), b]).toString('base64'),
    base64url: b.toString('base64url'),
    hex: b.toString('hex'),
    HEX: b.toString('hex').toUpperCase(),
    url: encodeURIComponent(v),
    urlAll: [...b].map((x) => `%${x.toString(16).padStart(2, '0')}`).join(''),
    json: JSON.stringify(v),
    unicode: [...v].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
  };
}

let server: Server;
let port = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(echoForms(String(req.headers['x-secret'] ?? ''))));
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
  T:
    from_env: AOS_LEAK_TOKEN
    hosts: ["127.0.0.1"]
    exec: ["true"]
    mcp: ["everything"]
`;
/**
 * A listed program that prints its environment stands in for any program trusted with a secret: the
 * policy refuses printenv (secret-programs.ts), so it is added to the loaded policy by hand here,
 * to show what such a program hands back comes back masked.
 */
const withPrintenv = (specs: SecretSpec[]): SecretSpec[] => specs.map((s) => ({ ...s, exec: [...s.exec, 'printenv'] }));

describe.runIf(ready)('secret leaks', () => {
  it('refuses every way around the listed program and masks every form that comes back, leaving no byte of it behind', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-leaks-'));
    const ws = path.join(dir, 'ws');
    const url = `http://127.0.0.1:${port}/forms`;
    const attacks = [
      call('EXEC_CMD', { cmd: 'T={{secret:T}} printenv T > "${T:1}"' }),
      call('EXEC_CMD', { cmd: 'T={{secret:T}} ./bin/printenv T' }),
      call('EXEC_CMD', { cmd: 'PATH=./bin:$PATH T={{secret:T}} printenv T' }),
      call('EXEC_CMD', { cmd: 'function printenv { env; }; T={{secret:T}} printenv T' }),
      call('EXEC_CMD', { cmd: 'LD_PRELOAD=/workspace/x.so T={{secret:T}} printenv T' }),
      call('EXEC_CMD', { cmd: 'T={{secret:T}} cat /proc/self/environ' }),
      call('EXEC_CMD', { cmd: 'T={{secret:T}} printenv T' }),
      call('EXEC_CMD', { cmd: 'T="{{secret:T}}" printenv T T' }),
      call('NET_FETCH', { url, headers: { 'x-secret': '{{secret:T}}' } }),
      call('FS_READ', { path: '/planted.txt' }),
      call('FS_READ', { path: '/planted.txt', offset: 10, length: 12 }),
      call('FS_READ', { path: '/planted.bin' }),
      call('MCP_CALL', { server: 'everything', tool: 'get-env', arguments: {} }),
      call('EXEC_CMD', {
        cmd: 'ls /workspace; cat /proc/*/environ 2>/dev/null | tr "\\0" "\\n" | grep -c AOS || true',
      }),
    ];
    await writeFile(path.join(dir, 'tape.yaml'), YAML.stringify({ agents: { root: [attacks.join('\n'), EXIT] } }));
    const safety = parsePolicy(POLICY, 'p').safety;
    const secrets = await SecretBox.load(withPrintenv(safety.secrets), dir, { AOS_LEAK_TOKEN: VALUE });
    const logged: string[] = [];
    const kernel = await Kernel.create({
      workspace: ws,
      rootCapabilities: ['fs.read:/**', 'fs.write:/**', 'exec', 'net.fetch:127.0.0.1', 'mcp:everything/*'],
      netAllowPrivate: ['127.0.0.1:*'],
      cwd: dir,
      storeFile: path.join(dir, 'aos.db'),
      safety,
      secrets,
      mcp: { everything: everything({ env: { TOKEN: '{{secret:T}}' } }) },
      log: (level, message) => logged.push(`${level} ${message}`),
    });
    // A file some earlier tool left holding the secret, in text and in binary.
    await writeFile(path.join(ws, 'planted.txt'), `config:\n  token: ${VALUE}\n`);
    await writeFile(path.join(ws, 'planted.bin'), Buffer.concat([Buffer.from([0, 1, 2, 255]), Buffer.from(VALUE)]));
    const events: KernelEvent[] = [];
    kernel.events.subscribe((e) => events.push(e));
    const pcb = await kernel.spawn({ task: 't', model: `replay:${path.join(dir, 'tape.yaml')}` });
    await kernel.waitExit(pcb.pid);
    const results = events.filter(
      (e): e is Extract<KernelEvent, { type: 'result' }> => e.type === 'result' && e.name !== 'SYS_EXIT',
    );
    await kernel.shutdown();

    expect(results.slice(0, 6).map((r) => r.ok || r.errno)).toEqual([
      'EPERM',
      'EPERM',
      'EPERM',
      'EPERM',
      'EPERM',
      'EPERM',
    ]);
    expect(results[0]?.message).toMatch(/one program and plain arguments/);
    expect(results[1]?.message).toMatch(/bare name/);
    expect(results[4]?.message).toMatch(/LD_PRELOAD= would change which code runs/);
    expect(results[5]?.message).toMatch(/may not go to the command cat/);
    // The value reached the program's environment, and came back masked.
    expect(results[6]).toMatchObject({ ok: true, value: { stdout: '[secret T]\n' } });
    expect(results[7]).toMatchObject({ ok: true, value: { stdout: '[secret T]\n[secret T]\n' } });
    for (const r of results.slice(8, 13)) expect(r.ok, JSON.stringify(r)).toBe(true);
    // The last call ran no secret: nothing of the run before it is left in the workspace or in any process.
    expect(results[13]).toMatchObject({
      ok: true,
      value: { stdout: expect.stringMatching(/^planted\.bin\nplanted\.txt\n0\n$/) },
    });

    const forms = leakForms(VALUE);
    const seen = JSON.stringify(events) + logged.join('\n');
    for (const form of forms) expect(seen.includes(form), `events or log hold ${JSON.stringify(form)}`).toBe(false);
    for (const name of await readdir(dir)) {
      if (!name.startsWith('aos.db')) continue;
      const bytes = await readFile(path.join(dir, name));
      for (const form of forms)
        expect(bytes.includes(Buffer.from(form)), `${name} holds ${JSON.stringify(form)}`).toBe(false);
    }
    await rm(dir, { recursive: true, force: true });
  }, 90_000);
});
