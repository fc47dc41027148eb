/**
 * What Kernel.create opens around the kernel: the driver table before it, the MCP servers and the
 * webhook gateway after it. A failure there (a policy error, a port taken) closes what was opened.
 */
import { closeDrivers, type OpenedDrivers, openDrivers } from '../drivers/index.js';
import type { WebhookListener, Webhooks } from './ipc/webhooks.js';
import type { KernelOptions } from './kernel-options.js';
import type { LogLevel } from './proc/api.js';
import type { McpAccess } from './mcp/mcp-access.js';
import { openMcp, withMcpSecrets } from './mcp/mcp-open.js';
import { opensPrivateAddress } from './safety/policy.js';
import type { SecretBox } from './safety/secrets.js';
import type { KernelStore } from './store/api.js';

export function openKernelDrivers(options: KernelOptions): Promise<OpenedDrivers> {
  const netAllowPrivate = options.netAllowPrivate ?? [];
  return openDrivers({
    workspace: options.workspace,
    allowPrivate: (ip, port) => opensPrivateAddress(netAllowPrivate, ip, port),
    memory: options.memory,
    modelTimeoutMs: options.modelTimeoutMs,
  });
}

/** What the services attach to. */
export interface ServicesHost {
  readonly opened: OpenedDrivers;
  readonly store: KernelStore;
  readonly safety: { readonly secrets: SecretBox };
  readonly webhooks: Webhooks;
  mcp: McpAccess | null;
  gateway: WebhookListener | null;
  log(level: LogLevel, message: string): void;
}

export async function openServices(k: ServicesHost, options: KernelOptions): Promise<void> {
  try {
    // A secret the policy does not let a server have stops the start here, like any policy error.
    k.mcp = openMcp(withMcpSecrets(options.mcp, k.safety.secrets), k.opened.fs.root, (level, message) => k.log(level, message));
    if (options.gateway) k.gateway = await options.gateway(k.webhooks);
  } catch (error) {
    k.store.close();
    await closeDrivers(k.opened);
    throw error;
  }
}
