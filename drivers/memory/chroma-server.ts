/**
 * The Chroma server behind MEM_WRITE / MEM_READ.
 *
 * `SupervisedChroma` runs `chroma run --path DIR --host 127.0.0.1 --port N` from the installed
 * `chromadb` package (its package.json `bin.chroma`, a JS file run with `process.execPath`) through
 * the launcher in chroma-launcher.ts, on a free loopback port, and:
 *   - starts lazily (the first `ensureRunning()`), with one start shared by concurrent callers;
 *   - is ready when `GET /api/v2/heartbeat` answers 200;
 *   - is restarted when it dies, with exponential backoff and a cap on restarts per window;
 *   - is stopped with SIGTERM, then SIGKILL after a grace period; it is never left orphaned
 *     (`detached: false`, SIGKILLed on our process's exit, and the launcher kills itself when
 *     its parent disappears, even by SIGKILL).
 * `ExternalChroma` is a server we do not own (CHROMA_URL): no supervision.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { LAUNCHER_SOURCE } from './chroma-launcher.js';

/** The path Chroma 1.x (API v2) answers liveness on. */
export const HEARTBEAT_PATH = '/api/v2/heartbeat';

export type LogFn = (level: 'info' | 'warn' | 'error', message: string) => void;

/** Where the memory service gets its server from. */
export interface ChromaEndpoint {
  /** The base URL of a live server, starting one when needed; rejects with the reason when it cannot. */
  ensureRunning(): Promise<string>;
  /** A request to `url` failed to connect: resolve with a URL worth retrying on (maybe after a restart). */
  recover(url: string): Promise<string>;
  stop(): Promise<void>;
  /** For logs and errors: "supervised chroma (pid N, http://...)" or "CHROMA_URL http://...". */
  describe(): string;
}

export interface RestartPolicy {
  /** Delay before the first restart after a crash; doubled per recent crash. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** Crashes tolerated within `windowMs`; one more and the server is marked failed. */
  maxRestarts: number;
  windowMs: number;
}

export interface SupervisedChromaOptions {
  /** Chroma's data directory (created when missing). */
  dataDir: string;
  /** The chroma CLI (a JS file); default: the installed chromadb package's `bin.chroma`. */
  cliPath?: string;
  host?: string;
  /** A fixed port; default: a free one picked at each start. */
  port?: number;
  /** How long a start may take to answer the heartbeat. */
  startTimeoutMs?: number;
  /** Starts tried (each on a fresh port) before a lazy start gives up. */
  startAttempts?: number;
  /** SIGTERM, then SIGKILL after this long. */
  stopGraceMs?: number;
  restart?: Partial<RestartPolicy>;
  /** After giving up, the next `ensureRunning()` tries again once this much time has passed. */
  retryAfterMs?: number;
  log?: LogFn;
}

const DEFAULT_RESTART: RestartPolicy = { initialDelayMs: 100, maxDelayMs: 5_000, maxRestarts: 5, windowMs: 60_000 };
const OUTPUT_TAIL_BYTES = 4096;

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

/** A port that was free a moment ago on `host` (a listen(0) probe). */
export function pickFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new Error('no port from the probe'))));
    });
  });
}

/**
 * Heartbeat once; true when the server answered 200. Plain node:http without keep-alive, so a
 * probe that times out (something else holds the port and never answers) leaves no socket behind.
 */
export function heartbeat(url: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    let req: http.ClientRequest;
    try {
      req = http.get(`${url}${HEARTBEAT_PATH}`, { agent: false, timeout: timeoutMs }, (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode === 200));
        res.once('error', () => resolve(false));
      });
    } catch {
      resolve(false);
      return;
    }
    req.once('timeout', () => req.destroy(new Error('heartbeat timed out')));
    req.once('error', () => resolve(false));
  });
}

// ---- no orphans: every live server is SIGKILLed when this process exits ----

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of liveChildren) {
      try {
        c.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
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

/** A sleep that stop() can cut short (it resolves every pending one). */
function sleep(ms: number, timers: Map<NodeJS.Timeout, () => void>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      resolve();
    }, ms);
    timers.set(timer, resolve);
  });
}

