/**
 * Whether two globs can name one path (kernel/units/glob-overlap.ts), which the trigger graph asks
 * of a watch against a grant: never "no" where some path matches both (checked against compileGlob
 * on generated globs and paths), and "no" where the paths cannot meet.
 */
import { describe, expect, it } from 'vitest';
import { coversWorkspace, globsOverlap, headOf, namesEveryUnit } from '../../../kernel/units/glob-overlap.js';
import { compileGlob } from '../../../sys/capabilities.js';
import { seededRandom } from '../../helpers/seeded-random.js';

describe('globsOverlap', () => {
  it.each([
    ['/inbox/**', '/inbox/*.md', true],
    ['/inbox/**', '/inbox', true],
    ['/notes/*.md', '/out/**', false],
    ['/a/*.md', '/a/*.txt', false],
    ['/a/x*', '/a/*y', true],
    ['/a/*/c', '/a/b/*', true],
    ['/a/*', '/a/b/c', false],
    ['/**', '/anything/at/all', true],
    ['/**/*.pem', '/keys/k.pem', true],
    ['/w/u1-u2/*.txt', '/w/u1-u2/**', true],
    ['/w/u1-u2/*.txt', '/w/u1-u3/**', false],
    ['/a.txt', '/a.txt', true],
    ['/a.txt', '/b.txt', false],
  ])('%s and %s: %s', (a, b, expected) => {
    expect(globsOverlap(a, b)).toBe(expected);
    expect(globsOverlap(b, a)).toBe(expected);
  });

  it('never says no where a path matches both', () => {
    const random = seededRandom(47);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const parts = ['a', 'b', 'ab', 'x.md', 'y.txt', '*', '**', '*.md', 'a*', '*b'];
    const names = ['a', 'b', 'ab', 'x.md', 'y.txt', 'ab.md', 'bb'];
    const glob = (): string => `/${Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(parts)).join('/')}`;
    for (let i = 0; i < 3_000; i++) {
      const a = glob();
      const b = glob();
      const path = `/${Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(names)).join('/')}`;
      if (compileGlob(a).test(path) && compileGlob(b).test(path))
        expect(globsOverlap(a, b), `${a} ${b} both match ${path}`).toBe(true);
      if (globsOverlap(a, b)) {
        const [ha, hb] = [headOf(a), headOf(b)];
        expect(ha.startsWith(hb) || hb.startsWith(ha)).toBe(true);
      }
    }
  });

  it('knows a grant of everything, which tells nothing', () => {
    expect(coversWorkspace(null)).toBe(true);
    expect(coversWorkspace('/**')).toBe(true);
    expect(coversWorkspace('**')).toBe(true);
    expect(coversWorkspace('/out/**')).toBe(false);
    expect(namesEveryUnit('*')).toBe(true);
    expect(namesEveryUnit('report-*')).toBe(false);
  });
});
