import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquirePidLock } from '../../daemon/pid-lock.js';
import { isAlive, isDaemon, isExiting } from '../../sys/host/pid-file.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-lock-'));
  file = path.join(dir, 'kernel.pid');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A live process whose command line looks like a daemon's (or not). */
function sleeper(arg: string): Promise<{ pid: number; stop(): void }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000); console.log("up")', arg]);
  return new Promise((resolve) =>
    child.stdout.once('data', () => resolve({ pid: child.pid as number, stop: () => child.kill('SIGKILL') })),
  );
}

function stateOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/** Its main thread ends (pthread_exit) while another, for argv[2] seconds, keeps the socket at argv[1] listening. */
const HALF_EXITED = `
import ctypes, socket, sys, threading, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(8)
threading.Thread(target=time.sleep, args=(float(sys.argv[2]),)).start()
print("up", flush=True)
ctypes.CDLL(None).pthread_exit(None)
`;

/**
 * A SIGKILLed kernel for a moment (longer when a worker is in an fsync): its main thread a zombie,
 * its other threads not yet torn down, its listening socket still open. Here for `seconds`, or
 * until stop(). Null when python3 is not installed.
 */
async function halfExited(
  socket: string,
  seconds: number,
): Promise<{ pid: number; exited: Promise<void>; stop(): void } | null> {
  const child = spawn('python3', ['-c', HALF_EXITED, socket, String(seconds)]);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const up = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    child.stdout.once('data', () => resolve(true));
  });
  if (!up) return null;
  const pid = child.pid as number;
  for (let i = 0; i < 200 && stateOf(pid) !== 'Z'; i++) await new Promise((r) => setTimeout(r, 10));
  expect(stateOf(pid)).toBe('Z');
  return { pid, exited, stop: () => child.kill('SIGKILL') };
}

/** 'connected', or the connect's error code (ECONNREFUSED: nothing listens on the socket file). */
function connectTo(socket: string): Promise<string> {
  return new Promise((resolve) => {
    const probe = net.createConnection(socket);
    probe.once('connect', () => {
      probe.destroy();
      resolve('connected');
    });
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('the kernel pid lock (one daemon per AOS_HOME)', () => {
  it('is taken when free, holds our pid, and is released', async () => {
    const result = await acquirePidLock(file);
    expect(result.acquired).toBe(true);
    expect((await readFile(file, 'utf8')).trim()).toBe(String(process.pid));
    if (result.acquired) await result.lock.release();
    await expect(readFile(file)).rejects.toThrow(/ENOENT/);
  });

  it('is refused while a live daemon holds it', async () => {
    const daemon = await sleeper('/x/daemon/aosd.ts');
    try {
      await writeFile(file, `${daemon.pid}\n`);
      expect(await acquirePidLock(file)).toEqual({ acquired: false, holder: daemon.pid });
    } finally {
      daemon.stop();
    }
  });

  it('takes over a stale file: dead pid, garbage, or a pid reused by another program', async () => {
    const other = await sleeper('not-aos');
    try {
      for (const content of ['999999999\n', 'garbage', `${other.pid}\n`]) {
        await writeFile(file, content);
        const result = await acquirePidLock(file);
        expect(result.acquired).toBe(true);
        if (result.acquired) await result.lock.release();
      }
    } finally {
      other.stop();
    }
  });

  it('counts a zombie as dead (a daemon its parent never reaped)', async () => {
    // The child (`head`) ends only when the test writes a byte, after its parent shell has become
    // `sleep 60`, which never reaps it (killed below). A child that ended on its own could end
    // before the exec, on a loaded machine, and the shell reaped it: no zombie to look at.
    const parent = spawn('sh', ['-c', 'exec 3<&0; head -c 1 <&3 >/dev/null & echo $!; exec sleep 60']);
    const zombie = Number(
      await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString()))),
    );
    try {
      const comm = (): string => readFileSync(`/proc/${parent.pid}/comm`, 'utf8').trim();
      for (let i = 0; i < 600 && comm() !== 'sleep'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(comm()).toBe('sleep');
      parent.stdin.write('x');
      // Wait for the child to have ended (state Z), however long a loaded machine takes.
      const state = (): string => {
        const stat = readFileSync(`/proc/${zombie}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      };
      for (let i = 0; i < 600 && state() !== 'Z'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(state()).toBe('Z');
      expect(() => process.kill(zombie, 0)).not.toThrow();
      expect(isAlive(zombie)).toBe(false);
      expect(isAlive(process.pid)).toBe(true);
      expect(isAlive(999_999_999)).toBe(false);
      expect(isDaemon(process.pid)).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('counts a killed process as alive while its other threads still hold its socket open', async (ctx) => {
    const socket = path.join(dir, 'kernel.sock');
    const held = await halfExited(socket, 60);
    if (!held) return ctx.skip();
    try {
      // What the daemon-crash test met: "gone" by the zombie check, a CLI connected, then a reset.
      expect(await connectTo(socket)).toBe('connected');
      expect(isAlive(held.pid)).toBe(true);
      expect(isExiting(held.pid)).toBe(true);
    } finally {
      held.stop();
    }
    await held.exited;
    expect(isAlive(held.pid)).toBe(false);
    expect(await connectTo(socket)).toBe('ECONNREFUSED');
  });

  it('is taken from a killed holder once all of it has exited, not while its socket still accepts', async (ctx) => {
    const socket = path.join(dir, 'kernel.sock');
    const held = await halfExited(socket, 0.5);
    if (!held) return ctx.skip();
    try {
      await writeFile(file, `${held.pid}\n`);
      const result = await acquirePidLock(file);
      expect(await connectTo(socket)).toBe('ECONNREFUSED');
      expect(result.acquired).toBe(true);
      if (result.acquired) await result.lock.release();
    } finally {
      held.stop();
    }
  });
});
