/**
 * A unit's webhook triggers: a route on the gateway per path (`/hooks/<token>/<path>`, the token
 * 192 random bits, kept in the store's meta so a URL outlives a kernel restart). Each request is a
 * firing: under the unit's policies it starts one run, bound to the request before it can run —
 * its `[EVENT::TRIGGER]` names the request, the body fills `{{trigger.body}}`, and its
 * `SYS_WEBHOOK_REPLY` (no request_id needed: it is the one waiting) is the answer. A request the
 * policies do not run is answered at once: 429 skipped, 202 queued (the run comes later and cannot
 * answer it), 503 failed. A platform's retry of a delivery (the same delivery id, event-id.ts) starts
 * no second run: it is answered 200 `{"deduped": true, "pid": <the run>}`, so the platform stops.
 */
import { nanoid } from 'nanoid';
import { jsonError, type StartedRun, type WebhookRequest } from '../ipc/webhooks.js';
import { param } from '../../sys/param.js';
import type { Clock } from '../../sys/clock.js';
import type { Armed, RunStarter, UnitsHost } from './runs.js';
import type { Trigger } from './trigger-spec.js';
import { webhookEventId } from './event-id.js';

interface Context {
  starter: RunStarter;
  clock: Clock;
  host: UnitsHost;
}

const TOKEN_CHARS = 32;
const metaKey = (unit: string, path: string): string => `unit_hook:${unit}:${path}`;

/** Tokens kept from before (a kernel restart, a unit changed): read once at start. */
export async function loadTokens(host: UnitsHost, armed: Armed): Promise<void> {
  for (const trigger of armed.unit.triggers) {
    if (trigger.kind !== 'webhook') continue;
    const token = await host.store.meta(metaKey(armed.unit.spec.name, trigger.path));
    if (token) armed.hooks.set(trigger.path, token);
  }
}

export function startHooks(ctx: Context, armed: Armed): void {
  stopHooks(ctx.host, armed, false);
  if (!armed.record.enabled) return;
  for (const trigger of armed.unit.triggers) {
    if (trigger.kind !== 'webhook') continue;
    let token = armed.hooks.get(trigger.path);
    if (!token) {
      token = nanoid(TOKEN_CHARS);
      armed.hooks.set(trigger.path, token);
      ctx.host.store.setMeta(metaKey(armed.unit.spec.name, trigger.path), token);
    }
    ctx.host.webhooks.addRoute(token, trigger.path, (request, respond) =>
      onRequest(ctx, armed, trigger, request, respond),
    );
  }
}

/** Routes off (disabled, removed: `forget` drops the tokens too, so a new unit of the name gets new URLs). */
export function stopHooks(host: UnitsHost, armed: Armed, forget: boolean): void {
  for (const [path, token] of armed.hooks) {
    host.webhooks.removeRoute(token);
    if (forget) host.store.setMeta(metaKey(armed.unit.spec.name, path), '');
  }
  if (forget) armed.hooks.clear();
}

/** The URLs of a unit's webhook triggers (null while no gateway listens). */
export function hookUrls(host: UnitsHost, armed: Armed): Array<{ path: string; url: string | null }> {
  return [...armed.hooks].map(([path, token]) => ({ path, url: host.webhooks.urlOf(token, path) }));
}

async function onRequest(
  ctx: Context,
  armed: Armed,
  trigger: Extract<Trigger, { kind: 'webhook' }>,
  request: WebhookRequest,
  respond: (reply: { status: number; body: string; contentType?: string }, pid: number) => void,
): Promise<StartedRun> {
  let requestId = '';
  const cut = request.body.length > param.webhookMaxEventBodyChars;
  const body = cut ? request.body.slice(0, param.webhookMaxEventBodyChars) : request.body;
  const eventId = webhookEventId(trigger.eventId, request.header ?? ((name) => request.headers[name]), request.body);
  const result = await ctx.starter.fire(armed, {
    ...(eventId === null ? {} : { eventId }),
    trigger: trigger.label,
    scheduledFor: null,
    catchUp: false,
    fields: { kind: 'webhook', path: trigger.path, method: request.method, body },
    bind: (pid) => {
      requestId = ctx.host.webhooks.awaitReply(pid, (reply) => respond(reply, pid));
      return { request_id: requestId, method: request.method, ...(cut ? { body_truncated: true } : {}) };
    },
  });
  if (result.outcome === 'started' && result.pid !== null) return { pid: result.pid, request_id: requestId };
  if (result.deduped) {
    const body = {
      deduped: true,
      event_id: eventId,
      ...(result.pid === null ? { queued: true } : { pid: result.pid }),
    };
    return { reply: { status: 200, body: JSON.stringify(body), contentType: 'application/json' } };
  }
  if (result.outcome === 'queued')
    return { reply: { status: 202, body: JSON.stringify({ queued: result.reason }), contentType: 'application/json' } };
  return {
    reply: jsonError(
      result.outcome === 'skipped' ? 429 : 503,
      `${armed.unit.spec.name}: not run: ${result.reason ?? result.outcome}`,
    ),
  };
}
