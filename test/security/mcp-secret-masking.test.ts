/**
 * A secret the policy gives only to an MCP server (`mcp: [leaky]`, filled into its env or headers)
 * comes back in what the server says about itself: its tools' names, argument names and
 * descriptions, its last stderr line when it dies or cannot start, an HTTP error body that echoes
 * its Authorization header. None of it may reach the agent's system prompt, the `request` event
 * and the store it is kept in (aos logs, the web view read them), or the kernel's log: the
 * reference is masked where the kernel makes it, the whole system prompt before it is kept, and the
 * drivers' log line before it reaches the kernel's log.
 */
import { createServer } from 'node:http';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import type { McpServerConfig, StdioServerConfig } from '../../drivers/mcp/types.js';
import { Kernel } from '../../kernel/kernel.js';
import { parsePolicy } from '../../kernel/safety/policy.js';
import { SecretBox } from '../../kernel/safety/secrets.js';
import type { KernelEvent } from '../../protocol/events.js';
import { NODE_MODULES } from '../drivers/mcp/servers.js';
import { call, EXIT } from '../helpers/kernel-harness.js';
import { leakForms } from './leak-forms.js';

const VALUE = 'Zq7xW3vKm9Tt2LpY8sNc4Rb6Hj1D';
const FORMS = leakForms(VALUE);
const here = path.dirname(new URL(import.meta.url).pathname);
const LEAKY = path.resolve(here, '../fixtures/mcp/leaky-server.mjs');
const REPO_NODE_MODULES = path.resolve(here, '../../node_modules');
const ready = Boolean(await findBwrap());

const POLICY = `version: 1
root: {capabilities: [exec]}
secrets:
  T:
    from_env: AOS_LEAK_TOKEN
    mcp: ["leaky"]
`;

/** test/fixtures/mcp/leaky-server.mjs, given the secret as $TOKEN. */
function leaky(mode: 'ok' | 'startfail'): StdioServerConfig {
  return {
    kind: 'stdio',
    command: process.execPath,
    args: [LEAKY],
    env: { TOKEN: '{{secret:T}}', MODE: mode },
    read: [...new Set([NODE_MODULES, REPO_NODE_MODULES, path.dirname(LEAKY)])],
    write: [],
    workspace: false,
    network: false,
  };
}

/** The forms of the secret found in `text` (none, when it was masked). */
const leaks = (text: string): string[] => FORMS.filter((form) => text.includes(form));

interface Run {
  /** The first turn's system prompt, as its `request` event keeps it. */
  system: string;
  events: KernelEvent[];
  logged: string[];
  /** Every byte of the store's files. */
  stored: string;
}

