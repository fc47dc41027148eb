/**
 * The envelope of a request is checked by hand (issue 50.3: zod's walk of it cost as much as a
 * spawn's params): it must take exactly what requestSchema takes, and refuse the rest with zod's words.
 */
import { describe, expect, it } from 'vitest';
import { parseRequest } from '../../daemon/parse-request.js';
import { describeIssues, PROTOCOL_VERSION, requestSchema } from '../../protocol/protocol.js';

const long = (n: number): string => 'x'.repeat(n);

const envelopes: unknown[] = [
  { id: 1, method: 'ping' },
  { id: 0, method: 'ping', params: {} },
  { id: -3, method: 'ping', params: {}, protocol: PROTOCOL_VERSION },
  { id: long(64), method: 'ping' },
  { id: '', method: 'ping', extra: true },
  { id: 1, method: 'ping', params: null },
  { id: long(65), method: 'ping' },
  { id: 1.5, method: 'ping' },
  { id: 2 ** 53, method: 'ping' },
  { id: true, method: 'ping' },
  { id: null, method: 'ping' },
  { method: 'ping' },
  { id: 1 },
  { id: 1, method: 7 },
  { id: 1, method: long(64) },
  { id: 1, method: long(65) },
  { id: 1, method: 'ping', protocol: 1.5 },
  { id: 1, method: 'ping', protocol: '1' },
  { id: 1, method: 'ping', protocol: null },
  [{ id: 1, method: 'ping' }],
  [],
  null,
  'ping',
  42,
];

describe('parseRequest: the envelope', () => {
  it.each(envelopes.map((raw) => [JSON.stringify(raw).slice(0, 60), raw]))('%s: as requestSchema says', (_, raw) => {
    const parsed = parseRequest(JSON.stringify(raw));
    const zod = requestSchema.safeParse(raw);
    if (zod.success) {
      // Past the envelope: answered, or refused for its method or params, never as a bad request.
      if ('error' in parsed) expect(parsed.error.message).not.toMatch(/^bad request/);
      expect(parsed.id).toBe(zod.data.id);
    } else {
      expect(parsed).toMatchObject({ error: { code: 'EINVAL', message: `bad request: ${describeIssues(zod.error)}` } });
    }
  });

  it('takes a spawn with its params checked, and refuses an unknown field in them', () => {
    const line = { id: 9, method: 'spawn', params: { task: 'go', name: 'agent' }, protocol: PROTOCOL_VERSION };
    expect(parseRequest(JSON.stringify(line))).toEqual({
      id: 9,
      method: 'spawn',
      params: { task: 'go', name: 'agent' },
    });
    const refused = parseRequest(JSON.stringify({ ...line, params: { task: 'go', nmae: 'agent' } }));
    expect(refused).toMatchObject({ id: 9, error: { code: 'EINVAL' } });
  });
});
