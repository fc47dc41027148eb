/**
 * The id of the event a trigger fired for: a unit starts one run per event id, so a platform's
 * retry of a delivery (GitHub's, Stripe's, Telegram's — all resend what they think was not
 * received) does not start the work twice. A webhook's id is the platform's delivery id — the
 * first of the headers below, or where its `event_id:` says (`header:<name>`, `body:<json.path>`,
 * `none`); an `on` trigger's is what happened (the run that ended, the approval that expired; a
 * budget crossing has none: after a raise the same window may rightly cross again).
 * Ids are kept per unit with the kernel's idempotency keys (scope `unit:<name>`), so a retry after
 * a restart is still known; they expire with them (24 h unless the policy's work.idempotency_ttl).
 */
import { createHash } from 'node:crypto';
import { AosError } from '../../sys/errno.js';
import { CREDENTIAL_NAME } from '../../sys/credential-names.js';

/** Where a webhook's event id is read; null: nowhere (every request is an event of its own). */
export type EventIdSource =
  { from: 'headers'; names: readonly string[] } | { from: 'body'; path: readonly string[]; spec: string } | null;

/**
 * Delivery ids of the platforms that retry, lowercase, first found wins: the IETF's and Stripe's
 * Idempotency-Key, Standard Webhooks' and Svix's webhook-id, GitHub, GitLab, Gitea/Gogs, Bitbucket,
 * Shopify; then the generic ones.
 */
export const DELIVERY_HEADERS: readonly string[] = [
  'idempotency-key',
  'x-idempotency-key',
  'webhook-id',
  'svix-id',
  'x-github-delivery',
  'x-gitlab-event-uuid',
  'x-gitea-delivery',
  'x-gogs-delivery',
  'x-request-uuid',
  'x-shopify-webhook-id',
  'x-delivery-id',
  'x-event-id',
];

/** Longer ids are kept as their sha256 (a key of the store is at most this long). */
const MAX_ID_CHARS = 200;

/** `event_id:` of a webhook trigger; absent: the delivery headers above. */
export function eventIdSource(spec: string | undefined, where: string): EventIdSource {
  if (spec === undefined) return { from: 'headers', names: DELIVERY_HEADERS };
  const text = spec.trim();
  if (text === 'none') return null;
  const header = /^header:\s*([A-Za-z0-9-]{1,64})$/.exec(text);
  if (header) {
    const name = header[1]!.toLowerCase();
    // An id is kept in the store and shown in runs and the audit trail: never a credential's value.
    if (CREDENTIAL_NAME.test(name) && !DELIVERY_HEADERS.includes(name)) {
      throw new AosError(
        'EINVAL',
        `${where}: event_id "${spec}" names a header that carries credentials; an event id is stored and shown — name the platform's delivery id header`,
      );
    }
    return { from: 'headers', names: [name] };
  }
  const body = /^body:\s*([A-Za-z0-9_-]{1,64}(?:\.[A-Za-z0-9_-]{1,64}){0,7})$/.exec(text);
  if (body) return { from: 'body', path: body[1]!.split('.'), spec: body[1]! };
  throw new AosError(
    'EINVAL',
    `${where}: event_id "${spec}" is header:<name> (e.g. header:X-GitHub-Delivery), body:<json.path> (e.g. body:update_id) or none`,
  );
}

/** An id as kept and shown: printable ASCII up to MAX_ID_CHARS as it is; anything else (long, controls, escapes, lookalikes) as its sha256. */
function bounded(id: string): string | null {
  const trimmed = id.trim();
  if (trimmed === '') return null;
  return trimmed.length <= MAX_ID_CHARS && /^[\x21-\x7e]+$/.test(trimmed)
    ? trimmed
    : `sha256:${createHash('sha256').update(trimmed).digest('hex')}`;
}

/** The event id of a webhook request, or null (no such header, a body that is not JSON or lacks the field). */
export function webhookEventId(
  source: EventIdSource,
  header: (name: string) => string | undefined,
  body: string,
): string | null {
  if (source === null) return null;
  if (source.from === 'headers') {
    for (const name of source.names) {
      const value = header(name);
      if (value !== undefined && bounded(value) !== null) return `${name}:${bounded(value)}`;
    }
    return null;
  }
  let value: unknown;
  try {
    value = JSON.parse(body) as unknown;
  } catch {
    return null;
  }
  // Own fields of objects only: nothing inherited (constructor, __proto__ of {}), no array indexes.
  for (const key of source.path)
    value =
      value !== null && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, key)
        ? (value as Record<string, unknown>)[key]
        : undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return `body.${source.spec}:${value}`;
  if (typeof value !== 'string') return null;
  const id = bounded(value);
  return id === null ? null : `body.${source.spec}:${id}`;
}

/** An `on` trigger's event id: what happened, named so the same happening has the same id. */
export function onEventId(event: Record<string, string | number>): string | null {
  switch (event.event) {
    case 'exit':
      return `exit:${event.unit}:${event.pid}`;
    case 'approval_expired':
      return `approval:${event.approval}`;
    default:
      return null;
  }
}
