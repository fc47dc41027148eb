/**
 * The MCP servers the policy declares, one supervised driver each; nothing starts until first used.
 * Nor is anything loaded: the MCP SDK (its client, transports and schemas, ~250 ms of a start on
 * the 2-core machine) is imported the first time a server is asked for its tools or called, so a
 * kernel whose policy declares servers it never uses, or none, does not pay for it.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AosError } from '../../sys/errno.js';
import type { ServerDriver, ServerDriverOptions } from './server-driver.js';
import type { McpServerConfig, McpTool } from './types.js';

let loading: Promise<typeof import('./server-driver.js')> | undefined;

/** One declared server: its driver made, with the SDK loaded, on first use. */
export class McpServer {
  private made: ServerDriver | undefined;
  private making: Promise<ServerDriver> | undefined;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly config: McpServerConfig,
    private readonly options: ServerDriverOptions,
  ) {}

  get state(): ServerDriver['state'] {
    return this.made?.state ?? 'stopped';
  }

  /** The sandbox's process group while a stdio server runs (tests kill it). */
  get pid(): number | undefined {
    return this.made?.pid;
  }

  async tools(signal?: AbortSignal): Promise<McpTool[]> {
    return (await this.driver()).tools(signal);
  }

  async call(
    tool: string,
    args: Record<string, unknown>,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<CallToolResult> {
    return (await this.driver()).call(tool, args, options);
  }

  /** Stop it (see ServerDriver.stop); one never used has nothing to stop. */
  async stop(options: { close?: boolean } = {}): Promise<void> {
    if (options.close) this.closed = true;
    if (this.making) await (await this.making).stop(options);
  }

  private driver(): Promise<ServerDriver> {
    // Closed before it was ever used (kernel shutdown): as a closed driver answers.
    if (this.closed && !this.making)
      return Promise.reject(new AosError('EIO', `MCP server "${this.name}" is shut down`));
    this.making ??= (loading ??= import('./server-driver.js')).then(({ ServerDriver }) => {
      this.made = new ServerDriver(this.name, this.config, this.options);
      return this.made;
    });
    return this.making;
  }
}

export class McpServers {
  private readonly drivers = new Map<string, McpServer>();

  constructor(configs: Readonly<Record<string, McpServerConfig>>, options: ServerDriverOptions) {
    for (const [name, config] of Object.entries(configs)) this.drivers.set(name, new McpServer(name, config, options));
  }

  get names(): string[] {
    return [...this.drivers.keys()];
  }

  has(name: string): boolean {
    return this.drivers.has(name);
  }

  get(name: string): McpServer {
    const driver = this.drivers.get(name);
    if (!driver) {
      const known = this.names.length ? `; known: ${this.names.join(', ')}` : '; the policy declares none';
      throw new AosError('ENOENT', `no MCP server "${name}"${known}`);
    }
    return driver;
  }

  /** Stop every server for good (kernel shutdown): none is left running. */
  async close(): Promise<void> {
    await Promise.all([...this.drivers.values()].map((driver) => driver.stop({ close: true })));
  }
}
