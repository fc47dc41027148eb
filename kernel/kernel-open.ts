/**
 * What Kernel.create opens around the kernel: the driver table before it, the MCP servers and the
 * webhook gateway after it. A failure there (a policy error, a port taken) closes what was opened.
 */
import { closeDrivers, type OpenedDrivers, openDrivers } from '../drivers/index.js';
import type { FsRule } from '../drivers/fs-rules.js';
import type { WebhookListener, Webhooks } from './ipc/webhooks.js';
import type { KernelOptions } from './kernel-options.js';
import type { LogLevel } from './proc/api.js';
import { opensPrivateAddress } from './safety/policy.js';
import type { PolicyRule } from './safety/policy-rules.js';
import { SecretBox, withMcpSecrets } from './safety/secrets.js';
import { findSyscall } from '../syscalls/table.js';
import type { KernelStore } from './store/api.js';

/** `fsRules`: the policy's rules in force at each call (the safety pieces hold them once the kernel is built); `hookRules`: the paths and hosts its hooks watch. */
export function openKernelDrivers(
  options: KernelOptions,
  fsRules: () => readonly PolicyRule[],
  hookRules?: () => readonly FsRule[],
): Promise<OpenedDrivers> {
  const netAllowPrivate = options.netAllowPrivate ?? [];
  const secrets = options.secrets ?? SecretBox.empty();
  // A secret the policy does not let a server have stops the start here, like any policy error.
  const servers = withMcpSecrets(options.mcp, secrets);
  return openDrivers({
    workspace: options.workspace,
    allowPrivate: (ip, port) => opensPrivateAddress(netAllowPrivate, ip, port),
    memory: options.memory,
    modelLimits: options.modelLimits,
    ...(servers ? { mcp: { servers, shadows: shadowedSyscall } } : {}),
    fsRules,
    ...(hookRules ? { hookRules } : {}),
    // A driver's line may quote what it heard (an MCP server's last stderr line, given a secret by
    // the policy): masked here, once for every driver, before it reaches the kernel's log.
    log: (level, message) => options.log?.(level, String(secrets.mask(message))),
  });
}

/**
 * The syscall an MCP tool's name would read as (`exec` is EXEC_CMD's alias, `spawn-agent` SPAWN_AGENT),
 * or null: in any case, in compatibility forms (fullwidth `ｅｘｅｃ`), with invisible characters
 * (zero-width, soft hyphen) left out, and any run of `-`, `.`, `_` or space read as one `_`.
 */
export function shadowedSyscall(toolName: string): string | null {
  const plain = toolName.normalize('NFKC').replace(/\p{Cf}/gu, '');
  return findSyscall(plain.replace(/[-.\s_]+/g, '_').replace(/^_+|_+$/g, ''))?.name ?? null;
}

/** What the services attach to. */
export interface ServicesHost {
  readonly opened: OpenedDrivers;
  readonly store: KernelStore;
  readonly webhooks: Webhooks;
  gateway: WebhookListener | null;
  log(level: LogLevel, message: string): void;
}

export async function openServices(k: ServicesHost, options: KernelOptions): Promise<void> {
  try {
    if (options.gateway) k.gateway = await options.gateway(k.webhooks);
  } catch (error) {
    k.store.close();
    await closeDrivers(k.opened);
    throw error;
  }
}
