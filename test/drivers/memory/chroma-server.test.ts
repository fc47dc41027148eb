/**
 * The supervisor against the real Chroma server from the chromadb package: a private start (own
 * network namespace, unix socket in a 0700 directory), heartbeat, shared lazy start, restart after
 * SIGKILL (with a cap), clean stop, no orphans, and clear failures for a bad binary. Refusing to
 * start without a namespace is in chroma-server.isolation.test.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { chromaTarget, HEARTBEAT_PATH, heartbeat } from '../../../drivers/memory/chroma-address.js';
import { SupervisedChroma } from '../../../drivers/memory/chroma-server.js';
import { resolveChromaCli } from '../../../drivers/memory/chroma-spawn.js';
import { packageRoot } from '../../../sys/host/paths.js';
import { processTree } from './exposure.js';
import { alive, tempDir, until } from './helpers.js';

const servers: SupervisedChroma[] = [];
const dirs: string[] = [];
let lastDataDir = '';
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function server(
  options: Partial<ConstructorParameters<typeof SupervisedChroma>[0]> = {},
): Promise<SupervisedChroma> {
  const dir = await tempDir('aos-chroma-');
  dirs.push(dir);
  lastDataDir = path.join(dir, 'chroma');
  const s = new SupervisedChroma({ dataDir: lastDataDir, ...options });
  servers.push(s);
  return s;
}

describe('SupervisedChroma', () => {
  it("runs the chromadb package's own CLI (bin.chroma, a JS file)", () => {
    const cli = resolveChromaCli();
    expect(cli).toMatch(/node_modules\/chromadb\/dist\/cli\.mjs$/);
    expect(existsSync(cli)).toBe(true);
  });

  it('starts lazily, answers the v2 heartbeat on a unix socket in a 0700 directory, and writes its data dir (0700)', async () => {
    const s = await server();
    expect(s.state).toBe('idle');
    expect(s.pid).toBeNull();
    const address = await s.ensureRunning();
    const socketPath = chromaTarget(address).socketPath as string;
    expect(socketPath).toBe(path.join(`${lastDataDir}-run`, 'chroma.sock'));
    expect(HEARTBEAT_PATH).toBe('/api/v2/heartbeat');
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get({ socketPath, path: HEARTBEAT_PATH, agent: false }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`status ${res.statusCode}`))));
        })
        .once('error', reject);
    });
    expect(JSON.parse(body)).toHaveProperty(['nanosecond heartbeat']);
    expect(s.state).toBe('running');
    expect(existsSync(path.join(lastDataDir, 'chroma.sqlite3'))).toBe(true);
    expect(statSync(path.dirname(socketPath)).mode & 0o777).toBe(0o700);
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
    expect(statSync(lastDataDir).mode & 0o777).toBe(0o700);
  });

  it('shares one start between concurrent callers', async () => {
    const s = await server();
    const addresses = await Promise.all(Array.from({ length: 8 }, () => s.ensureRunning()));
    expect(new Set(addresses).size).toBe(1);
    expect(s.starts).toBe(1);
  });

  it('restarts the server after SIGKILL, on a new pid, and counts the restart', async () => {
    const s = await server({ restart: { initialDelayMs: 10 } });
    await s.ensureRunning();
    const first = s.pid as number;
    process.kill(first, 'SIGKILL');
    await until(() => s.state === 'running' && s.pid !== null && s.pid !== first, 15_000, 'restart');
    expect(alive(first)).toBe(false);
    expect(await heartbeat(await s.ensureRunning())).toBe(true);
    expect(s.starts).toBe(2);
  });

  it('recover(): a caller that saw the connection drop gets a live server even before the exit is noticed', async () => {
    const s = await server({ restart: { initialDelayMs: 10 } });
    const address = await s.ensureRunning();
    const first = s.pid as number;
    process.kill(first, 'SIGKILL');
    // The caller saw the drop: the old server no longer answers (its exit may or may not be seen yet).
    await until(async () => !(await heartbeat(address, 250)), 15_000, 'the connection to drop');
    const next = await s.recover(address);
    expect(await heartbeat(next)).toBe(true);
    expect(s.pid).not.toBe(first);
  });

  it('recover(): a hung server (stopped, nothing exited) is killed whole and another started', async () => {
    const s = await server({ restart: { initialDelayMs: 10 } });
    const address = await s.ensureRunning();
    const first = s.pid as number;
    process.kill(-first, 'SIGSTOP');
    const next = await s.recover(address);
    expect(await heartbeat(next)).toBe(true);
    expect(s.pid).not.toBe(first);
    expect(alive(first)).toBe(false);
    expect(s.starts).toBe(2);
  });

  it('gives up after too many crashes in the window, then tries again later', async () => {
    const s = await server({ restart: { initialDelayMs: 10, maxRestarts: 2, windowMs: 60_000 }, retryAfterMs: 300 });
    await s.ensureRunning();
    for (let i = 0; i < 3; i++) {
      const pid = s.pid as number;
      process.kill(pid, 'SIGKILL');
      if (i < 2) await until(() => s.state === 'running' && s.pid !== pid, 15_000, `restart ${i + 1}`);
    }
    await until(() => s.state === 'failed', 5000, 'failed');
    await expect(s.ensureRunning()).rejects.toThrow(/died 3 times in 60 s, not restarting/);
    await new Promise((r) => setTimeout(r, 350));
    // After retryAfterMs, the next caller starts it afresh.
    expect(await heartbeat(await s.ensureRunning())).toBe(true);
  });

  it('stop() ends the server and nothing restarts it', async () => {
    const s = await server();
    await s.ensureRunning();
    const pid = s.pid as number;
    await s.stop();
    expect(alive(pid)).toBe(false);
    expect(s.state).toBe('stopped');
    await expect(s.ensureRunning()).rejects.toThrow(/stopped/);
  });

  it('stop() during a start leaves nothing running', async () => {
    const s = await server();
    const starting = s.ensureRunning().catch((error: unknown) => error);
    await new Promise((r) => setTimeout(r, 50));
    await s.stop();
    expect(await starting).toBeInstanceOf(Error);
    expect(s.pid).toBeNull();
  });

  it('stop(): a server that ignores SIGTERM is SIGKILLed after the grace', async () => {
    const dir = await tempDir('aos-stubborn-');
    dirs.push(dir);
    const fake = path.join(dir, 'bwrap');
    const pidFile = path.join(dir, 'pid');
    await writeFile(fake, `#!/bin/sh\ntrap '' TERM\necho $$ > '${pidFile}'\nwhile :; do sleep 0.1; done\n`, {
      mode: 0o755,
    });
    vi.stubEnv('AOS_BWRAP', fake);
    try {
      const s = await server({ stopGraceMs: 200, startTimeoutMs: 120_000 });
      const starting = s.ensureRunning().catch((error: unknown) => error);
      await until(
        () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'),
        10_000,
        'the fake bwrap to start',
      );
      const pid = Number(readFileSync(pidFile, 'utf8'));
      await s.stop();
      expect(alive(pid)).toBe(false);
      expect(await starting).toBeInstanceOf(Error);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('a bad binary fails fast with the reason', async () => {
    const s = await server({
      cliPath: '/nonexistent/chroma-cli.mjs',
      startAttempts: 2,
      restart: { initialDelayMs: 10 },
    });
    const started = Date.now();
    const error = (await s.ensureRunning().catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/chroma exited with code 70 before answering \/api\/v2\/heartbeat/);
    expect(error.message).toMatch(/Cannot find module '\/nonexistent\/chroma-cli\.mjs'/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(s.state).toBe('failed');
  });

  it('stop() removes the socket; a stale one (left by a SIGKILLed kernel) and an opened-up directory are fixed at start', async () => {
    const s = await server();
    const socketPath = chromaTarget(await s.ensureRunning()).socketPath as string;
    await s.stop();
    expect(existsSync(socketPath)).toBe(false);
    await writeFile(socketPath, 'stale');
    await chmod(path.dirname(socketPath), 0o777);
    const again = new SupervisedChroma({ dataDir: lastDataDir });
    servers.push(again);
    expect(await heartbeat(await again.ensureRunning())).toBe(true);
    expect(statSync(path.dirname(socketPath)).mode & 0o777).toBe(0o700);
  });

  it('is never orphaned: when its parent is SIGKILLed, the server dies too', async () => {
    const dir = await tempDir('aos-orphan-');
    dirs.push(dir);
    const script = path.join(dir, 'parent.mts');
    const module = new URL('../../../drivers/memory/chroma-server.ts', import.meta.url).href;
    await writeFile(
      script,
      `const { SupervisedChroma } = await import(${JSON.stringify(module)});
       const s = new SupervisedChroma({ dataDir: ${JSON.stringify(path.join(dir, 'chroma'))} });
       await s.ensureRunning();
       console.log(JSON.stringify({ pid: s.pid }));
       setInterval(() => {}, 1000);`,
    );
    const parent = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: packageRoot(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      parent.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0] as string);
      });
      parent.once('exit', (code) => reject(new Error(`parent exited with ${code}`)));
    });
    const { pid } = JSON.parse(line) as { pid: number };
    // bwrap and, below it, the launcher that hosts the server
    const tree = processTree(pid);
    expect(tree.length).toBeGreaterThanOrEqual(2);
    expect(tree.every(alive)).toBe(true);
    parent.kill('SIGKILL');
    await until(() => !tree.some(alive), 5000, 'the orphaned chroma to die');
  });
});
