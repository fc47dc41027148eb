/**
 * `/metrics` on the gateway (127.0.0.1, the webhooks' and MCP's port), when AOS_METRICS=1 says so.
 * Off by default: a gateway put behind a proxy for its webhooks (AOS_WEBHOOK_URL) would otherwise
 * show the kernel's figures to whoever can reach the proxy. Off, `/metrics` is the gateway's 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayRoute } from './gateway.js';
import type { KernelApi } from '../kernel/api.js';
import { KernelMetrics } from './metrics.js';

export const METRICS_PATH = '/metrics';

export { metricsWanted } from './metrics-wanted.js';

/** The metrics route, in front of the gateway's other route (MCP). */
export class MetricsRoute implements GatewayRoute {
  readonly metrics = new KernelMetrics();

  constructor(private readonly next?: GatewayRoute) {}

  /** Count the kernel's events from now on (it is made after the gateway it serves on). */
  attach(kernel: KernelApi): void {
    this.metrics.attach(kernel);
  }

  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '').split('?')[0];
    if (path !== METRICS_PATH) return this.next?.handle(req, res) ?? false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('use GET\n');
      return true;
    }
    this.metrics.render().then(
      (text) => {
        res.writeHead(200, { 'content-type': this.metrics.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`cannot read the metrics: ${error instanceof Error ? error.message : String(error)}\n`);
      },
    );
    return true;
  }

  close(): Promise<void> {
    this.metrics.close();
    return this.next?.close() ?? Promise.resolve();
  }
}
