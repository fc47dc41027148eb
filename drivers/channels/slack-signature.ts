/**
 * Slack's request signatures (issue 34), checked by the Slack adapter on every request the
 * kernel's gateway forwards: Slack signs `v0:<timestamp>:<raw body>` with the app's signing
 * secret (HMAC-SHA256) and sends `x-slack-signature: v0=<hex>` and `x-slack-request-timestamp`.
 * A request is taken only when the signature matches (compared in constant time) and its timestamp
 * is within five minutes of now, so a recorded request cannot be replayed later. A refusal says why
 * — never what the signature should have been.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a request's timestamp may be from now (Slack's own advice). */
export const SLACK_SIGNATURE_MAX_AGE_S = 5 * 60;

export type SignatureVerdict = { ok: true } | { ok: false; reason: string };

/** `v0=` and the hex HMAC-SHA256 of `v0:${timestamp}:${rawBody}` under `signingSecret`. */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

/**
 * Whether `rawBody` with these headers (lowercase names, as received) was signed by Slack with
 * `signingSecret` within SLACK_SIGNATURE_MAX_AGE_S of `nowMs`.
 */
export function verifySlackSignature(
  signingSecret: string,
  headers: Readonly<Record<string, string | undefined>>,
  rawBody: string,
  nowMs: number = Date.now(),
): SignatureVerdict {
  if (!signingSecret) return { ok: false, reason: 'no signing secret is configured' };
  const signature = headers['x-slack-signature'];
  const timestamp = headers['x-slack-request-timestamp'];
  if (!signature) return { ok: false, reason: 'no x-slack-signature header' };
  if (!timestamp) return { ok: false, reason: 'no x-slack-request-timestamp header' };
  if (!/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: 'x-slack-request-timestamp is not a number of seconds' };
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  if (skew > SLACK_SIGNATURE_MAX_AGE_S) {
    return {
      ok: false,
      reason: `the request's timestamp is ${Math.round(skew)} s from now (more than ${SLACK_SIGNATURE_MAX_AGE_S} s): stale or replayed`,
    };
  }
  if (!/^v0=[0-9a-f]{64}$/.test(signature))
    return { ok: false, reason: 'x-slack-signature is not v0= and 64 hex digits' };
  const expected = Buffer.from(slackSignature(signingSecret, timestamp, rawBody));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'the signature does not match the body and timestamp' };
  return { ok: true };
}
