/**
 * The Chroma server behind MEM_WRITE / MEM_READ, supervised.
 *
 * `SupervisedChroma` runs `chroma run` from the installed `chromadb` package in a network namespace
 * of its own, reachable only through a unix socket in a 0700 directory (chroma-spawn.ts), and:
 *   - starts lazily (the first `ensureRunning()`), with one start shared by concurrent callers;
 *   - is ready when `GET /api/v2/heartbeat` answers 200 through that socket;
 *   - is restarted when it dies, with exponential backoff and a cap on restarts per window;
 *   - is stopped with SIGTERM, then SIGKILL after a grace period, each to bwrap's whole process
 *     group (chroma-child.ts stopChild); it is never left orphaned (bwrap's --die-with-parent when
 *     this process dies, even by SIGKILL, and the launcher kills itself when its stdin closes);
 *   - is not started at all when it cannot be made private (IsolationError, never retried).
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { chromaTarget, displayAddress, heartbeat, HEARTBEAT_PATH, unixSocketAddress } from './chroma-address.js';
import type { ChromaEndpoint, LogFn } from './chroma-endpoint.js';
import { IsolationError, isolationFailure, prepareChromaDirs, spawnPrivateChroma } from './chroma-spawn.js';
import { exitText, keepTail, outputClosed, outputTail, signalGroup, sleep, stopChild } from './chroma-child.js';

export interface RestartPolicy {
  /** Delay before the first restart after a crash; doubled per recent crash. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** Crashes tolerated within `windowMs`; one more and the server is marked failed. */
  maxRestarts: number;
  windowMs: number;
}

export interface SupervisedChromaOptions {
  /** Chroma's data directory (created 0700 when missing); its socket goes in `<dataDir>-run/`. */
  dataDir: string;
  /** The chroma CLI (a JS file); default: the installed chromadb package's `bin.chroma`. */
  cliPath?: string;
  /** How long a start may take to answer the heartbeat. */
  startTimeoutMs?: number;
  /** Starts tried before a lazy start gives up. */
  startAttempts?: number;
  /** SIGTERM, then SIGKILL after this long. */
  stopGraceMs?: number;
  restart?: Partial<RestartPolicy>;
  /** After giving up, the next `ensureRunning()` tries again once this much time has passed. */
  retryAfterMs?: number;
  log?: LogFn;
}

const DEFAULT_RESTART: RestartPolicy = { initialDelayMs: 100, maxDelayMs: 5_000, maxRestarts: 5, windowMs: 60_000 };

type Phase = 'idle' | 'starting' | 'running' | 'failed' | 'stopped';

export class SupervisedChroma implements ChromaEndpoint {
  private phase: Phase = 'idle';
  private child: ChildProcess | null = null;
  private currentAddress: string | null = null;
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

  /** The running server's address (`http+unix://...`), or null. */
  get address(): string | null {
    return this.currentAddress;
  }

  get state(): Phase {
    return this.phase;
  }

  /** SIGTERM, then SIGKILL after this long (chroma-child.ts stopChild). */
  private get graceMs(): number {
    return this.options.stopGraceMs ?? 3_000;
  }

  /** A method, not a field comparison, so TypeScript does not narrow the phase across awaits. */
  private stopped(): boolean {
    return this.phase === 'stopped';
  }

  describe(): string {
    const where = this.currentAddress ? displayAddress(this.currentAddress) : 'starting';
    return this.child?.pid ? `chroma (pid ${this.child.pid}, ${where})` : 'chroma (not running)';
  }

  ensureRunning(): Promise<string> {
    if (this.stopped()) return Promise.reject(new Error('the memory service is stopped'));
    if (this.phase === 'running' && this.currentAddress) return Promise.resolve(this.currentAddress);
    if (this.pending) return this.pending;
    const failure = this.failure;
    const retryAfter = this.options.retryAfterMs ?? 5_000;
    if (this.phase === 'failed' && failure && Date.now() - failure.at < retryAfter) {
      return Promise.reject(new Error(failure.message));
    }
    this.crashTimes = [];
    return this.begin(this.options.startAttempts ?? 3, 0);
  }

