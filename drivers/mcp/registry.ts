/** The MCP servers the policy declares, one supervised driver each; nothing starts until first used. */
import { AosError } from '../../sys/errno.js';
import { ServerDriver, type ServerDriverOptions } from './server-driver.js';
import type { McpServerConfig } from './types.js';

export class McpServers {
  private readonly drivers = new Map<string, ServerDriver>();

  constructor(configs: Readonly<Record<string, McpServerConfig>>, options: ServerDriverOptions) {
    for (const [name, config] of Object.entries(configs))
      this.drivers.set(name, new ServerDriver(name, config, options));
  }

  get names(): string[] {
    return [...this.drivers.keys()];
  }

  has(name: string): boolean {
    return this.drivers.has(name);
  }

  get(name: string): ServerDriver {
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
