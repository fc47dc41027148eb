/**
 * Whether two of the policy's globs can name one path: a watch's `inbox/**` and a grant's
 * `fs.write:/inbox/*.md` can, `notes/*.md` and `/out/**` cannot. The trigger graph (trigger-graph.ts)
 * asks it of what one unit watches against what another's runs may write. Globs as compileGlob
 * reads them: `*` within a segment, `**` across (and none: `/a/**` covers `/a`). A segment holding
 * `**` among other characters is taken as `**`: it may say yes where the paths could not meet,
 * never no where they could.
 */
import { compileGlob } from '../../sys/capabilities.js';

/** Each segment; a `**` anywhere in one makes it `**`. */
function segments(glob: string): string[] {
  return glob
    .split('/')
    .filter((s) => s !== '')
    .map((s) => (s.includes('**') ? '**' : s));
}

/** Two one-segment patterns (`*` any run of characters) that some one name matches. */
function segmentsMeet(p: string, q: string): boolean {
  const seen = new Map<number, boolean>();
  const at = (i: number, j: number): boolean => {
    const key = i * (q.length + 1) + j;
    const known = seen.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === p.length && j === q.length) result = true;
    else if (p[i] === '*') result = at(i + 1, j) || (j < q.length && at(i, j + 1));
    else if (q[j] === '*') result = at(i, j + 1) || (i < p.length && at(i + 1, j));
    else result = i < p.length && j < q.length && p[i] === q[j] && at(i + 1, j + 1);
    seen.set(key, result);
    return result;
  };
  return at(0, 0);
}

/** Whether some path matches both globs. */
export function globsOverlap(a: string, b: string): boolean {
  const x = segments(a);
  const y = segments(b);
  const seen = new Map<number, boolean>();
  const at = (i: number, j: number): boolean => {
    const key = i * (y.length + 1) + j;
    const known = seen.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === x.length && j === y.length) result = true;
    else if (x[i] === '**') result = at(i + 1, j) || (j < y.length && at(i, j + 1));
    else if (y[j] === '**') result = at(i, j + 1) || (i < x.length && at(i + 1, j));
    else result = i < x.length && j < y.length && segmentsMeet(x[i] as string, y[j] as string) && at(i + 1, j + 1);
    seen.set(key, result);
    return result;
  };
  return at(0, 0);
}

/**
 * What every path a glob matches begins with: its text up to the directory of its first wildcard
 * (the whole of it when it has none). Two globs meet only where one's head is the other's or a
 * directory above it: a cheap test before globsOverlap.
 */
export function headOf(glob: string): string {
  const rooted = glob.startsWith('/') ? glob : `/${glob}`;
  const wild = rooted.indexOf('*');
  return wild === -1 ? rooted : rooted.slice(0, rooted.lastIndexOf('/', wild));
}

/** A grant's pattern that covers the whole workspace (`/**`, `/**\/*`): it tells nothing of where a run writes. */
export function coversWorkspace(pattern: string | null): boolean {
  if (pattern === null) return true;
  const glob = compileGlob(pattern.startsWith('/') ? pattern : `/${pattern}`);
  return glob.test('/aos-probe/any/depth.txt') && glob.test('/aos-probe.txt');
}

/** A `unit:` grant's pattern that names every unit (`*`, `**`): it tells nothing of which one a run starts. */
export function namesEveryUnit(pattern: string | null): boolean {
  return pattern === null || compileGlob(pattern).test('aos-probe-unit.any');
}