function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exited with code ${code}`;
}

type Phase = 'idle' | 'starting' | 'running' | 'failed' | 'stopped';

export class SupervisedChroma implements ChromaEndpoint {
  private phase: Phase = 'idle';
  private child: ChildProcess | null = null;
  private currentUrl: string | null = null;
  private pending: Promise<string> | null = null;
  private failure: { message: string; at: number } | null = null;
  private crashTimes: number[] = [];
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private output = '';
  private readonly restartPolicy: RestartPolicy;
  /** Starts that succeeded: 1 after the first, +1 per restart. */
  starts = 0;
  /** Milliseconds the last successful start took (spawn to heartbeat). */
  lastStartMs: number | null = null;

  constructor(private readonly options: SupervisedChromaOptions) {
    this.restartPolicy = { ...DEFAULT_RESTART, ...options.restart };
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get url(): string | null {
    return this.currentUrl;
  }

  get state(): Phase {
    return this.phase;
  }

  /** A method, not a field comparison, so TypeScript does not narrow the phase across awaits. */
  private stopped(): boolean {
    return this.phase === 'stopped';
  }

  describe(): string {
    return this.child?.pid ? `chroma (pid ${this.child.pid}, ${this.currentUrl ?? 'starting'})` : 'chroma (not running)';
  }

  ensureRunning(): Promise<string> {
    if (this.stopped()) return Promise.reject(new Error('the memory service is stopped'));
    if (this.phase === 'running' && this.currentUrl) return Promise.resolve(this.currentUrl);
    if (this.pending) return this.pending;
    const failure = this.failure;
    const retryAfter = this.options.retryAfterMs ?? 5_000;
    if (this.phase === 'failed' && failure && Date.now() - failure.at < retryAfter) {
      return Promise.reject(new Error(failure.message));
    }
    this.crashTimes = [];
    return this.begin(this.options.startAttempts ?? 3, 0);
  }

  async recover(url: string): Promise<string> {
    if (this.phase === 'running' && this.currentUrl === url && this.child) {
      if (await heartbeat(url)) return url;
      // Dead but its exit not seen yet (or hung): make it so; the exit handler restarts it.
      if (this.currentUrl === url && this.child) this.child.kill('SIGKILL');
      await new Promise((resolve) => setImmediate(resolve));
      for (let i = 0; i < 50 && this.phase === 'running' && this.currentUrl === url; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    return this.ensureRunning();
  }

  async stop(): Promise<void> {
    if (this.stopped()) return;
    this.phase = 'stopped';
    for (const [timer, wake] of this.timers) {
      clearTimeout(timer);
      wake();
    }
    this.timers.clear();
    await this.pending?.catch(() => undefined);
    const child = this.child;
    this.child = null;
    this.currentUrl = null;
    if (child) await this.kill(child);
  }

  /** Start (or restart after `delayMs`), trying up to `attempts` times; shared by every caller meanwhile. */
  private begin(attempts: number, delayMs: number): Promise<string> {
    this.phase = 'starting';
    const run = async (): Promise<string> => {
      let delay = delayMs;
      let lastError: Error = new Error('chroma did not start');
      for (let attempt = 0; attempt < attempts; attempt++) {
        if (delay > 0) await sleep(delay, this.timers);
        if (this.stopped()) throw new Error('the memory service is stopped');
        try {
          return await this.launch();
        } catch (error) {
          lastError = error instanceof Error ? error : new Error(String(error));
          this.options.log?.('warn', `chroma start failed: ${lastError.message}`);
          delay = Math.min(Math.max(delay * 2, this.restartPolicy.initialDelayMs), this.restartPolicy.maxDelayMs);
        }
      }
      if (this.phase !== 'stopped') {
        this.phase = 'failed';
        this.failure = { message: lastError.message, at: Date.now() };
      }
      throw lastError;
    };
    const promise: Promise<string> = run().finally(() => {
      if (this.pending === promise) this.pending = null;
    });
    void promise.catch(() => undefined);
    this.pending = promise;
    return promise;
  }

  private async launch(): Promise<string> {
    const started = Date.now();
    const host = this.options.host ?? '127.0.0.1';
    await mkdir(this.options.dataDir, { recursive: true });
    const port = this.options.port ?? (await pickFreePort(host));
    const cli = this.options.cliPath ?? resolveChromaCli();
    const url = `http://${host}:${port}`;
    this.output = '';
    const child = spawn(
      process.execPath,
      ['-e', LAUNCHER_SOURCE, cli, 'run', '--path', this.options.dataDir, '--host', host, '--port', String(port)],
      { stdio: ['pipe', 'pipe', 'pipe'], detached: false, env: serverEnv(), cwd: this.options.dataDir },
    );
    track(child);
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // Our end of its stdin stays open while we live; its closing is the launcher's "parent gone".
    child.stdin?.on('error', () => undefined);

    const seen: { exit: { code: number | null; signal: NodeJS.Signals | null } | null; error: Error | null } = { exit: null, error: null };
    child.once('error', (error) => {
      seen.error = error;
    });
    child.once('exit', (code, signal) => {
      seen.exit = { code, signal };
    });
    const deadline = started + (this.options.startTimeoutMs ?? 20_000);
    for (;;) {
      if (seen.error) throw new Error(`cannot run ${process.execPath}: ${seen.error.message}`);
      if (seen.exit) {
        const { code, signal } = seen.exit;
        throw new Error(`chroma ${exitText(code, signal)} before answering ${HEARTBEAT_PATH}${this.outputTail()}`);
      }
      if (this.stopped()) {
        await this.kill(child);
        throw new Error('the memory service is stopped');
      }
      if (await heartbeat(url, 500)) break;
      if (Date.now() > deadline) {
        await this.kill(child);
        throw new Error(`chroma did not answer ${url}${HEARTBEAT_PATH} within ${this.options.startTimeoutMs ?? 20_000} ms${this.outputTail()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    if (seen.exit || this.stopped()) {
      await this.kill(child);
      throw new Error(this.stopped() ? 'the memory service is stopped' : 'chroma exited right after starting');
    }
    this.child = child;
    this.currentUrl = url;
    this.phase = 'running';
    this.failure = null;
    this.starts++;
    this.lastStartMs = Date.now() - started;
    this.options.log?.('info', `chroma ready: pid ${child.pid}, ${url}, data ${this.options.dataDir} (${this.lastStartMs} ms)`);
    child.once('exit', (code, signal) => this.onCrash(child, code, signal));
    return url;
  }

  private onCrash(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child || this.stopped()) return;
    this.child = null;
    this.currentUrl = null;
    const now = Date.now();
    const { windowMs, maxRestarts, initialDelayMs, maxDelayMs } = this.restartPolicy;
    this.crashTimes = this.crashTimes.filter((t) => now - t < windowMs);
    this.crashTimes.push(now);
    const what = `chroma ${exitText(code, signal)}`;
    if (this.crashTimes.length > maxRestarts) {
      this.phase = 'failed';
      this.failure = { message: `${what}; it died ${this.crashTimes.length} times in ${Math.round(windowMs / 1000)} s, not restarting${this.outputTail()}`, at: now };
      this.options.log?.('error', this.failure.message);
      return;
    }
    const delay = Math.min(initialDelayMs * 2 ** (this.crashTimes.length - 1), maxDelayMs);
    this.options.log?.('warn', `${what}; restarting in ${delay} ms`);
    // Callers await it through ensureRunning(); begin() already handles its rejection.
    void this.begin(this.options.startAttempts ?? 3, delay);
  }

  private outputTail(): string {
    const lines = this.output
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !/^[\s(#[\]0-9;m\u001b]+$/.test(l));
    const tail = lines.slice(-3).join(' | ');
    return tail ? ` (${tail.slice(-600)})` : '';
  }

  private async kill(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const grace = this.options.stopGraceMs ?? 3_000;
    const timer = setTimeout(() => child.kill('SIGKILL'), grace);
    await gone;
    clearTimeout(timer);
  }
}

/** A server someone else runs (CHROMA_URL): we neither start nor restart it. */
export class ExternalChroma implements ChromaEndpoint {
  private readonly base: string;

  constructor(url: string) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`CHROMA_URL is not a URL: ${url}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`CHROMA_URL must be http(s): ${url}`);
    this.base = `${parsed.protocol}//${parsed.host}`;
  }

  ensureRunning(): Promise<string> {
    return Promise.resolve(this.base);
  }

  recover(): Promise<string> {
    return Promise.resolve(this.base);
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  describe(): string {
    return `CHROMA_URL ${this.base}`;
  }
}
