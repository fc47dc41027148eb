/**
 * A webhook reaches its process on whichever node of a cluster runs it (issue 36). A process's
 * route lives in its node's store, and moves with its tree when that node dies: a request that
 * comes to a node without the route (the address behind AOS_WEBHOOK_URL may lead to any node) is
 * carried to the node that has it through the database (kernel/cluster/requests.ts), delivered
 * there as its own gateway would, and the process's SYS_WEBHOOK_REPLY is brought back.
 */
import { z } from 'zod';
import { jsonError, type KernelApi, RemoteError, type WebhookReply, type WebhookRequest } from '../kernel/api.js';
import { param } from '../sys/param.js';
import type { WebhooksElsewhere } from './gateway.js';
import { safeHeaders } from './webhook-request.js';

/** The method one node asks of another to deliver a request to a route of its. */
export const WEBHOOK_METHOD = 'webhook';

/** What the asking node sends: checked here as a client's request would be. */
const Carried = z.object({
  token: z.string().min(1).max(200),
  path: z.string().max(2_000),
  request: z.object({
    method: z.string().regex(/^[A-Za-z]{1,32}$/),
    query: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
    headers: z.record(z.string(), z.string()),
    body: z.string(),
  }),
});

/** The other node's answer, checked before it becomes this gateway's response (a header value with a line break would split it). */
const Reply = z.object({
  status: z.number().int().min(200).max(599),
  body: z.string(),
  contentType: z
    .string()
    .regex(/^[\x20-\x7e]{1,200}$/)
    .optional(),
});

/** How long the asking node waits: the process's time to reply, and a margin for the trip. */
const askTimeoutMs = (kernel: KernelApi): number => kernel.webhooks.replyTimeoutMs + 10_000;

/** The gateway's way to the other nodes' routes; none while the kernel is not a node of a cluster. */
export function webhooksElsewhere(kernelOf: () => KernelApi | null): WebhooksElsewhere {
  return {
    async find(token, path) {
      const kernel = kernelOf();
      const cluster = kernel?.cluster;
      if (!kernel || !cluster) return null;
      const node = await cluster.remote.webhookOwner(token, path);
      if (node === null) return null;
      // A node that joined since the last heartbeat is not listed yet: it is live.
      const state = cluster.member.nodes.find((n) => n.name === node)?.state ?? 'live';
      if (state !== 'live') {
        return {
          reply: jsonError(
            503,
            `the process behind this webhook ran on node ${node}, which is ${state}: another node takes its work over, try again shortly`,
          ),
        };
      }
      return {
        deliver: (request: WebhookRequest) =>
          cluster.requests.ask(node, WEBHOOK_METHOD, { token, path, request }, askTimeoutMs(kernel)).then(
            (answer) => {
              const reply = Reply.safeParse(answer);
              return reply.success ? reply.data : jsonError(502, `node ${node} gave no answer this gateway can send`);
            },
            (error: unknown) =>
              error instanceof RemoteError && error.code === 'ETIMEDOUT'
                ? jsonError(
                    503,
                    `node ${node}, which has this webhook, did not take the request (is it up? aos kernel status); try again`,
                  )
                : jsonError(
                    502,
                    `node ${node}, which has this webhook, failed to deliver it: ${(error as Error).message}`,
                  ),
          ),
      };
    },
  };
}

/**
 * Another node carried a request here: delivered to the route's process as this node's gateway
 * would, answered with its reply (or why not: no such route any more, its process ended, too many
 * waiting). Never throws for what a request holds.
 */
export function deliverCarried(kernel: KernelApi, carried: unknown): Promise<WebhookReply> {
  const parsed = Carried.safeParse(carried);
  if (!parsed.success) return Promise.resolve(jsonError(400, 'a malformed webhook request came from another node'));
  const { token, path, request } = parsed.data;
  const hook = kernel.webhooks.find(token, path);
  // Its tree moved on meanwhile (adopted elsewhere), or it was a unit's route (those are answered where the unit is).
  if (!hook || hook.start) return Promise.resolve(jsonError(404, 'no such webhook'));
  const owner = kernel.webhooks.owner(hook);
  if (!owner) return Promise.resolve(jsonError(410, 'the process that owned this webhook has ended'));
  if (kernel.webhooks.pendingOf(owner.pid) >= param.maxPendingWebhookRequests)
    return Promise.resolve(jsonError(429, 'too many requests are waiting for this process'));
  if (Buffer.byteLength(request.body) > param.webhookMaxBodyBytes)
    return Promise.resolve(jsonError(413, `the request body is over ${param.webhookMaxBodyBytes} bytes`));
  // The caller's credentials were left out where the request came in; left out here again, where it reaches the process.
  return new Promise((resolve) =>
    kernel.webhooks.deliver(hook, owner, { ...request, headers: safeHeaders(request.headers) }, resolve),
  );
}
