/** The webhook gateway as the daemon attaches it, for kernels made in tests: a 127.0.0.1 listener on `port` (0: any). */
import { Gateway, type GatewayOptions } from '../../daemon/gateway.js';
import type { Webhooks } from '../../kernel/ipc/webhooks.js';
import { param } from '../../sys/param.js';

export function gatewayAt(port: number, options: Partial<GatewayOptions> = {}): (routes: Webhooks) => Promise<Gateway> {
  return (routes) => Gateway.listen(routes, { port, maxBodyBytes: param.webhookMaxBodyBytes, ...options });
}