  async recover(address: string): Promise<string> {
    if (this.phase === 'running' && this.currentAddress === address && this.child) {
      const child = this.child;
      // An answer counts only from the server that is still ours and whose bwrap has not exited:
      // a server whose exit was seen (or whose bwrap is a zombie) during the heartbeat is on its
      // way out, and the caller already saw its connection drop.
      if ((await heartbeat(address)) && this.child === child && !hasExited(child)) return address;
      // Dead but its exit not seen yet (or hung): make it so, and wait for the exit (not for a
      // fixed while: on a loaded machine the exit is seen late); the exit handler restarts it.
      if (
        this.currentAddress === address &&
        this.child === child &&
        child.exitCode === null &&
        child.signalCode === null
      ) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        signalGroup(child, 'SIGKILL');
        await exited;
      }
      await new Promise((resolve) => setImmediate(resolve));
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
    const address = this.currentAddress;
    this.child = null;
    this.currentAddress = null;
    if (child) await stopChild(child, this.graceMs);
    const socketPath = address && chromaTarget(address).socketPath;
    if (socketPath) await rm(socketPath, { force: true });
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
          if (lastError instanceof IsolationError) {
            this.options.log?.('error', `chroma not started: ${lastError.message}`);
            break;
          }
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
    const socketPath = await prepareChromaDirs(this.options.dataDir);
    const address = unixSocketAddress(socketPath);
    this.output = '';
    const { child } = await spawnPrivateChroma({
      dataDir: this.options.dataDir,
      socketPath,
      cliPath: this.options.cliPath,
    });
    const keep = (chunk: Buffer): void => {
      this.output = keepTail(this.output, chunk);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);

    const seen: { exit: { code: number | null; signal: NodeJS.Signals | null } | null; error: Error | null } = {
      exit: null,
      error: null,
    };
    child.once('error', (error) => {
      seen.error = error;
    });
    child.once('exit', (code, signal) => {
      seen.exit = { code, signal };
    });
    const timeoutMs = this.options.startTimeoutMs ?? 20_000;
    for (;;) {
      if (seen.error) throw new Error(`cannot run bwrap: ${seen.error.message}`);
      if (seen.exit) {
        await outputClosed(child);
        const { code, signal } = seen.exit;
        throw (
          isolationFailure(this.output) ??
          new Error(`chroma ${exitText(code, signal)} before answering ${HEARTBEAT_PATH}${outputTail(this.output)}`)
        );
      }
      if (this.stopped()) {
        await stopChild(child, this.graceMs);
        throw new Error('the memory service is stopped');
      }
      if (await heartbeat(address, 500)) break;
      if (Date.now() - started > timeoutMs) {
        await stopChild(child, this.graceMs);
        throw new Error(
          `chroma did not answer ${HEARTBEAT_PATH} on ${displayAddress(address)} within ${timeoutMs} ms${outputTail(this.output)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    if (seen.exit || this.stopped()) {
      await stopChild(child, this.graceMs);
      throw new Error(this.stopped() ? 'the memory service is stopped' : 'chroma exited right after starting');
    }
    this.child = child;
    this.currentAddress = address;
    this.phase = 'running';
    this.failure = null;
    this.starts++;
    this.lastStartMs = Date.now() - started;
    this.options.log?.(
      'info',
      `chroma ready: pid ${child.pid}, ${displayAddress(address)} (private network namespace), data ${this.options.dataDir} (${this.lastStartMs} ms)`,
    );
    child.once('exit', (code, signal) => this.onCrash(child, code, signal));
    return address;
  }

  private onCrash(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child || this.stopped()) return;
    this.child = null;
    this.currentAddress = null;
    const now = Date.now();
    const { windowMs, maxRestarts, initialDelayMs, maxDelayMs } = this.restartPolicy;
    this.crashTimes = this.crashTimes.filter((t) => now - t < windowMs);
    this.crashTimes.push(now);
    const what = `chroma ${exitText(code, signal)}`;
    if (this.crashTimes.length > maxRestarts) {
      this.phase = 'failed';
      this.failure = {
        message: `${what}; it died ${this.crashTimes.length} times in ${Math.round(windowMs / 1000)} s, not restarting${outputTail(this.output)}`,
        at: now,
      };
      this.options.log?.('error', this.failure.message);
      return;
    }
    const delay = Math.min(initialDelayMs * 2 ** (this.crashTimes.length - 1), maxDelayMs);
    this.options.log?.('warn', `${what}; restarting in ${delay} ms`);
    // Callers await it through ensureRunning(); begin() already handles its rejection.
    void this.begin(this.options.startAttempts ?? 3, delay);
  }
}

/** Exited, whether or not node has reaped it yet: a zombie (state Z in /proc) counts. */
function hasExited(child: ChildProcess): boolean {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return true;
  try {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    // "pid (comm) S ...": the state follows the last ')' (comm may hold anything).
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    // No procfs to read: gone once it cannot be signalled (a zombie still can).
    try {
      process.kill(child.pid, 0);
      return false;
    } catch {
      return true;
    }
  }
}