async function until(done: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

/** One root process on `replies`, its server `leaky`; `settle`: what the log must say before the kernel stops. */
async function run(
  server: McpServerConfig,
  replies: string[],
  options: { role?: string; settle?: (logged: string[]) => boolean } = {},
): Promise<Run> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-mcp-mask-'));
  try {
    await writeFile(path.join(dir, 'tape.yaml'), YAML.stringify({ agents: { root: replies } }));
    const safety = parsePolicy(POLICY, 'mcp-mask').safety;
    const logged: string[] = [];
    const kernel = await Kernel.create({
      workspace: path.join(dir, 'ws'),
      rootCapabilities: ['mcp:leaky/*'],
      cwd: dir,
      storeFile: path.join(dir, 'aos.db'),
      safety,
      secrets: await SecretBox.load(safety.secrets, dir, { AOS_LEAK_TOKEN: VALUE }),
      mcp: { leaky: server },
      log: (level, message) => logged.push(`${level} ${message}`),
    });
    const events: KernelEvent[] = [];
    kernel.events.subscribe((e) => events.push(e));
    const model = `replay:${path.join(dir, 'tape.yaml')}`;
    const pcb = await kernel.spawn({ task: 't', model, ...(options.role ? { role: options.role } : {}) });
    await kernel.waitExit(pcb.pid);
    if (options.settle) await until(() => options.settle!(logged), 10_000);
    await kernel.shutdown();
    let stored = '';
    for (const name of await readdir(dir))
      if (name.startsWith('aos.db')) stored += (await readFile(path.join(dir, name))).toString('latin1');
    const request = events.find((e): e is Extract<KernelEvent, { type: 'request' }> => e.type === 'request');
    return { system: request?.system ?? '', events, logged, stored };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('MCP server text in the system prompt: secrets masked', () => {
  it('an HTTP server that echoes its Authorization header in a 401: the prompt says it is unavailable, masked', async () => {
    const http = createServer((req, res) => {
      res.statusCode = 401;
      res.setHeader('content-type', 'text/plain');
      res.end(`unauthorized: ${String(req.headers.authorization)}`);
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
      const remote: McpServerConfig = { kind: 'http', url, headers: { authorization: 'Bearer {{secret:T}}' } };
      const { system, logged, stored } = await run(remote, [EXIT]);
      expect(system).toMatch(/server "leaky": unavailable now \(.*unauthorized: Bearer \[secret T\]/);
      expect(leaks(system)).toEqual([]);
      expect(leaks(stored)).toEqual([]);
      expect(leaks(logged.join('\n'))).toEqual([]);
    } finally {
      await new Promise((r) => http.close(r));
    }
  }, 60_000);

  it('the whole prompt is masked at one point: a role that holds the value is kept masked', async () => {
    // No server is reached: the part that quotes the value is the kernel's own (the role). The
    // role is the operator's, kept as given in the process's row: only the prompt is looked at.
    const remote: McpServerConfig = { kind: 'http', url: 'http://127.0.0.1:9/mcp', headers: {} };
    const role = `You act for the account whose key is ${VALUE}. ${'Be brief. '.repeat(80)}`;
    const { system } = await run(remote, [EXIT], { role });
    expect(system).toContain('You act for the account whose key is [secret T].');
    expect(leaks(system)).toEqual([]);
  }, 60_000);
});

describe.runIf(ready)('a stdio MCP server that says its secret', () => {
  it("in its tools' names, argument names and descriptions: the prompt, the request event and the store hold it masked", async () => {
    const { system, events, stored } = await run(leaky('ok'), [
      call('MCP_CALL', { server: 'leaky', tool: 'whoami', arguments: {} }),
      EXIT,
    ]);
    expect(system).toContain('server "leaky" says: «Acts as the account of token [secret T]»');
    expect(system).toContain('as_[secret T] {"key_[secret T]": string}');
    expect(leaks(system)).toEqual([]);
    expect(leaks(JSON.stringify(events))).toEqual([]);
    expect(leaks(stored)).toEqual([]);
  }, 60_000);

  it("on stderr when a call crashes it: the kernel's log says it exited, masked", async () => {
    const exited = (logged: string[]): boolean => logged.some((l) => l.includes('"leaky" exited'));
    const { events, logged } = await run(
      leaky('ok'),
      [call('MCP_CALL', { server: 'leaky', tool: 'crash', arguments: {} }), EXIT],
      { settle: exited },
    );
    expect(logged.find((l) => l.includes('"leaky" exited'))).toContain('token [secret T] was rejected');
    expect(leaks(logged.join('\n'))).toEqual([]);
    expect(leaks(JSON.stringify(events))).toEqual([]);
  }, 60_000);

  it('on stderr as it fails to start: the prompt, the store and the log hold it masked', async () => {
    const exited = (logged: string[]): boolean => logged.some((l) => l.includes('"leaky" exited'));
    const { system, logged, stored } = await run(leaky('startfail'), [EXIT], { settle: exited });
    expect(system).toMatch(/server "leaky": unavailable now \(.*token \[secret T\] was rejected/);
    expect(leaks(system)).toEqual([]);
    expect(leaks(stored)).toEqual([]);
    expect(leaks(logged.join('\n'))).toEqual([]);
  }, 60_000);
});
