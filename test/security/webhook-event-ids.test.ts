/**
 * Attacks on a unit's webhook event ids (issue 32.4). An id is kept in the store and shown in
 * `aos unit runs`, the log and the audit trail, so it is never a credential's value and never text
 * that could act on a terminal: a unit may not read it from a credential header, and an id that is
 * not plain printable ASCII (escapes, controls, bidi overrides, lookalikes, very long) is kept as
 * its sha256. Two ids that only look alike are two events.
 */
import { describe, expect, it } from 'vitest';
import { eventIdSource, webhookEventId } from '../../kernel/units/event-id.js';
import { parseUnit } from '../../kernel/units/spec.js';

const none = (): undefined => undefined;

describe('webhook event ids under attack', () => {
  it('refuses to read the id from a header that carries credentials, in any case', () => {
    for (const name of [
      'Authorization',
      'X-Api-Key',
      'x-auth-token',
      'Cookie',
      'X-Hub-Signature-Secret',
      'X-Session-Id',
      'PROXY-AUTHORIZATION',
    ]) {
      expect(() => eventIdSource(`header:${name}`, 'triggers[0].webhook'), name).toThrow(/carries credentials/);
      expect(
        () => parseUnit(`name: x\ntask: t\ntriggers:\n  - webhook: {path: in, event_id: "header:${name}"}\n`, 'u.yaml'),
        name,
      ).toThrow(/carries credentials/);
    }
    // The delivery ids named "key" are ids, not credentials.
    expect(eventIdSource('header:Idempotency-Key', 't')).toEqual({ from: 'headers', names: ['idempotency-key'] });
  });

  it('keeps an id that is not plain printable ASCII as its sha256: no escape reaches a terminal', () => {
    const source = eventIdSource('body:id', 't');
    for (const id of [
      'evt\u001b]52;c;cHduZWQ=\u0007',
      'evt\u202eexe.txt',
      'evt\u200b1',
      'evt 1',
      'evt\n1',
      'е1' /* Cyrillic */,
      'x'.repeat(201),
    ]) {
      const kept = webhookEventId(source, none, JSON.stringify({ id }));
      expect(kept, JSON.stringify(id)).toMatch(/^body\.id:sha256:[0-9a-f]{64}$/);
    }
    expect(webhookEventId(source, none, JSON.stringify({ id: 'evt_1MqLx2' }))).toBe('body.id:evt_1MqLx2');
  });

  it('ids that only look alike are two events; the same bytes are one', () => {
    const source = eventIdSource('body:id', 't');
    const of = (id: string): string | null => webhookEventId(source, none, JSON.stringify({ id }));
    expect(of('evt\u200b1')).not.toBe(of('evt1'));
    expect(of('evt\u200b1')).not.toBe(of('evt\u200c1'));
    expect(of('evt\u200b1')).toBe(of('evt\u200b1'));
    // A number and its string are one id (JSON says the same event either way).
    expect(of('815')).toBe(webhookEventId(source, none, '{"id":815}'));
  });

  it('a body path cannot reach through arrays, prototypes or non-objects', () => {
    const proto = eventIdSource('body:__proto__.polluted', 't');
    expect(webhookEventId(proto, none, '{"__proto__":{"polluted":"x"}}')).toBe('body.__proto__.polluted:x'); // its own field, read as data
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(webhookEventId(eventIdSource('body:constructor.name', 't'), none, '{}')).toBeNull();
    expect(webhookEventId(eventIdSource('body:__proto__', 't'), none, '{}')).toBeNull();
    expect(webhookEventId(eventIdSource('body:toString', 't'), none, '{"a":1}')).toBeNull();
    expect(webhookEventId(eventIdSource('body:a.0', 't'), none, '{"a":["x"]}')).toBeNull();
  });
});
