/**
 * One channel adapter, supervised (issue 34): started at once in EXEC_CMD's sandbox with no network
 * of its own, its only way out the egress proxy on a unix socket bound into it (its platform's API
 * host and nothing else), its token in its environment (set through bwrap's args fd, never on a
 * command line), restarted with a growing delay whenever it dies. It speaks the channel protocol
 * (protocol.ts) on its stdin and stdout; what it says goes to the kernel's handlers
 * (adapter-conversation.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { AosError } from '../../sys/errno.js';
import type { McpLimits } from '../mcp/types.js';
import { launchSandboxedServer, type SandboxedServer } from '../mcp/sandbox-launch.js';
import { type EgressProxy, startEgressProxy } from '../net/egress-proxy.js';
import { type AdapterHandlers, converse, type Running } from './adapter-conversation.js';
import { ChannelError, type LineRpc } from './protocol.js';

export type AdapterState = 'starting' | 'running' | 'backoff' | 'stopped' | 'failed';

export interface AdapterConfig {
  name: string;
  program: { command: string; args: readonly string[]; read: readonly string[] };
  /** Checked before every start (a restart too): throws why this program must not run now. */
  beforeLaunch?: () => void;
  /** Its environment (its secrets among it); AOS_EGRESS_SOCKET is added. */
  env: Readonly<Record<string, string>>;
  /** host:port it may reach (`*.domain:443`), and private addresses among them (a fake's, in tests). */
  egress: { allow: readonly string[]; allowPrivate: readonly string[] };
  /** Where its private directory for the socket is made (short: a unix socket's path is at most 107 bytes). */
  runBase: string;
  limits: McpLimits;
  restart: { delayMs: number; maxDelayMs: number; healthyAfterMs: number };
  requestTimeoutMs: number;
  /** channel.inbound requests it may have waiting at once; past them it is broken (killed, restarted). */
  maxInflight: number;
  /** Secrets out of whatever it says (its stderr, its errors). */
  mask(text: string): string;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  handlers: AdapterHandlers;
}

