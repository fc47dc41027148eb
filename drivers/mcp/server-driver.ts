/**
 * One MCP server, supervised: started on first use, restarted after a crash with a growing delay,
 * stopped when idle and at shutdown. Its tool list is cached and refreshed on `list_changed`.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { AosError } from '../../sys/errno.js';
import { died, toCallError } from './call-errors.js';
import { openTransport, type OpenedTransport } from './open-transport.js';
import { serverRuleMounts, type ServerRules, serverViewPaths } from './sandbox-rules.js';
import type { McpLimits, McpServerConfig, McpTool } from './types.js';
import type { BindSources } from '../exec/bind-sources.js';
import { beginHold, type HeldMount } from '../fs-held.js';
import type { FsRule } from '../fs-rules.js';

export interface ServerDriverOptions {
  workspace: string;
  limits: McpLimits;
  clientInfo: { name: string; version: string };
  log?: (level: 'info' | 'warn', message: string) => void;
  /** The policy's fs rules, held over what a stdio server sees of the workspace (sandbox-rules.ts). */
  rules?: ServerRules;
}

/** Tools one server may list: more pages than this is a runaway. */
const MAX_TOOL_PAGES = 20;

interface Running {
  client: Client;
  opened: OpenedTransport;
  stopping: boolean;
  /** The fs rules' mounts it was started with ('' for none). */
  rulesKey: string;
  /** Lets go of what its mounts hold (../fs-held.ts) once it has exited. */
  release: () => void;
}

interface Planned {
  /** The overlays' bwrap options, workspace paths bound through the launch's sources (bind-sources.ts). */
  args: (sources: BindSources) => string[];
  key: string;
  rules: readonly FsRule[];
  held: readonly HeldMount[];
}

