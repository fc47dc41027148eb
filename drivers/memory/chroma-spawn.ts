/**
 * Running the Chroma server so that only the kernel's user can reach it.
 *
 * Chroma 1.x's open-source server has no working authentication (a token configured in its YAML
 * or in CHROMA_SERVER_AUTHN_* is ignored; chroma-core/chroma#4965), so anything that can connect
 * to it can read every tree's memory. It therefore never listens where other users can connect:
 * bwrap gives it a network namespace of its own (only a loopback no outside process can reach),
 * and the launcher (chroma-launcher.ts) relays a unix socket in a 0700 directory next to the data
 * dir to it. The kernel talks HTTP over that socket; it never needs a TCP port for Chroma.
 *
 * Without a namespace there is no safe way to run it, so memory is refused (IsolationError) rather
 * than served on 127.0.0.1.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, lstat, mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { findBwrap } from '../exec/find-bwrap.js';
import { LAUNCHER_SOURCE } from './chroma-launcher.js';

/** Chroma's port inside its own network namespace, where nothing else listens. */
const INNER_PORT = 8000;
/** sun_path holds 108 bytes, the terminating NUL included. */
const MAX_SOCKET_PATH_BYTES = 107;
const WAY_OUT =
  'memory stays off rather than open to every local user on 127.0.0.1 (Chroma has no authentication of its own); ' +
  'set CHROMA_URL to use a Chroma server you run and protect yourself';

/** A start that cannot give a private server; trying again would fail the same way. */
export class IsolationError extends Error {
  override readonly name = 'IsolationError';
}

/** The installed chromadb package's CLI entry (package.json `bin.chroma`). */
export function resolveChromaCli(): string {
  const require = createRequire(import.meta.url);
  let dir = path.dirname(require.resolve('chromadb'));
  for (let i = 0; i < 5; i++) {
    const pkgFile = path.join(dir, 'package.json');
    if (existsSync(pkgFile)) {
      const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { name?: string; bin?: string | Record<string, string> };
      if (pkg.name === 'chromadb') {
        const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.chroma;
        if (!bin) throw new Error('the chromadb package declares no "chroma" bin');
        return path.join(dir, bin);
      }
    }
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the chromadb package.json');
}

/** The socket's directory: next to the data dir (`$AOS_HOME/chroma-run` for the daemon). */
export function runDirFor(dataDir: string): string {
  return path.join(path.dirname(dataDir), `${path.basename(dataDir)}-run`);
}

/** A directory only we can enter: created 0700, or checked to be ours (not a symlink) and made 0700. */
async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stat = await lstat(dir);
  if (!stat.isDirectory()) throw new IsolationError(`${dir} is not a directory`);
  const me = process.geteuid?.();
  if (me !== undefined && stat.uid !== me)
    throw new IsolationError(`${dir} belongs to uid ${stat.uid}, not to this kernel's uid ${me}`);
  if ((stat.mode & 0o777) !== 0o700) await chmod(dir, 0o700);
}

/** Makes the data and socket directories private, clears a stale socket, and returns the socket's path. */
export async function prepareChromaDirs(dataDir: string): Promise<string> {
  await privateDir(dataDir);
  const runDir = runDirFor(dataDir);
  await privateDir(runDir);
  const socketPath = path.join(runDir, 'chroma.sock');
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw new IsolationError(
      `the Chroma socket path ${socketPath} is longer than ${MAX_SOCKET_PATH_BYTES} bytes; use a shorter AOS_HOME`,
    );
  }
  await rm(socketPath, { force: true });
  return socketPath;
}

/**
 * Starts bwrap -> launcher -> Chroma; the caller waits for the heartbeat on `socketPath`. bwrap
 * leads a process group of its own, which the supervisor stops whole (chroma-child.ts stopChild):
 * its child, killed in the moment between its fork and its --die-with-parent, would otherwise
 * outlive it. When this process dies however it dies, bwrap does too (--die-with-parent holds for
 * bwrap itself), and the launcher ends when its stdin closes.
 */
export async function spawnPrivateChroma(options: {
  dataDir: string;
  socketPath: string;
  cliPath?: string;
}): Promise<{ child: ChildProcess }> {
  const bwrap = await findBwrap();
  if (!bwrap)
    throw new IsolationError(
      `memory needs bubblewrap (bwrap) to run Chroma where other users cannot reach it, and it is not installed; ${WAY_OUT}`,
    );
  const cli = options.cliPath ?? resolveChromaCli();
  const port = String(INNER_PORT);
  const args = [
    '--unshare-net',
    '--die-with-parent',
    // Same files, same uid: only the network is its own.
    '--dev-bind',
    '/',
    '/',
    '--chdir',
    options.dataDir,
    '--',
    process.execPath,
    '-e',
    LAUNCHER_SOURCE,
    options.socketPath,
    port,
    cli,
    'run',
    '--path',
    options.dataDir,
    '--host',
    '127.0.0.1',
    '--port',
    port,
  ];
  // Loaded by the first start rather than with the kernel: execa is some 150 modules.
  const { execa } = await import('execa');
  const child = execa(bwrap, args, {
    cwd: options.dataDir,
    env: serverEnv(),
    extendEnv: false,
    // Our end of its stdin stays open while we live; its closing is the launcher's "parent gone".
    stdin: 'pipe',
    // The supervisor reads the output (a bounded tail) and watches the exit itself.
    buffer: false,
    reject: false,
    // Its own process group, stopped as one (execa's cleanup on our exit does not apply to it; see above).
    detached: true,
  });
  child.stdin?.on('error', () => undefined);
  // Wrapped: returned bare from an async function, execa's child (a promise too) would be awaited to its exit.
  return { child };
}

/** bwrap's own complaint in the server's output (it exits before running anything), as an IsolationError. */
export function isolationFailure(output: string): IsolationError | null {
  const line = /^bwrap: .*$/m.exec(output)?.[0];
  return line
    ? new IsolationError(`cannot give Chroma a network namespace of its own (${line.trim()}); ${WAY_OUT}`)
    : null;
}

/** Only what a server needs: no API keys or tokens reach it. */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}