export class AdapterSupervisor {
  state: AdapterState = 'stopped';
  restarts = 0;
  lastError: string | null = null;
  private running: Running | null = null;
  private proxy: EgressProxy | null = null;
  private failures = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Its private directory (mkdtemp: nobody else's, whatever was in runBase before). */
  private dir: string | null = null;
  /** Resolves when the adapter is running (the next start's, while it starts). */
  private readyWaiters: Array<() => void> = [];

  constructor(private readonly config: AdapterConfig) {}

  /** The sandbox's process group while it runs (tests kill it). */
  get pid(): number | null {
    return this.running?.server.child.pid ?? null;
  }

  /** Start it now; it keeps itself running until stop(). */
  start(): void {
    this.stopped = false;
    void this.launch();
  }

  /** On its way up: starting, or waiting to start again after a crash. */
  get coming(): boolean {
    return this.state === 'starting' || this.state === 'backoff';
  }

  /** Resolves once it runs, or rejects after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void> {
    if (this.state === 'running') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      // A waiter that gave up is forgotten: sends to an adapter that never comes up leave nothing behind.
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== wake);
        reject(
          new AosError(
            'ETIMEDOUT',
            `channel ${this.config.name}: its adapter is not running (${this.lastError ?? this.state})`,
          ),
        );
      }, timeoutMs);
      this.readyWaiters.push(wake);
    });
  }

  /** Ask the adapter; a retryable ChannelError when it is not running (nothing was sent). */
  async request<T>(method: string, params: unknown, timeoutMs = this.config.requestTimeoutMs): Promise<T> {
    const running = this.running;
    if (!running || this.state !== 'running')
      throw new ChannelError(
        -32001,
        `channel ${this.config.name}: its adapter is not running (${this.lastError ?? this.state})`,
        true,
      );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ChannelError(
              -32002,
              `channel ${this.config.name}: its adapter did not answer ${method} within ${timeoutMs} ms`,
              false,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([running.rpc.request<T>(method, params), timeout]);
    } catch (error) {
      if (error instanceof ChannelError)
        throw new ChannelError(error.code, this.config.mask(error.message), error.retryable);
      // The conversation closed under the request: it may have been carried out.
      throw new ChannelError(
        -32003,
        `channel ${this.config.name}: its adapter went away during ${method}: ${this.config.mask((error as Error).message)}`,
        false,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.state = 'stopped';
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const running = this.running;
    this.running = null;
    running?.rpc.close('the kernel stopped the adapter');
    await running?.server.kill();
    await this.proxy?.close();
    this.proxy = null;
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.dir = null;
  }

  private async launch(): Promise<void> {
    if (this.stopped) return;
    this.state = 'starting';
    const { config } = this;
    let server: SandboxedServer;
    try {
      config.beforeLaunch?.();
      this.dir ??= await mkdtemp(path.join(config.runBase, 'aos-ch-'));
      const socketPath = path.join(this.dir, 'egress.sock');
      this.proxy ??= await startEgressProxy({
        socketPath,
        allow: config.egress.allow,
        allowPrivate: config.egress.allowPrivate,
      });
      server = await launchSandboxedServer(
        {
          kind: 'stdio',
          command: config.program.command,
          args: config.program.args,
          env: { ...config.env, AOS_EGRESS_SOCKET: socketPath },
          read: [...config.program.read, this.dir],
          write: [],
          workspace: false,
          network: false,
        },
        '',
        config.limits,
      );
    } catch (error) {
      this.failed(`could not start: ${config.mask((error as Error).message)}`);
      return;
    }
    if (this.stopped) {
      await server.kill();
      return;
    }
    const running: Running = {
      server,
      rpc: null as unknown as LineRpc,
      startedAt: Date.now(),
      stderr: '',
      broke: null,
      inflight: 0,
    };
    running.rpc = converse(running, config, {
      current: () => this.running === running,
      hello: () => this.becameRunning(),
    });
    this.running = running;
    (server.child.stderr as Readable).on('data', (chunk: Buffer) => {
      running.stderr = (running.stderr + chunk.toString('utf8')).slice(-config.limits.stderrTailBytes);
    });
    server.child.once('exit', (code, signal) => this.exited(running, code, signal));
  }

  private becameRunning(): void {
    this.state = 'running';
    for (const wake of this.readyWaiters.splice(0)) wake();
  }

  private exited(running: Running, code: number | null, signal: NodeJS.Signals | null): void {
    running.rpc.close('the adapter exited');
    if (this.running !== running) return;
    this.running = null;
    if (this.stopped) return;
    if (Date.now() - running.startedAt >= this.config.restart.healthyAfterMs) this.failures = 0;
    const said =
      running.broke !== null
        ? `it broke the channel protocol (${running.broke}), so it was killed`
        : this.config.mask(lastWords(running.stderr)).slice(0, 300);
    this.failed(`its adapter exited (${signal ?? `code ${code ?? '?'}`})${said ? `: ${said}` : ''}`);
  }

  private failed(why: string): void {
    this.failures++;
    this.lastError = why;
    this.state = 'backoff';
    const { delayMs, maxDelayMs } = this.config.restart;
    const delay = Math.min(maxDelayMs, delayMs * 2 ** (this.failures - 1));
    this.config.log('warn', `channel ${this.config.name}: ${why}; restarting in ${delay} ms`);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.restarts++;
      void this.launch();
    }, delay);
    this.timer.unref();
  }
}

/**
 * What a dead program last said that explains it: node's crash report ends with its version and
 * a stack, so the last line naming an error is taken, else the last line of substance.
 */
export function lastWords(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(
      (l) =>
        l !== '' &&
        !/^Node\.js v\d/.test(l) &&
        !/^at /.test(l) &&
        !/^\^+$/.test(l) &&
        !/^(node:internal|triggerUncaughtException)/.test(l) &&
        l !== '}',
    );
  return [...lines].reverse().find((l) => /error/i.test(l)) ?? lines.at(-1) ?? '';
}