export class ServerDriver {
  private running: Running | null = null;
  private starting: Promise<Running> | null = null;
  private cache: McpTool[] | null = null;
  private failures = 0;
  private lastFailureAt = 0;
  private inFlight = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Every stop's close of its server (the sandbox killed and its cgroup removed), until it is done. */
  private closing: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly config: McpServerConfig,
    private readonly options: ServerDriverOptions,
  ) {}

  get state(): 'stopped' | 'starting' | 'running' {
    return this.running ? 'running' : this.starting ? 'starting' : 'stopped';
  }

  /** The sandbox's process group while a stdio server runs (tests kill it). */
  get pid(): number | undefined {
    return this.running?.opened.pid();
  }

  /** The tool list, from the cache when the server runs (refreshed on list_changed), else by starting it. */
  async tools(signal?: AbortSignal): Promise<McpTool[]> {
    return this.use(signal, async () => {
      if (this.cache) return this.cache;
      const running = await this.connect(signal);
      this.cache = await this.listTools(running.client, signal);
      return this.cache;
    });
  }

  async call(
    tool: string,
    args: Record<string, unknown>,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<CallToolResult> {
    return this.use(options.signal, async () => {
      const running = await this.connect(options.signal);
      try {
        const result = (await running.client.callTool({ name: tool, arguments: args }, undefined, {
          timeout: options.timeoutMs,
          ...(options.signal ? { signal: options.signal } : {}),
        })) as CallToolResult;
        this.failures = 0;
        return result;
      } catch (error) {
        if (!this.running && !running.stopping) throw died(this.name, `the call of ${tool}`, running.opened, error);
        throw toCallError(error, this.name, `the call of ${tool}`, running.opened);
      }
    });
  }

  /**
   * Stop it now (idle, shutdown); the next use starts it again unless closed. Resolves once the
   * server is gone, also when another stop (the idle timer's) had already begun to close it.
   */
  async stop(options: { close?: boolean } = {}): Promise<void> {
    if (options.close) this.closed = true;
    this.clearIdle();
    const running = this.running ?? (await this.starting?.catch(() => null)) ?? null;
    if (running && !running.stopping) {
      running.stopping = true;
      if (this.running === running) {
        this.running = null;
        this.cache = null;
      }
      const closed = running.client.close().catch(() => undefined);
      this.closing = Promise.all([this.closing, closed]).then(() => undefined);
    }
    await this.closing;
  }

  private async use<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    if (this.closed) throw new AosError('EIO', `MCP server "${this.name}" is shut down`);
    signal?.throwIfAborted();
    this.inFlight++;
    this.clearIdle();
    try {
      return await work();
    } finally {
      this.inFlight--;
      if (this.inFlight === 0 && this.running) this.armIdle();
    }
  }

  private async connect(signal?: AbortSignal): Promise<Running> {
    // The policy's fs rules as they stand now: a server started under other mounts is started again.
    const planned = await this.planRules();
    if (this.running && this.running.rulesKey === planned.key) return this.running;
    if (this.running) {
      this.options.log?.(
        'info',
        `MCP server "${this.name}" restarts: what the policy's fs rules hide or make read-only changed`,
      );
      await this.stop();
    }
    this.starting ??= this.start(planned).finally(() => {
      this.starting = null;
    });
    if (!signal) return this.starting;
    // A killed caller stops waiting; the start goes on for whoever calls next.
    return Promise.race([
      this.starting,
      new Promise<never>((_resolve, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
      ),
    ]);
  }

  /** The mounts the policy's fs rules ask of a stdio server's sandbox now (none for a server reached over HTTP). */
  private async planRules(): Promise<Planned> {
    if (this.config.kind !== 'stdio') return { args: () => [], key: '', rules: [], held: [] };
    return serverRuleMounts(this.config, this.options.workspace, this.options.rules).catch((error: unknown) => {
      throw new AosError(
        'EACCES',
        `MCP server "${this.name}" was not started: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  }

  private async start(checked: Planned): Promise<Running> {
    const { limits } = this.options;
    const delay =
      this.failures === 0 ? 0 : Math.min(limits.restartMaxDelayMs, limits.restartDelayMs * 2 ** (this.failures - 1));
    const wait = this.lastFailureAt + delay - Date.now();
    if (wait > 0) await sleep(wait);
    // What its mounts sit on is not taken from under them by the fs driver while it runs (../fs-held.ts):
    // held from before they are planned, over what it sees, by every rule in force (a name one covers,
    // made since, it would see). A server reached over HTTP has no sandbox: nothing to hold.
    const { config } = this;
    const stdio = config.kind === 'stdio';
    const views = config.kind === 'stdio' ? await serverViewPaths(config, this.options.workspace) : undefined;
    const inForce = (): readonly FsRule[] => (stdio ? (this.options.rules?.fsRules() ?? checked.rules) : []);
    const hold = await beginHold({
      what: `MCP server "${this.name}"`,
      root: this.options.workspace,
      rules: inForce(),
      ...(views ? { views } : {}),
      // Started again at its next use, under mounts planned then.
      stop: () => this.stop(),
    });
    let planned: Planned;
    try {
      planned = await this.planRules();
    } catch (error) {
      hold.release();
      throw error;
    }
    hold.planned(planned.held, inForce());
    const release = hold.release;
    let opened: OpenedTransport;
    try {
      opened = openTransport(this.config, this.options.workspace, limits, planned.args);
    } catch (error) {
      release();
      throw error;
    }
    const running: Running = { client: this.newClient(), opened, stopping: false, rulesKey: planned.key, release };
    running.client.onclose = () => this.onClosed(running);
    try {
      await running.client.connect(opened.transport, { timeout: limits.startTimeoutMs });
    } catch (error) {
      this.noteFailure();
      running.stopping = true;
      await running.client.close().catch(() => undefined);
      throw toCallError(error, this.name, 'start-up', opened);
    }
    if (this.closed) {
      await running.client.close().catch(() => undefined);
      throw new AosError('EIO', `MCP server "${this.name}" is shut down`);
    }
    this.options.log?.(
      'info',
      `MCP server "${this.name}" started${opened.pid() ? ` (sandbox pid ${opened.pid()})` : ''}`,
    );
    this.running = running;
    return running;
  }

  private newClient(): Client {
    const client: Client = new Client(this.options.clientInfo, {
      listChanged: {
        tools: {
          onChanged: (error, tools) => {
            if (!error && tools && this.running?.client === client) this.cache = tools.map(toMcpTool);
          },
        },
      },
    });
    return client;
  }

  private async listTools(client: Client, signal?: AbortSignal): Promise<McpTool[]> {
    const tools: McpTool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_TOOL_PAGES; page++) {
      const options = { timeout: this.options.limits.startTimeoutMs, ...(signal ? { signal } : {}) };
      const listed = await client.listTools(cursor === undefined ? {} : { cursor }, options).catch((error: unknown) => {
        throw toCallError(error, this.name, 'the tool list', this.running?.opened);
      });
      tools.push(...listed.tools.map(toMcpTool));
      cursor = listed.nextCursor;
      if (cursor === undefined) break;
    }
    return tools;
  }

  private onClosed(running: Running): void {
    running.release();
    if (this.running === running) {
      this.running = null;
      this.cache = null;
    }
    this.clearIdle();
    if (running.stopping) return;
    this.noteFailure();
    const said = running.opened.stderrTail().split('\n').slice(-1)[0] ?? '';
    this.options.log?.(
      'warn',
      `MCP server "${this.name}" exited${said ? ` (${said.slice(0, 200)})` : ''}; it restarts on the next call`,
    );
  }

  private noteFailure(): void {
    this.failures++;
    this.lastFailureAt = Date.now();
  }

  private armIdle(): void {
    this.idleTimer = setTimeout(() => void this.stop(), this.options.limits.idleStopMs);
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}

function toMcpTool(tool: Tool): McpTool {
  return {
    name: tool.name,
    ...(tool.description !== undefined ? { description: tool.description } : {}),
    inputSchema: tool.inputSchema,
    ...(tool.annotations?.readOnlyHint === true ? { readOnly: true as const } : {}),
  };
}
