/**
 * The MCP driver against real servers from npm, sandboxed in bubblewrap: lazy start, tool list,
 * calls, results as references, a killed server (EIO, then restarted), a hung call (ETIMEDOUT),
 * idle stop, and nothing left running after close.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/index.js';
import { ServerDriver } from '../../../drivers/mcp/server-driver.js';
import { toToolValue } from '../../../drivers/mcp/tool-result.js';
import type { McpServerConfig } from '../../../drivers/mcp/types.js';
import { until } from '../../helpers/until.js';
import { descendantsOf, readProc, stillRunning } from '../exec/host-procs.js';
import { everything, filesystem, TEST_LIMITS } from './servers.js';

const drivers: ServerDriver[] = [];
let workspace = '';
/** Every directory open() made: a test that opens two drivers left the first behind in the temp dir. */
const dirs: string[] = [];

beforeAll(async () => {
  expect(await findBwrap()).not.toBeNull();
});

afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.stop({ close: true })));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  workspace = '';
});

async function open(config: McpServerConfig, limits: Partial<typeof TEST_LIMITS> = {}): Promise<ServerDriver> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-mcp-'));
  dirs.push(dir);
  workspace = path.join(dir, 'workspace');
  await import('node:fs/promises').then((fs) => fs.mkdir(workspace));
  const driver = new ServerDriver('s', config, {
    workspace,
    limits: { ...TEST_LIMITS, ...limits },
    clientInfo: { name: 'aos-test', version: '0' },
  });
  drivers.push(driver);
  return driver;
}

/** The run cgroup directories (v2's one, v1's one per controller) the sandbox's processes are in: none without cgroups. */
async function sandboxCgroupsOf(procs: { pid: number }[]): Promise<string[]> {
  const texts = await Promise.all(procs.map((p) => readFile(`/proc/${p.pid}/cgroup`, 'utf8').catch(() => '')));
  const dirs = texts.flatMap((text) =>
    text.split('\n').flatMap((line) => {
      const [, controllers = '', where = ''] = line.split(':');
      if (!where.includes('/aos-exec/')) return [];
      return controllers === ''
        ? [path.join('/sys/fs/cgroup', where)]
        : controllers.split(',').map((c) => path.join('/sys/fs/cgroup', c, where));
    }),
  );
  return [...new Set(dirs)];
}

/** The server's own processes in its sandbox (node and what it runs). */
async function serverProcs(driver: ServerDriver) {
  const pid = driver.pid;
  if (pid === undefined) throw new Error('no sandbox running');
  const guard = await readProc(pid);
  return [...(guard ? [guard] : []), ...(await descendantsOf(pid))];
}

