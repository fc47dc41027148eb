import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AosError, type Errno } from '../../../sys/errno.js';
import { splitVirtualPath, toVirtualPath } from '../../../drivers/fs/virtual-path.js';

const MAX = 4096;

function errnoOf(input: string, max = MAX): Errno | 'ok' {
  try {
    toVirtualPath(input, max);
    return 'ok';
  } catch (error) {
    if (error instanceof AosError) return error.code;
    throw error;
  }
}

describe('toVirtualPath', () => {
  it.each([
    ['notes/a.txt', '/notes/a.txt'],
    ['./notes//a.txt', '/notes/a.txt'],
    ['/notes/a.txt', '/notes/a.txt'],
    ['notes/./a.txt/', '/notes/a.txt'],
    ['', '/'],
    ['.', '/'],
    ['/', '/'],
    ['//./', '/'],
    ['a\\b', '/a/b'],
    ['....//', '/....'],
    ['...', '/...'],
    ['/etc/passwd', '/etc/passwd'],
    ['100%25.txt', '/100%25.txt'],
    ['caf\u00e9/\u{1f600}.md', '/caf\u00e9/\u{1f600}.md'],
  ])('normalises %j to %j', (input, expected) => {
    expect(toVirtualPath(input, MAX)).toBe(expected);
  });

  it.each([
    '..',
    '../secret.txt',
    'a/../../secret.txt',
    'a/../b',
    '/../secret.txt',
    '..\\secret.txt',
    'a\\..\\..\\secret.txt',
    '%2e%2e/secret.txt',
    '%2E%2e%2fsecret.txt',
    'a%2f..%2fsecret.txt',
    '%252e%252e/secret.txt',
    '.%2e/secret.txt',
    '\uff0e\uff0e/secret.txt',
    '.. /secret.txt',
  ])('rejects the traversal %j with EACCES', (input) => {
    expect(errnoOf(input)).toBe('EACCES');
    expect(() => toVirtualPath(input, MAX)).toThrow(/path escapes the workspace/);
  });

  it.each(['a\u0000b', 'a\nb', '\u0007bell', 'tab\there', 'del\u007f', 'c1\u0085x', 'lone\ud800'])(
    'rejects %j with EINVAL',
    (input) => {
      expect(errnoOf(input)).toBe('EINVAL');
    },
  );

  it('rejects paths over the length limit', () => {
    expect(errnoOf('a'.repeat(65), 64)).toBe('EINVAL');
    expect(errnoOf('a'.repeat(64), 64)).toBe('ok');
    expect(errnoOf('\u00e9'.repeat(40), 64)).toBe('EINVAL');
  });

  it('rejects a name over 255 bytes', () => {
    expect(errnoOf(`dir/${'x'.repeat(256)}`)).toBe('EINVAL');
    expect(errnoOf(`dir/${'x'.repeat(255)}`)).toBe('ok');
    expect(errnoOf('\u00e9'.repeat(128))).toBe('EINVAL');
  });

  it('quotes control characters escaped in messages', () => {
    expect(() => toVirtualPath('a\u0000b', MAX)).toThrow('"a\\u0000b"');
  });

  it('returns canonical paths or throws AosError for any input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (input) => {
        let result: string;
        try {
          result = toVirtualPath(input, 100);
        } catch (error) {
          return error instanceof AosError;
        }
        const names = splitVirtualPath(result);
        return (
          result.startsWith('/') &&
          !result.includes('//') &&
          (result === '/' || !result.endsWith('/')) &&
          !result.includes('\\') &&
          names.every((name) => name !== '.' && name !== '..')
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', '.', '', '...', 'x y', '%41'), { maxLength: 8 }), (parts) => {
        const once = toVirtualPath(parts.join('/'), MAX);
        return toVirtualPath(once, MAX) === once;
      }),
    );
  });
});

describe('splitVirtualPath', () => {
  it('splits into names', () => {
    expect(splitVirtualPath('/')).toEqual([]);
    expect(splitVirtualPath('/a/b')).toEqual(['a', 'b']);
  });
});
