/**
 * A throwaway PostgreSQL server for tests: Debian's package (`apt-get install postgresql`, which
 * `.ci/run` does as root), initdb in a temp dir, a unix socket only (listen_addresses=''), started
 * as a non-root user (the package's `postgres` when we are root: initdb refuses root), and stopped
 * by its pid. A test file skips with a message where no server can be found (`pgSkipReason`).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';

/** The newest installed server's bin dir (Debian keeps each major under /usr/lib/postgresql). */
function binDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root)
    .filter((d) => /^\d+$/.test(d))
    .sort((a, b) => Number(b) - Number(a));
  for (const m of majors) if (existsSync(join(root, m, 'bin', 'initdb'))) return join(root, m, 'bin');
  return null;
}

/** The uid/gid to run the server as: ours, or the `postgres` user's when we are root. */
function runAs(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return null;
  }
}

/** Why PostgreSQL tests cannot run here, or null when they can. */
export function pgSkipReason(): string | null {
  if (!binDir())
    return 'no PostgreSQL server is installed (apt-get install postgresql; .ci/run does it as root): cluster tests skipped';
  if (!runAs()) return 'running as root and there is no postgres user to run the server as: cluster tests skipped';
  return null;
}

export interface ThrowawayPg {
  /** The socket's directory (the URL's host). */
  readonly socketDir: string;
  readonly pid: number;
  /** The watchdog shell's pid, the leader of its process group (see watchdog()). */
  readonly watchdogPid: number;
  /** A URL for this database (made by `createDatabase`). */
  url(database: string): string;
  /** A new, empty database; its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stop the server (fast shutdown), keep its files, and start it again after `downMs`: an outage. */
  restart(downMs: number): Promise<void>;
  /** Stop the server by its pid (fast shutdown) and remove its files. */
  stop(): Promise<void>;
}

let counter = 0;

const INITDB_ARGS = ['-A', 'trust', '-U', 'aos', '-E', 'UTF8', '--locale=C', '--no-sync'];

/**
 * A fresh cluster's data directory at `data`: a copy of one initdb made once per machine and user
 * (in the temp dir or $AOS_PG_TEMPLATES, named by the server's bin dir and initdb's arguments), not an initdb per test
 * file — 1.7 s of CPU each, which eighteen files spent while other tests' timed waits counted.
 */
function freshData(bin: string, data: string, as: { uid: number; gid: number }, cwd: string): void {
  const key = `${bin}|${INITDB_ARGS.join(' ')}`.replace(/[^a-zA-Z0-9]+/g, '-');
  // AOS_PG_TEMPLATES: where the bench runner keeps it, since each bench has a TMPDIR of its own.
  const template = join(process.env.AOS_PG_TEMPLATES || tmpdir(), `aos-pg-template-${as.uid}-${key}`);
  if (!existsSync(join(template, 'PG_VERSION'))) {
    // Made aside and renamed into place: a file racing us uses whichever landed first.
    const made = mkdtempSync(join(dirname(template), 'aos-pg-making-'));
    chownSync(made, as.uid, as.gid);
    execFileSync(join(bin, 'initdb'), ['-D', join(made, 'data'), ...INITDB_ARGS], { ...as, stdio: 'pipe', cwd });
    try {
      renameSync(join(made, 'data'), template);
    } catch {
      // Another file made it first.
    }
    rmSync(made, { recursive: true, force: true });
  }
  execFileSync('cp', ['-a', template, data], { stdio: 'pipe' });
}

export async function startPostgres(): Promise<ThrowawayPg> {
  const bin = binDir();
  const user = runAs();
  if (!bin || !user) throw new Error(pgSkipReason() ?? 'no PostgreSQL');
  const dir = mkdtempSync(join(tmpdir(), 'aos-pg-'));
  chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const socketDir = dir;
  const as = { uid: user.uid, gid: user.gid };
  freshData(bin, data, as, dir);
  const url = (database: string): string => `postgres://aos@/${database}?host=${encodeURIComponent(socketDir)}`;
  let server = await launch(bin, data, socketDir, as, dir, url);
  let watch = watchdog(server.child.pid ?? 0, dir);
  const halt = async (): Promise<void> => {
    stopWatchdog(watch);
    if (server.child.exitCode === null) {
      const pid = server.child.pid ?? 0;
      process.kill(pid, 'SIGINT');
      const timer = setTimeout(() => server.child.exitCode === null && process.kill(pid, 'SIGKILL'), 10_000);
      await server.exited;
      clearTimeout(timer);
    }
  };
  return {
    socketDir,
    get pid() {
      return server.child.pid ?? 0;
    },
    get watchdogPid() {
      return watch.pid ?? 0;
    },
    url,
    async createDatabase(name = `t${process.pid}_${++counter}`) {
      const c = new pg.Client({ connectionString: url('postgres') });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return url(name);
    },
    async restart(downMs) {
      await halt();
      await new Promise((r) => setTimeout(r, downMs));
      server = await launch(bin, data, socketDir, as, dir, url);
      watch = watchdog(server.child.pid ?? 0, dir);
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A server outlives a test process killed with SIGKILL (a vitest worker cut at its timeout, a run
 * stopped with ^C twice): nothing of Node runs then. So a detached shell watches this process and,
 * when it is gone, stops the server (fast shutdown, then SIGKILL) and removes its directory. A
 * normal stop kills the watchdog first (its process group: the shell and its sleep).
 */
function watchdog(serverPid: number, dir: string): ChildProcess {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done
kill -INT ${serverPid} 2>/dev/null; for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 ${serverPid} 2>/dev/null || break; sleep 1; done
kill -KILL ${serverPid} 2>/dev/null; rm -rf '${dir.replaceAll("'", "'\\''")}'`;
  const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  child.unref();
  return child;
}

/** The watchdog and the `sleep` it is in: its process group (it leads one, detached), or the sleep outlives it by up to a second. */
function stopWatchdog(watch: ChildProcess): void {
  try {
    if (watch.pid !== undefined) process.kill(-watch.pid, 'SIGKILL');
  } catch {
    watch.kill('SIGKILL');
  }
}

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
}

/** Start the server on its data dir and wait until it answers. */
async function launch(
  bin: string,
  data: string,
  socketDir: string,
  as: { uid: number; gid: number },
  dir: string,
  url: (db: string) => string,
): Promise<Running> {
  const child: ChildProcess = spawn(
    join(bin, 'postgres'),
    [
      '-D',
      data,
      '-k',
      socketDir,
      '-c',
      'listen_addresses=',
      '-c',
      'fsync=off',
      '-c',
      'max_connections=200',
      '-c',
      'shared_buffers=32MB',
    ],
    { ...as, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited at start: ${stderr.slice(-2000)}`);
    if (existsSync(join(socketDir, '.s.PGSQL.5432'))) {
      const c = new pg.Client({ connectionString: url('postgres') });
      try {
        await c.connect();
        await c.end();
        return { child, exited };
      } catch {
        await c.end().catch(() => undefined);
      }
    }
    if (Date.now() > deadline) throw new Error(`postgres did not start in 30 s: ${stderr.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
