/**
 * The driver table, walked: every entry opens once (in order, in a real temp workspace), is scoped
 * per process — its capabilities, its kill signal, the policy's private-address openings — and
 * closes. Each driver's own behaviour is tested in its folder; here, that the scoping holds.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/index.js';
import {
  closeDrivers,
  DRIVERS,
  type OpenedDrivers,
  openDrivers,
  type ProcessScope,
  scopeDrivers,
} from '../../drivers/index.js';
import { CapabilitySet } from '../../sys/capabilities.js';

const bwrap = await findBwrap();

let dir = '';
let opened: OpenedDrivers | null = null;
let openings: string[] = [];

function processWith(
  caps: string[],
  pid = 1,
  tree = pid,
  abort = new AbortController(),
): ProcessScope & { abort: AbortController } {
  const set = new CapabilitySet(caps);
  return { pid, tree, signal: abort.signal, allows: (c) => set.allows(c), caps, cwd: '/', abort };
}

async function open(): Promise<OpenedDrivers> {
  opened = await openDrivers({
    // Through a symlink: every driver must work on the workspace's real path.
    workspace: path.join(dir, 'link'),
    allowPrivate: (ip, port) => openings.includes(`${ip}:${port}`),
  });
  return opened;
}

const web = http.createServer((req, res) => res.end(`hello ${req.url ?? ''}`));
let webPort = 0;
beforeAll(async () => {
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  webPort = (web.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => web.close(() => resolve())));

afterEach(async () => {
  if (opened) await closeDrivers(opened);
  opened = null;
  openings = [];
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

async function makeDir(): Promise<string> {
  dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'aos-drivers-')));
  await mkdir(path.join(dir, 'ws'));
  await symlink(path.join(dir, 'ws'), path.join(dir, 'link'));
  return dir;
}

describe('the driver table', () => {
  it('lists fs, exec, net, memory, llm and mcp, each named once with a summary, and opens and scopes every one', async () => {
    expect(DRIVERS.map((d) => d.name)).toEqual(['fs', 'exec', 'net', 'memory', 'llm', 'mcp']);
    for (const driver of DRIVERS) expect(driver.summary.length, driver.name).toBeGreaterThan(10);
    await makeDir();
    const drivers = await open();
    expect(Object.keys(drivers)).toEqual(DRIVERS.map((d) => d.name));
    const scoped = scopeDrivers(drivers, processWith(['fs.read:/**']));
    expect(Object.keys(scoped)).toEqual(DRIVERS.map((d) => d.name));
    for (const name of Object.keys(scoped) as Array<keyof typeof scoped>)
      expect(scoped[name], name).toBeTypeOf('object');
  });

  it('mcp: without servers it is absent, and a process asking is told the policy declares none', async () => {
    await makeDir();
    const drivers = await open();
    expect(drivers.mcp).toBeNull();
    const mcp = scopeDrivers(drivers, processWith(['mcp'])).mcp;
    expect(await mcp.reference()).toBe('');
    await expect(mcp.list(undefined)).rejects.toMatchObject({
      code: 'ENOENT',
      message: expect.stringMatching(/the policy declares none/),
    });
  });

  it('opens the workspace once at its real path, and exec works in that same tree', async () => {
    await makeDir();
    const drivers = await open();
    expect(drivers.fs.root).toBe(path.join(dir, 'ws'));
    expect(drivers.exec.workspace).toBe(path.join(dir, 'ws'));
    expect(drivers.llm.tapes.specOf('/t.yaml')).toBe(`replay:${path.join(dir, 'ws', 't.yaml')}`);
  });

  it('fs: each process is held to its own capabilities, again at the real path a symlink leads to', async () => {
    await makeDir();
    await mkdir(path.join(dir, 'ws', 'pub'));
    await mkdir(path.join(dir, 'ws', 'private', 'sub'), { recursive: true });
    await writeFile(path.join(dir, 'ws', 'private', 'key.txt'), 'secret');
    await symlink('../private', path.join(dir, 'ws', 'pub', 'door'));
    const drivers = await open();
    const all = scopeDrivers(drivers, processWith(['fs.read:/**', 'fs.write:/**'], 1));
    const narrow = scopeDrivers(drivers, processWith(['fs.read:/pub/**', 'fs.write:/pub/**'], 2));

    expect((await all.fs.read('/pub/door/key.txt')).content).toBe('secret');
    await expect(narrow.fs.read('/pub/door/key.txt')).rejects.toMatchObject({ code: 'EPERM' });
    await expect(narrow.fs.write('/pub/door/key.txt', 'mine')).rejects.toMatchObject({ code: 'EPERM' });
    expect((await all.fs.list('/pub/door/sub')).path).toBe('/pub/door/sub');
    await expect(narrow.fs.list('/pub/door/sub')).rejects.toMatchObject({ code: 'EPERM' });
    expect(await readFile(path.join(dir, 'ws', 'private', 'key.txt'), 'utf8')).toBe('secret');
    expect(narrow.fs.virtualPath('pub//a/./b')).toBe('/pub/a/b');
    expect(() => narrow.fs.virtualPath('../outside')).toThrow(expect.objectContaining({ code: 'EACCES' }));
  });

  it("net: the host must be in the process's net.fetch capabilities and a private address opened by the policy", async () => {
    await makeDir();
    const drivers = await open();
    const url = `http://127.0.0.1:${webPort}/x`;
    const holder = scopeDrivers(drivers, processWith(['net.fetch:127.0.0.1'], 1));
    const stranger = scopeDrivers(drivers, processWith(['net.fetch:example.org'], 2));

    await expect(holder.net.fetch(url)).rejects.toMatchObject({ code: 'EACCES' });
    openings = [`127.0.0.1:${webPort}`];
    expect(await holder.net.fetch(url)).toMatchObject({ status: 200, body: 'hello /x' });
    await expect(stranger.net.fetch(url)).rejects.toMatchObject({ code: 'EPERM' });
  });

  it.runIf(bwrap)(
    "exec: runs in the workspace, and a process's kill signal ends its command",
    async () => {
      await makeDir();
      const drivers = await open();
      const proc = processWith(['exec', 'fs.write:/**']);
      const scoped = scopeDrivers(drivers, proc);
      await scoped.fs.write('/note.txt', 'from fs');
      expect(await scoped.exec.run('pwd; cat note.txt')).toMatchObject({ exit_code: 0, stdout: '/workspace\nfrom fs' });

      const running = scoped.exec.run('echo started > started.txt; sleep 60', { timeoutS: 120 });
      const settled = running.catch((error: unknown) => error);
      for (let i = 0; i < 600 && !(await exists(path.join(dir, 'ws', 'started.txt'))); i++)
        await new Promise((r) => setTimeout(r, 50));
      proc.abort.abort();
      expect(await settled).toMatchObject({ code: 'EINTR' });
    },
    60_000,
  );

  it('memory: without a store every process gets EIO naming why; llm: one registry shared by every process', async () => {
    await makeDir();
    const drivers = await open();
    const a = scopeDrivers(drivers, processWith(['mem'], 1));
    const b = scopeDrivers(drivers, processWith(['mem'], 2));
    await expect(a.memory.write({ text: 'x' })).rejects.toMatchObject({
      code: 'EIO',
      message: expect.stringMatching(/memory is unavailable/),
    });
    await expect(b.memory.read({ query: 'x', k: 1 })).rejects.toMatchObject({ code: 'EIO' });
    expect(a.llm).toBe(drivers.llm.registry);
    expect(b.llm).toBe(a.llm);
  });

  it('a driver that cannot open fails the whole table with its error', async () => {
    await makeDir();
    await writeFile(path.join(dir, 'file'), 'not a directory');
    await expect(
      openDrivers({ workspace: path.join(dir, 'file', 'ws'), allowPrivate: () => false }),
    ).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(
      openDrivers({ workspace: path.join(dir, 'ws'), allowPrivate: () => false, memory: { url: 'not a url' } }),
    ).rejects.toThrow();
  });
});

async function exists(file: string): Promise<boolean> {
  return readFile(file).then(
    () => true,
    () => false,
  );
}