describe('a stdio MCP server in the sandbox', () => {
  it('starts on first use, lists its tools and answers calls', async () => {
    const driver = await open(everything());
    expect(driver.state).toBe('stopped');
    const tools = await driver.tools();
    expect(driver.state).toBe('running');
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'get-sum', 'get-tiny-image']));
    expect(tools.find((t) => t.name === 'echo')?.inputSchema).toMatchObject({
      type: 'object',
      properties: { message: { type: 'string' } },
    });
    const echo = await driver.call('echo', { message: 'hi' }, { timeoutMs: 10_000 });
    expect(toToolValue(echo, 's', 'echo', 1000)).toEqual({
      truncated: false,
      content: [{ type: 'text', text: 'Echo: hi' }],
    });
  });

  it('gives images as references with their size, and cuts text at the cap', async () => {
    const driver = await open(everything());
    const image = toToolValue(
      await driver.call('get-tiny-image', {}, { timeoutMs: 10_000 }),
      's',
      'get-tiny-image',
      1_000_000,
    );
    const ref = image.content.find((c) => c.type === 'image');
    expect(ref).toMatchObject({ type: 'image', mime_type: 'image/png' });
    expect(ref && 'bytes' in ref ? ref.bytes : 0).toBeGreaterThan(0);
    expect(JSON.stringify(image)).not.toContain('iVBOR');
    const cut = toToolValue(
      await driver.call('echo', { message: 'x'.repeat(100) }, { timeoutMs: 10_000 }),
      's',
      'echo',
      20,
    );
    expect(cut).toEqual({ truncated: true, content: [{ type: 'text', text: `Echo: ${'x'.repeat(14)}` }] });
  });

  it('runs with a clean environment, no network and only its declared paths', async () => {
    const driver = await open(everything({ env: { GREETING: 'hello' } }));
    const env = toToolValue(await driver.call('get-env', {}, { timeoutMs: 10_000 }), 's', 'get-env', 100_000);
    const text = env.content[0]?.type === 'text' ? env.content[0].text : '';
    expect(JSON.parse(text)).toMatchObject({ GREETING: 'hello', PATH: '/usr/local/bin:/usr/bin:/bin' });
    expect(text).not.toContain(process.env.HOME ?? '/root');
    const fs = await open(filesystem());
    await writeFile(path.join(workspace, 'note.txt'), 'in the workspace');
    const read = await fs.call('read_text_file', { path: '/workspace/note.txt' }, { timeoutMs: 10_000 });
    expect(toToolValue(read, 's', 'read_text_file', 1000).content).toEqual([
      { type: 'text', text: 'in the workspace' },
    ]);
    // Outside its allowed directory the server itself refuses (isError): EIO with its message.
    const outside = await fs.call('read_text_file', { path: '/etc/passwd' }, { timeoutMs: 10_000 });
    expect(() => toToolValue(outside, 's', 'read_text_file', 1000)).toThrow(/EIO|denied|outside/i);
  });

  it('a server killed mid-call gives EIO, and the next call starts it again', async () => {
    const driver = await open(everything());
    await driver.tools();
    const procs = await serverProcs(driver);
    const slow = driver.call('trigger-long-running-operation', { duration: 30, steps: 30 }, { timeoutMs: 60_000 });
    const node = procs.find((p) => p.comm.startsWith('node') || p.comm.startsWith('MainThread'));
    expect(node, JSON.stringify(procs)).toBeDefined();
    process.kill(node?.pid ?? 0, 'SIGKILL');
    await expect(slow).rejects.toMatchObject({
      code: 'EIO',
      message: expect.stringContaining('died during the call of trigger-long-running-operation'),
    });
    // Killed with its sandbox: gone as soon as the kernel has run their exits (a moment on a loaded machine).
    await until(async () => (await stillRunning(procs)).length === 0, 5_000, 'the sandbox gone');
    expect(driver.state).toBe('stopped');
    const again = await driver.call('echo', { message: 'back' }, { timeoutMs: 10_000 });
    expect(toToolValue(again, 's', 'echo', 1000).content).toEqual([{ type: 'text', text: 'Echo: back' }]);
  });

  it('a call that outlives its time limit is ETIMEDOUT; the server stays usable', async () => {
    const driver = await open(everything());
    await expect(
      driver.call('trigger-long-running-operation', { duration: 30, steps: 2 }, { timeoutMs: 300 }),
    ).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    const echo = await driver.call('echo', { message: 'still here' }, { timeoutMs: 10_000 });
    expect(toToolValue(echo, 's', 'echo', 1000).content).toEqual([{ type: 'text', text: 'Echo: still here' }]);
  });

  it('a server that never answers its start-up is ETIMEDOUT and is not left running', async () => {
    // `sleep` reads nothing and writes nothing: a hung server.
    const driver = await open({ ...everything(), command: '/bin/sleep', args: ['600'] }, { startTimeoutMs: 500 });
    await expect(driver.tools()).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(driver.state).toBe('stopped');
  });

  it('stops when idle, starts again when used, and leaves nothing running once closed', async () => {
    const driver = await open(everything(), { idleStopMs: 200 });
    await driver.tools();
    const procs = await serverProcs(driver);
    await until(
      async () => driver.state === 'stopped' && (await stillRunning(procs)).length === 0,
      10_000,
      'idle stop',
    );
    await driver.call('echo', { message: 'x' }, { timeoutMs: 10_000 });
    const second = await serverProcs(driver);
    await driver.stop({ close: true });
    await until(async () => (await stillRunning(second)).length === 0, 5_000, 'the server gone once closed');
    await expect(driver.tools()).rejects.toMatchObject({ code: 'EIO' });
  });

  it('a close while the idle stop is still killing the server resolves only once the server is gone', async () => {
    const driver = await open(everything());
    await driver.tools();
    const procs = await serverProcs(driver);
    const runCgroups = await sandboxCgroupsOf(procs);
    expect(runCgroups.every((dir) => existsSync(dir))).toBe(true);
    // What the idle timer does: it has let go of the server at once, and is killing it.
    const idle = driver.stop();
    expect(driver.state).toBe('stopped');
    // The close that came in before the idle stop was done used to resolve at once, with the server
    // still up and its run cgroup still there (removed only after the server has exited).
    await driver.stop({ close: true });
    // Gone from its cgroup at once (the cgroup is removed only once no member is left in it)...
    expect(runCgroups.filter((dir) => existsSync(dir))).toEqual([]);
    // ...and from /proc as soon as the kernel has run its exit: a SIGKILLed process that has left its
    // cgroup can still show state R for a moment on a loaded machine (CI beside other work saw a `sh`).
    await until(async () => (await stillRunning(procs)).length === 0, 5_000, 'the server gone from /proc');
    await idle;
  });
});
