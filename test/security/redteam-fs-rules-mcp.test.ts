/**
 * Issue 46.4, red team: MCP servers run by aos under the policy's fs rules, with inputs
 * fs-rules-mcp.test.ts does not try: server-filesystem's other tools (edit_file, create_directory,
 * move_file of a parent or into a held directory, read_multiple_files, directory_tree), and a
 * host path the server declares inside the workspace, which a command can swap for a symlink to a
 * host directory before the server (re)starts: bwrap bound wherever the link led, writable
 * (bypass, fixed in bind-sources.ts: a declared path in the workspace is bound by descriptor, and
 * one a symlink leads through refuses the start).
 */
import { lstat, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { closeDrivers, type OpenedDrivers, openDrivers, scopeDrivers } from '../../drivers/index.js';
import type { StdioServerConfig } from '../../drivers/mcp/types.js';
import { shadowedSyscall } from '../../kernel/kernel-open.js';
import { parsePolicy } from '../../kernel/safety/policy.js';
import { CapabilitySet } from '../../sys/capabilities.js';
import { filesystem, FILESYSTEM_JS } from '../drivers/mcp/servers.js';

const ready = Boolean(await findBwrap());
const SECRET = 'SECRET-mcp-9e1f';
const CAPS = ['exec', 'fs.read:/**', 'fs.write:/**', 'mcp:files/*'];
const RULES = parsePolicy(
  `version: 1
root: {capabilities: [exec]}
rules:
  - deny: "fs.write:/src/**"
  - deny: "fs.read:/private/**"
  - deny: "fs.read:/dirrule"
  - deny: "fs.write:/data/*.csv"
  - deny: "fs.read:/**/*.pem"
`,
  'mcp-redteam',
).safety;

const FILES: Record<string, string> = {
  'src/a.js': 'orig-src',
  'private/key.txt': SECRET,
  'dirrule/key.txt': SECRET,
  'data/a.csv': 'orig-csv',
  'keys/k.pem': SECRET,
  'free/f.txt': 'free',
};

let opened: OpenedDrivers | null = null;
let dir = '';
afterEach(async () => {
  if (opened) await closeDrivers(opened);
  opened = null;
  await rm(dir, { recursive: true, force: true });
});

async function setUp(
  server: (ws: string) => StdioServerConfig,
): Promise<{ ws: string; call: (tool: string, args: Record<string, unknown>) => Promise<string> }> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-mcp-redteam-'));
  const ws = path.join(dir, 'ws');
  for (const [name, content] of Object.entries(FILES)) {
    await mkdir(path.dirname(path.join(ws, name)), { recursive: true });
    await writeFile(path.join(ws, name), content);
  }
  opened = await openDrivers({
    workspace: ws,
    allowPrivate: () => false,
    mcp: { servers: { files: server(ws) }, shadows: shadowedSyscall },
    fsRules: () => RULES.rules,
  });
  const caps = new CapabilitySet(CAPS);
  const mcp = scopeDrivers(opened, {
    pid: 1,
    tree: 1,
    signal: new AbortController().signal,
    allows: (c) => caps.allows(c),
    caps: CAPS,
    cwd: '/',
  }).mcp;
  const call = (tool: string, args: Record<string, unknown>) =>
    mcp.call({ server: 'files', tool, arguments: args }).then(
      (value) => `ok: ${JSON.stringify(value)}`,
      (error: unknown) => `refused: ${String(error)}`,
    );
  return { ws, call };
}

describe.runIf(ready)('red team: fs rules in an MCP server', () => {
  it("server-filesystem's other tools cannot write a held path, move one away, or read a hidden one", async () => {
    const { ws, call } = await setUp(() => filesystem());
    const at = '/workspace';
    const attempts: Array<[string, Record<string, unknown>]> = [
      ['edit_file', { path: `${at}/src/a.js`, edits: [{ oldText: 'orig', newText: 'pwned' }] }],
      ['create_directory', { path: `${at}/src/new` }],
      ['move_file', { source: `${at}/keys`, destination: `${at}/free/keys` }],
      ['move_file', { source: `${at}/private`, destination: `${at}/free/private` }],
      ['move_file', { source: `${at}/free/f.txt`, destination: `${at}/data/x.csv` }],
      ['write_file', { path: `${at}/data/x**.csv`, content: 'pwned' }],
      ['read_multiple_files', { paths: [`${at}/private/key.txt`, `${at}/keys/k.pem`, `${at}/dirrule/key.txt`] }],
      ['directory_tree', { path: `${at}/private` }],
      ['read_text_file', { path: `${at}/dirrule/key.txt` }],
    ];
    for (const [tool, args] of attempts) {
      const answer = await call(tool, args);
      expect(answer, `${tool} ${JSON.stringify(args)}`).not.toContain(SECRET);
    }
    expect(await readFile(path.join(ws, 'src/a.js'), 'utf8')).toBe('orig-src');
    for (const gone of ['src/new', 'free/keys', 'free/private', 'data/x.csv', 'data/x**.csv'])
      await expect(lstat(path.join(ws, gone)), gone).rejects.toThrow();
    expect(await readFile(path.join(ws, 'keys/k.pem'), 'utf8')).toBe(SECRET);
    // Control: what no rule holds, the server writes and moves.
    expect(await call('write_file', { path: `${at}/free/ok.txt`, content: 'fine' })).toMatch(/^ok/);
    expect(await call('move_file', { source: `${at}/free/ok.txt`, destination: `${at}/free/moved.txt` })).toMatch(
      /^ok/,
    );
    expect(await readFile(path.join(ws, 'free/moved.txt'), 'utf8')).toBe('fine');
  }, 90_000);

  it('a host path the server declares in the workspace, swapped for a symlink out of it, is never bound', async () => {
    const { ws, call } = await setUp((w) =>
      filesystem({ workspace: false, args: [FILESYSTEM_JS, path.join(w, 'free')], write: [path.join(w, 'free')] }),
    );
    const outside = path.join(dir, 'outside');
    await mkdir(outside);
    // What a command can do to an unprotected directory: move it aside and put a link in its place.
    await rename(path.join(ws, 'free'), path.join(ws, 'free-aside'));
    await symlink(outside, path.join(ws, 'free'));
    const answer = await call('write_file', { path: path.join(ws, 'free/escaped.txt'), content: 'pwned' });
    expect(answer).toMatch(/^refused/);
    await expect(lstat(path.join(outside, 'escaped.txt'))).rejects.toThrow();
    // Control: the directory back as it was, the server starts and writes in it.
    await rm(path.join(ws, 'free'));
    await rename(path.join(ws, 'free-aside'), path.join(ws, 'free'));
    expect(await call('write_file', { path: path.join(ws, 'free/ok.txt'), content: 'fine' })).toMatch(/^ok/);
    expect(await readFile(path.join(ws, 'free/ok.txt'), 'utf8')).toBe('fine');
  }, 90_000);
});
