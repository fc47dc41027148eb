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

  it('lists only files the server serves: a spec climbing out of web/, or one spelt as markup, names nothing', () => {
    const hostile: Record<string, string> = {
      '/app.js': [
        "import '../../etc/passwd';",
        "import './../../../daemon/aosd.js';",
        "import './x.js\"><script src=//evil>';",
        "import './%2e%2e/secret.js';",
        "import { ok } from './ok.js';",
      ].join('\n'),
      '/ok.js': '',
      '/etc/passwd': 'root:x:0:0',
    };
    const graph = moduleGraph('/app.js', (url) => hostile[url]);
    // '../../etc/passwd' from /app.js is /etc/passwd only as a key of what is served: here one is, so it shows
    // how a path is resolved — within the served map, never joined to a directory on disk.
    expect(graph).toEqual(['/etc/passwd', '/ok.js']);
    const html = withModulePreloads(PRELOADS_MARK, '/app.js', (url) => hostile[url]);
    expect(html).not.toMatch(/<script|evil|%2e/);
    // The real page: every preload is a file under web/ (the server's map holds nothing else).
    const files = loadStatic(path.join(ROOT, 'web'));
    const listed = [...(files.get('/')?.body.toString('utf8') ?? '').matchAll(/modulepreload" href="([^"]+)"/g)];
    for (const [, href] of listed) expect(files.has(href as string), href).toBe(true);
  });

  it("a served file's name is only ever an href: markup and replacement patterns stay text", () => {
    // A quote cannot be in a spec (it ends it); the rest of what a served name could hold can.
    const odd: Record<string, string> = {
      '/app.js': [
        "import './t><script>x<\\/script>.js';",
        "import './d$`.js';",
        "import './e$&.js';",
        "import './a&b.js';",
        `import './q".js';`,
      ].join('\n'),
      '/t><script>x<\\/script>.js': '',
      '/d$`.js': '',
      '/e$&.js': '',
      '/a&b.js': '',
      '/q".js': '',
      '/q': '',
    };
    const page = `<head>\n  ${PRELOADS_MARK}\n</head>\n<body>tail</body>`;
    const html = withModulePreloads(page, '/app.js', (url) => odd[url]);
    const hrefs = [...html.matchAll(/<link rel="modulepreload" href="([^"]*)">/g)].map((m) => m[1]);
    expect(hrefs).toEqual(['/t&gt;&lt;script&gt;x&lt;\\/script&gt;.js', '/d$`.js', '/e$&amp;.js', '/a&amp;b.js', '/q']);
    // Nothing but the links and the page around them: no tag opened, the head not copied in by `$\``.
    expect(html.match(/</g)).toHaveLength(hrefs.length + 4);
    expect(html.split('<head>')).toHaveLength(2);
    expect(html.endsWith('</head>\n<body>tail</body>')).toBe(true);
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
