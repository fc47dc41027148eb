/**
 * Resource subscriptions: a subscribed `aos://proc/<pid>[/log]` follows the process's log over
 * the protocol (one `logs --follow` stream per pid) and tells the MCP client on every event and
 * at the end, with `notifications/resources/updated`.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { AosError } from '../../sys/errno.js';
import type { KernelClient } from '../client.js';
import { PROC_URI, procUri } from './resources.js';

interface Watch {
  uris: Set<string>;
  stop(): void;
}

export class ProcWatch {
  private readonly watches = new Map<number, Watch>();

  constructor(
    private readonly server: McpServer,
    private readonly client: KernelClient,
  ) {
    server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
      await this.subscribe(request.params.uri);
      return {};
    });
    server.server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
      this.unsubscribe(request.params.uri);
      return {};
    });
  }

  async subscribe(uri: string): Promise<void> {
    const pid = parse(uri);
    const known = this.watches.get(pid);
    if (known) {
      known.uris.add(uri);
      return;
    }
    const stream = await this.client.stream('logs', { pid, tail: 0, follow: true });
    const watch: Watch = { uris: new Set([uri]), stop: () => void stream.pushes.return() };
    this.watches.set(pid, watch);
    void this.pump(pid, watch, stream.pushes);
  }

  unsubscribe(uri: string): void {
    const pid = parse(uri);
    const watch = this.watches.get(pid);
    if (!watch) return;
    watch.uris.delete(uri);
    if (watch.uris.size > 0) return;
    this.watches.delete(pid);
    watch.stop();
  }

  close(): void {
    for (const watch of this.watches.values()) watch.stop();
    this.watches.clear();
  }

  private async pump(pid: number, watch: Watch, pushes: AsyncIterable<unknown>): Promise<void> {
    try {
      for await (const _push of pushes) await this.updated(watch);
    } catch {
      // the connection to the kernel is gone: nothing more will change
    }
    if (this.watches.get(pid) === watch) this.watches.delete(pid);
  }

  private async updated(watch: Watch): Promise<void> {
    for (const uri of watch.uris) await this.server.server.sendResourceUpdated({ uri }).catch(() => undefined);
  }
}

function parse(uri: string): number {
  const match = PROC_URI.exec(uri);
  if (!match?.[1])
    throw new AosError('EINVAL', `not an aos resource: ${uri} (expected ${procUri(1)} or ${procUri(1, true)})`);
  return Number(match[1]);
}
