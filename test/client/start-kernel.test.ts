/**
 * Starting the daemon: the launcher waits on a daemon that reports progress (a loaded machine is
 * slow, not stuck), says how far a silent one got, and a CLI that finds the lock held waits on its
 * holder while it lives, and launches again when the holder exits first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startKernel } from '../../client/connect.js';
import { handshake } from '../../cmd/launch.js';
import type { StartOutcome } from '../../protocol/daemon-report.js';
import type { AosPaths } from '../../sys/host/paths.js';
import { fakeKernelSocket, pingAnswer } from '../helpers/fake-kernel-socket.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A child on an IPC channel that runs `script` (a stand-in daemon sending its reports). */
function child(script: string): ChildProcess {
  const c = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'ignore', 'ignore', 'ipc'] });
  cleanups.push(() => void c.kill('SIGKILL'));
  return c;
}

/** A pid that was a process and is no longer. */
async function deadPid(): Promise<number> {
  const c = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => c.on('exit', resolve));
  return c.pid as number;
}

/** A home with nobody listening on its socket; `listen()` starts a kernel there that answers ping. */
async function emptyHome(): Promise<{ paths: AosPaths; listen(): Promise<void> }> {
  const fake = await fakeKernelSocket(() => 'silent');
  await fake.stop();
  cleanups.push(fake.close);
  return {
    paths: fake.paths,
    async listen() {
      const server = net.createServer((conn) =>
        conn.on('data', (data) => {
          for (const line of data.toString().split('\n').filter(Boolean)) {
            const { id } = JSON.parse(line) as { id: number };
            conn.write(`${JSON.stringify({ id, ...pingAnswer(fake.paths) })}\n`);
          }
        }),
      );
      await new Promise<void>((resolve) => server.listen(fake.paths.socket, resolve));
      cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    },
  };
}

describe('the launch handshake', () => {
  /** A stand-in daemon that sends, for each line the test writes it, the report that line names. */
  function puppet(): { pid: number; child: ChildProcess; tell(report: 'starting' | 'ready'): Promise<void> } {
    const c = child(`
      require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
        if (line === 'ready') process.send({ type: 'ready', pid: process.pid, socket: '/nowhere' }, () => process.disconnect());
        else process.send({ type: 'starting', pid: process.pid, stage: line });
      });`);
    return {
      pid: c.pid as number,
      child: c,
      async tell(report) {
        const sent = once(c, 'message');
        c.stdin?.write(`${report === 'starting' ? 'opening the store' : 'ready'}\n`);
        await sent;
      },
    };
  }

  afterEach(() => void vi.useRealTimers());

  it('waits on a daemon that keeps reporting progress past its timeout', async () => {
    const daemon = puppet();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let outcome: StartOutcome | null = null;
    void handshake(daemon.child, 1000, { file: '/nonexistent', from: 0 }).then((o) => (outcome = o));
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(900);
      await daemon.tell('starting');
    }
    vi.advanceTimersByTime(900);
    expect(outcome).toBeNull();
    await daemon.tell('ready');
    await vi.waitFor(() => expect(outcome).toEqual({ type: 'ready', pid: daemon.pid, socket: '/nowhere' }));
  });

  it('gives up on one that goes silent, saying how far it got', async () => {
    const daemon = puppet();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const outcome = handshake(daemon.child, 1000, { file: '/nonexistent', from: 0 });
    await daemon.tell('starting');
    vi.advanceTimersByTime(1000);
    expect(await outcome).toEqual({ type: 'timeout', last: { pid: daemon.pid, stage: 'opening the store' } });
  });

  it('gives up on one that never reports', async () => {
    const daemon = puppet();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const outcome = handshake(daemon.child, 1000, { file: '/nonexistent', from: 0 });
    vi.advanceTimersByTime(1000);
    expect(await outcome).toEqual({ type: 'timeout', last: null });
  });
});

describe('startKernel', () => {
  it('names the pid and the stage of a daemon that timed out, and says it may yet come up', async () => {
    const home = await emptyHome();
    const launch = (): Promise<StartOutcome> =>
      Promise.resolve({ type: 'timeout', last: { pid: 4242, stage: 'opening the store' } });
    const error = await startKernel(home.paths, launch, 1000).catch((e: unknown) => e);
    expect(String(error)).toContain(
      'the kernel (pid 4242) was still opening the store after 1 s without news; it may yet come up',
    );
    const silent = await startKernel(home.paths, () => Promise.resolve({ type: 'timeout', last: null }), 1000).catch(
      (e: unknown) => e,
    );
    expect(String(silent)).toContain('the kernel did not report within 1 s of being launched');
  });

  it('waits on the holder of the lock while it lives, past its own timeout', async () => {
    const home = await emptyHome();
    const holder = child('setInterval(() => {}, 1000)');
    // Up 3 s after the report: past the 2 s timeout, well within the 6 s it waits on a live holder.
    setTimeout(() => void home.listen(), 3000);
    const started = await startKernel(
      home.paths,
      () => Promise.resolve({ type: 'running', pid: holder.pid as number }),
      2000,
    );
    expect(started.started).toBe(false);
    expect(started.kernel.home).toBe(home.paths.home);
    started.client.close();
  });

  it('launches again when the holder of the lock exits before it answers', async () => {
    const home = await emptyHome();
    const dead = await deadPid();
    const launches: number[] = [];
    const launch = async (): Promise<StartOutcome> => {
      launches.push(Date.now());
      if (launches.length === 1) return { type: 'running', pid: dead };
      await home.listen();
      return { type: 'ready', pid: process.pid, socket: home.paths.socket };
    };
    const started = await startKernel(home.paths, launch, 1000);
    expect(launches).toHaveLength(2);
    expect(started.started).toBe(true);
    started.client.close();
    const again = await startKernel(home.paths, () => Promise.resolve({ type: 'running', pid: dead }), 1000).catch(
      (e: unknown) => e,
    );
    // The home's kernel answers now: a 'running' report joins it whoever held the lock.
    expect(again).toMatchObject({ started: false });
    (again as { client: { close(): void } }).client.close();
  });

  it('gives up after three holders in a row exit before answering', async () => {
    const home = await emptyHome();
    const dead = await deadPid();
    let launches = 0;
    const error = await startKernel(
      home.paths,
      () => {
        launches++;
        return Promise.resolve({ type: 'running', pid: dead });
      },
      1000,
    ).catch((e: unknown) => e);
    expect(launches).toBe(3);
    expect(String(error)).toContain(`kernel pid ${dead} held`);
    expect(String(error)).toContain('exited before it answered');
  });
});
