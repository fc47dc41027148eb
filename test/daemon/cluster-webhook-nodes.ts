/** Nodes of a cluster with their webhook gateways as the daemon makes them, for the tests of webhooks across nodes. */
import type { Kernel } from '../../kernel/kernel.js';
import { webhooksElsewhere } from '../../daemon/cluster-webhooks.js';
import { serveOtherNodes } from '../../daemon/methods/cluster-methods.js';
import { ownHandlers } from '../../daemon/methods/methods.js';
import { ALL_CAPS, call } from '../helpers/kernel-harness.js';
import { gatewayAt } from '../helpers/gateway.js';
import { until } from '../helpers/until.js';
import { kernelNode } from '../kernel/cluster/kernel-node.js';
import { turnOf } from '../../kernel/loop/turn-state.js';

/** The address in front of every node (AOS_WEBHOOK_URL): what processes are told. */
export const PUBLIC = 'https://hooks.example.test/aos';
export const REGISTER = call('SYS_REGISTER_WEBHOOK', { path: 'github/push' });
export const BLOCK = call('RECV_MSG', { timeout_s: 60 });

/** A node as the daemon makes it: a gateway that carries other nodes' routes there, serving what they carry here. */
export async function webhookNode(
  name: string,
  url: string,
  dir: string,
  closers: Array<() => Promise<void>>,
  shared = true,
): Promise<Kernel> {
  let made: Kernel | null = null;
  const kernel = await kernelNode(name, url, dir, closers, shared, {
    rootCapabilities: [...ALL_CAPS, 'webhook'],
    webhookUrl: PUBLIC,
    gateway: gatewayAt(0, { elsewhere: webhooksElsewhere(() => made) }),
  });
  made = kernel;
  serveOtherNodes(kernel, ownHandlers);
  return kernel;
}

/** The URL a process was told, once it has registered and waits. */
export async function registered(kernel: Kernel, pid: number): Promise<string> {
  let url = '';
  await until(
    () => {
      const result = turnOf(kernel.proc(pid))?.transcript.find((m) =>
        m.text.includes('[SYS_RESULT::SYS_REGISTER_WEBHOOK]'),
      );
      url = result?.text.match(/"url":"([^"]+)"/)?.[1] ?? '';
      return url !== '' && kernel.pcb(pid)?.state === 'blocked';
    },
    20_000,
    'the process to register its webhook and wait',
  );
  return url;
}

/** The same route, through a node's own gateway (what the proxy behind the public URL does). */
export const via = (kernel: Kernel, told: string): string => `${kernel.gatewayUrl}${told.slice(PUBLIC.length)}`;
