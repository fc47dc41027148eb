/**
 * Issue 46.4: the policy's fs rules bind MCP servers run by aos, which see the workspace at
 * /workspace (`workspace: true`) or at a host path they declare. server-filesystem, asked to read a
 * hidden file or write a read-only one, cannot; a policy reload holds from the server's next use
 * (it is started again under the new mounts).
 */
import { lstat, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import type { FsRule } from '../../drivers/fs-rules.js';
import { closeDrivers, type OpenedDrivers, openDrivers, scopeDrivers } from '../../drivers/index.js';
import { shadowedSyscall } from '../../kernel/kernel-open.js';
import { parsePolicy } from '../../kernel/safety/policy.js';
import { CapabilitySet } from '../../sys/capabilities.js';
import { filesystem, FILESYSTEM_JS } from '../drivers/mcp/servers.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

const ready = Boolean(await findBwrap());
const SECRET = 'SECRET-mcp-41d2';
const CAPS = ['exec', 'fs.read:/**', 'fs.write:/**', 'mcp:files/*'];
const RULES = parsePolicy(
  `version: 1
root: {capabilities: [exec]}
rules:
  - deny: "fs.write:/src/**"
  - deny: "fs.read:/private/**"
  - deny: "fs.read:/**/*.pem"
`,
  'mcp-rules',
).safety;

async function seed(workspace: string): Promise<void> {
  const files: Record<string, string> = {
    'src/a.js': 'orig-src',
    'private/key.txt': SECRET,
    'keys/k.pem': SECRET,
    'free/f.txt': 'free',
  };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(workspace, name)), { recursive: true });
    await writeFile(path.join(workspace, name), content);
  }
}

const mcp = (tool: string, args: Record<string, unknown>) =>
  call('MCP_CALL', { server: 'files', tool, arguments: args });

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const REFUSED_CALLS = (at: string): Array<[string, Record<string, unknown>]> => [
  ['read_text_file', { path: `${at}/private/key.txt` }],
  ['read_text_file', { path: `${at}/keys/k.pem` }],
  ['list_directory', { path: `${at}/private` }],
  ['write_file', { path: `${at}/src/a.js`, content: 'pwned' }],
  ['write_file', { path: `${at}/src/new.js`, content: 'pwned' }],
  ['move_file', { source: `${at}/src/a.js`, destination: `${at}/free/moved.js` }],
];

async function expectUntouched(ws: string): Promise<void> {
  expect(await readFile(path.join(ws, 'src/a.js'), 'utf8')).toBe('orig-src');
  await expect(lstat(path.join(ws, 'src/new.js'))).rejects.toThrow();
  await expect(lstat(path.join(ws, 'free/moved.js'))).rejects.toThrow();
}

describe.runIf(ready)('fs rules in an MCP server run by aos', () => {
  it('hold for a server that sees the workspace at /workspace, through MCP_CALL', async () => {
    const calls = [
      ...REFUSED_CALLS('/workspace').map(([tool, args]) => mcp(tool, args)),
      mcp('write_file', { path: '/workspace/free/ok.txt', content: 'fine' }),
      mcp('search_files', { path: '/workspace', pattern: 'key' }),
    ];
    h = await startHarness(
      { root: [...calls, EXIT] },
      { safety: RULES, rootCapabilities: CAPS, mcp: { files: filesystem() } },
    );
    await seed(h.workspace);
    const pcb = await h.run();
    const results = h.results(pcb.pid);
    for (const refused of results.slice(0, 6)) expect(refused.ok, JSON.stringify(refused)).toBe(false);
    expect(results[6]).toMatchObject({ ok: true });
    expect(JSON.stringify(h.eventsOf(pcb.pid))).not.toContain(SECRET);
    await expectUntouched(h.workspace);
    expect(await readFile(path.join(h.workspace, 'free/ok.txt'), 'utf8')).toBe('fine');
  }, 60_000);
});

describe.runIf(ready)('fs rules in an MCP server that declares the workspace as a host path', () => {
  let opened: OpenedDrivers | null = null;
  let dir = '';
  afterEach(async () => {
    if (opened) await closeDrivers(opened);
    opened = null;
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['the workspace itself, writable', (ws: string) => ({ write: [ws], at: ws })],
    ['a directory holding the workspace', (ws: string) => ({ write: [path.dirname(ws)], at: ws })],
  ])(
    'hold on %s',
    async (_how, declare) => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'aos-mcp-host-'));
      const ws = path.join(dir, 'ws');
      await mkdir(ws);
      await seed(ws);
      const { write, at } = declare(ws);
      const server = filesystem({ workspace: false, args: [FILESYSTEM_JS, path.dirname(ws)], write });
      opened = await openDrivers({
        workspace: ws,
        allowPrivate: () => false,
        mcp: { servers: { files: server }, shadows: shadowedSyscall },
        fsRules: () => RULES.rules,
      });
      const files = scoped(opened);
      for (const [tool, args] of REFUSED_CALLS(at)) {
        const answer = await files.call({ server: 'files', tool, arguments: args }).then(
          (value) => JSON.stringify(value),
          (error: unknown) => `refused: ${String(error)}`,
        );
        expect(answer, `${tool} ${JSON.stringify(args)}`).toMatch(/^refused/);
        expect(answer).not.toContain(SECRET);
      }
      await expectUntouched(ws);
    },
    60_000,
  );
});

function scoped(drivers: OpenedDrivers) {
  const caps = new CapabilitySet(CAPS);
  return scopeDrivers(drivers, {
    pid: 1,
    tree: 1,
    signal: new AbortController().signal,
    allows: (c) => caps.allows(c),
    caps: CAPS,
    cwd: '/',
  }).mcp;
}

describe.runIf(ready)('an MCP server after a policy reload', () => {
  let opened: OpenedDrivers | null = null;
  let dir = '';
  afterEach(async () => {
    if (opened) await closeDrivers(opened);
    opened = null;
    await rm(dir, { recursive: true, force: true });
  });

  it('is started again under the new rules at its next use', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-mcp-reload-'));
    const ws = path.join(dir, 'ws');
    await mkdir(ws);
    await seed(ws);
    let rules: readonly FsRule[] = [];
    const logs: string[] = [];
    opened = await openDrivers({
      workspace: ws,
      allowPrivate: () => false,
      mcp: { servers: { files: filesystem() }, shadows: shadowedSyscall },
      fsRules: () => rules,
      log: (_level, message) => logs.push(message),
    });
    const files = scoped(opened);
    const write = (content: string) =>
      files.call({ server: 'files', tool: 'write_file', arguments: { path: '/workspace/src/a.js', content } });
    await write('before the reload');
    expect(await readFile(path.join(ws, 'src/a.js'), 'utf8')).toBe('before the reload');
    rules = RULES.rules;
    await expect(write('after the reload')).rejects.toThrow();
    expect(await readFile(path.join(ws, 'src/a.js'), 'utf8')).toBe('before the reload');
    expect(logs.some((m) => m.includes('restarts'))).toBe(true);
  }, 60_000);
});
