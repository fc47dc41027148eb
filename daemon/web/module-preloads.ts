/**
 * The page's module graph, flattened: index.html names only its entry module, and the browser would
 * find each level of imports only once the level above has arrived and been parsed (a round trip a
 * level: 150–300 ms on a small machine). Served, the page lists every module the entry imports at any
 * depth as `<link rel="modulepreload">`, so all of them are fetched at once. Computed from the files
 * themselves when they are loaded, so the list cannot go stale when a module is added.
 */
import path from 'node:path';

/** Static imports of a module (`import … from './x.js'`, `import './x.js'`), relative ones only; `import(…)` in comments and typedefs is not one. */
const IMPORT = /^\s*(?:import|export)\s(?:[^'";]*?\sfrom\s*)?['"](\.{1,2}\/[^'"]+)['"]/gm;

/** Every module `entry` imports at any depth, by URL path, breadth first (the entry itself excluded). */
export function moduleGraph(entry: string, source: (url: string) => string | undefined): string[] {
  const seen = new Set([entry]);
  const order: string[] = [];
  const queue = [entry];
  for (let url = queue.shift(); url !== undefined; url = queue.shift()) {
    const text = source(url);
    if (text === undefined) continue;
    for (const match of text.matchAll(IMPORT)) {
      const target = path.posix.join(path.posix.dirname(url), match[1] as string);
      if (seen.has(target) || source(target) === undefined) continue;
      seen.add(target);
      order.push(target);
      queue.push(target);
    }
  }
  return order;
}

/** Where index.html says its preloads go. */
export const PRELOADS_MARK = '<!-- module preloads -->';

const ATTRIBUTE_ESCAPES: Record<string, string> = { '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;' };

/** index.html with the entry's module graph as preload links at its mark (unchanged without one). */
export function withModulePreloads(html: string, entry: string, source: (url: string) => string | undefined): string {
  if (!html.includes(PRELOADS_MARK)) return html;
  // A file's name is text in an attribute, whatever it holds; and inserted by a function, so that
  // `$&` or `$'` in one is not read as a replacement pattern.
  const href = (url: string): string => url.replace(/[&"<>]/g, (c) => ATTRIBUTE_ESCAPES[c] ?? c);
  const links = moduleGraph(entry, source).map((url) => `<link rel="modulepreload" href="${href(url)}">`);
  return html.replace(PRELOADS_MARK, () => links.join('\n  '));
}
