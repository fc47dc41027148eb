/**
 * A webhook request's answer as the gateway (gateway.ts) writes it: the reply's status and body,
 * typed as JSON when it parses as JSON, never cached, the connection closed when asked; and the
 * refusal for room (429 or 503, retry after a second), whose connection is cut so the client's
 * unread bytes are not kept. A response already sent or gone is left alone.
 */
import type { ServerResponse } from 'node:http';
import type { WebhookReply } from '../kernel/api.js';

function contentTypeOf(body: string): string {
  const t = body.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      JSON.parse(body);
      return 'application/json';
    } catch {
      // not JSON: plain text
    }
  }
  return 'text/plain; charset=utf-8';
}

export function send(
  res: ServerResponse,
  reply: WebhookReply,
  closeConnection = false,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  try {
    res.writeHead(reply.status, {
      'content-type': reply.contentType ?? contentTypeOf(reply.body),
      'cache-control': 'no-store',
      ...headers,
      ...(closeConnection ? { connection: 'close' } : {}),
    });
    res.end(reply.body);
  } catch {
    res.destroy();
  }
}

/** Refused for room: the client may try again; the connection is cut so its unread bytes are not kept. */
export function refuseBusy(res: ServerResponse, status: 429 | 503, message: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': 'application/json',
    'retry-after': '1',
    connection: 'close',
    'cache-control': 'no-store',
  });
  res.end(JSON.stringify({ error: message }), () => res.socket?.destroy());
}
