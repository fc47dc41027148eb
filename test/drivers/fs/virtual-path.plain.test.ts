/**
 * toVirtualPath's shortcut for plain names (printable ASCII without `%`) must refuse exactly what
 * the full check (every decoding and NFKC form) refuses: compared here with the full check itself.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AosError } from '../../../sys/errno.js';
import { toVirtualPath } from '../../../drivers/fs/virtual-path.js';

const SEPARATORS = /[/\\]/;

// The check as it was before the shortcut: every decoded and normalised form of each name.
function fullCheckRefuses(input: string): boolean {
  return input.split(SEPARATORS).some((segment) => {
    const variants = new Set<string>([segment, segment.normalize('NFKC')]);
    let decoded = segment;
    for (let round = 0; round < 3; round += 1) {
      let next: string;
      try {
        next = decodeURIComponent(decoded);
      } catch {
        next = decoded.replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      }
      if (next === decoded) break;
      decoded = next;
      variants.add(decoded);
      variants.add(decoded.normalize('NFKC'));
    }
    return [...variants].some((v) => v.split(SEPARATORS).some((part) => part.trim() === '..'));
  });
}

function refuses(input: string): boolean {
  try {
    toVirtualPath(input, 4096);
    return false;
  } catch (error) {
    if (error instanceof AosError && error.code === 'EACCES') return true;
    if (error instanceof AosError) return false;
    throw error;
  }
}

// Pieces that spell `..` in some layer: dots, escapes (also double and malformed ones), fullwidth and one-dot leaders.
const tricky = fc.constantFrom(
  '.',
  '..',
  ' ',
  '/',
  '\\',
  '%',
  '%2e',
  '%2E',
  '%25',
  '%2f',
  '%5c',
  '%e',
  '2e',
  'a',
  '-',
  '\uff0e',
  '\u2024',
);

describe('toVirtualPath plain-name shortcut', () => {
  it('refuses exactly what the full check refuses', () => {
    fc.assert(
      fc.property(fc.array(tricky, { maxLength: 8 }), (chars) => {
        const input = chars.join('');
        expect(refuses(input)).toBe(fullCheckRefuses(input));
      }),
      { numRuns: 20_000 },
    );
  });

  it.each(['..', ' .. ', 'a/ ../b', '.. ', 'a\\..'])('refuses the plain spelling %j', (input) => {
    expect(refuses(input)).toBe(true);
  });
});
