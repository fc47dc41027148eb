/** What privacy detection finds, and what it must not: a match means something (a checksum, a number plan, an issuer). */
import { describe, expect, it } from 'vitest';
import { detect } from '../../../kernel/cost/privacy-detect.js';
import { toPrivacy } from '../../../kernel/cost/privacy-spec.js';

const policy = toPrivacy(
  { rules: [{ kinds: ['email'], action: 'redact' }], patterns: { employee: 'EMP-\\d{6}' } },
  '/tmp',
  'p.yaml',
);
const kinds = (text: string): Array<[string, string]> => detect(text, policy).map((f) => [f.kind, f.text]);

describe('privacy detection', () => {
  it('finds emails, international phone numbers, valid IBANs and card numbers, key shapes and the policy’s own kinds', () => {
    expect(kinds('write to ada.lovelace+notes@analytical.example.org today')).toEqual([
      ['email', 'ada.lovelace+notes@analytical.example.org'],
    ]);
    expect(kinds('call +49 30 901820 or +1 415 555 2671')).toEqual([
      ['phone', '+49 30 901820'],
      ['phone', '+1 415 555 2671'],
    ]);
    expect(kinds('pay DE89 3704 0044 0532 0130 00 now')).toEqual([['iban', 'DE89 3704 0044 0532 0130 00']]);
    expect(kinds('GB82WEST12345698765432')).toEqual([['iban', 'GB82WEST12345698765432']]);
    expect(kinds('card 4111 1111 1111 1111, amex 378282246310005')).toEqual([
      ['card', '4111 1111 1111 1111'],
      ['card', '378282246310005'],
    ]);
    expect(kinds('key sk-proj-abcdefghijklmnopqrstuvwxyz012345 and AKIAIOSFODNN7EXAMPLE')).toEqual([
      ['api_key', 'sk-proj-abcdefghijklmnopqrstuvwxyz012345'],
      ['api_key', 'AKIAIOSFODNN7EXAMPLE'],
    ]);
    expect(kinds('badge EMP-123456')).toEqual([['employee', 'EMP-123456']]);
  });

  it('does not take near misses for personal data: a bad IBAN checksum, a failing Luhn, an unknown issuer, a run of digits', () => {
    expect(kinds('DE89 3704 0044 0532 0130 01')).toEqual([]);
    expect(kinds('4111 1111 1111 1112')).toEqual([]);
    expect(kinds('9999 9999 9999 9995')).toEqual([]);
    expect(kinds('order 1234567890 shipped in 2026-11-25 at 10:00')).toEqual([]);
    expect(kinds('not an email: a@b, @example.com, user@localhost')).toEqual([]);
  });

  it('reads national numbers in the region the policy names, and keeps one kind where finds overlap', () => {
    const de = toPrivacy({ rules: [{ kinds: ['phone'], action: 'redact' }], phone_region: 'DE' }, '/tmp', 'p.yaml');
    expect(detect('ruf an: 030 901820', de).map((f) => f.kind)).toEqual(['phone']);
    expect(detect('ruf an: 030 901820', policy)).toEqual([]);
    // An IBAN's digits are not also read as a card or a phone number.
    expect(kinds('IBAN DE89370400440532013000')).toEqual([['iban', 'DE89370400440532013000']]);
  });
});
