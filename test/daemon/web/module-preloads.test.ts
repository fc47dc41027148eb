import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStatic } from '../../../daemon/web/static-files.js';
import { moduleGraph, PRELOADS_MARK, withModulePreloads } from '../../../daemon/web/module-preloads.js';
import { ROOT } from '../../helpers/cli.js';

const sources: Record<string, string> = {
  '/app.js': [
    "import { a } from './a.js';",
    'import {',
    '  b,',
    '  c,',
    "} from './b.js';",
    "import './side.js';",
    "/** @typedef {import('./typed.js').T} T */",
    "const later = () => import('./lazy.js');",
    "import { gone } from './missing.js';",
  ].join('\n'),
  '/a.js': "export { x } from './sub/x.js';\nimport { b } from './b.js';",
  '/b.js': "import { a } from './a.js';\nexport const b = 1;",
  '/side.js': '',
  '/sub/x.js': "import { y } from '../y.js';\nexport const x = 'import \"./not.js\"';",
  '/y.js': '',
  '/typed.js': '',
  '/lazy.js': '',
  '/not.js': '',
};
const source = (url: string): string | undefined => sources[url];

describe('the page preloads its whole module graph', () => {
  it('follows static imports at any depth, multi-line, side-effect and re-exports, once each, cycles included', () => {
    expect(moduleGraph('/app.js', source)).toEqual(['/a.js', '/b.js', '/side.js', '/sub/x.js', '/y.js']);
  });

  it('puts one link per module at the mark, and leaves a page without the mark alone', () => {
    const html = `<head>\n  ${PRELOADS_MARK}\n</head>`;
    const out = withModulePreloads(html, '/app.js', source);
    expect(out.match(/<link rel="modulepreload" href="[^"]+">/g)).toHaveLength(5);
    expect(out).not.toContain(PRELOADS_MARK);
    expect(withModulePreloads('<head></head>', '/app.js', source)).toBe('<head></head>');
  });

  it('the served index.html lists every module app.js reaches (found here with a plainer reading of the files)', () => {
    const files = loadStatic(path.join(ROOT, 'web'));
    const text = (url: string) => files.get(url)?.body.toString('utf8');
    const reached = new Set<string>();
    const visit = (url: string): void => {
      for (const [, spec] of (text(url) ?? '').matchAll(/from '\.\/([^']+)'/g)) {
        const target = `/${spec}`;
        if (reached.has(target)) continue;
        reached.add(target);
        visit(target);
      }
    };
    visit('/app.js');
    const html = text('/index.html') ?? '';
    const listed = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((m) => m[1]);
    expect(reached.size).toBeGreaterThan(15);
    expect(new Set(listed)).toEqual(reached);
    expect(text('/')).toBe(html);
  });
});
