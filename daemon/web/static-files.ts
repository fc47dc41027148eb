/**
 * The page itself: plain files under the package's web/ directory (no build step), read once at
 * the first request. Only files found there are served; a path is a key, never joined to a
 * directory, so nothing outside web/ can be named.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../sys/host/paths.js';
import { withModulePreloads } from './module-preloads.js';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticFile {
  type: string;
  body: Buffer;
}

/** Every servable file under `dir`, by URL path (`/index.html`, `/vendor/uPlot.iife.min.js`). */
export function loadStatic(dir: string = path.join(packageRoot(), 'web')): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (sub: string): void => {
    for (const entry of readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = path.posix.join(sub, entry.name);
      if (entry.isDirectory()) walk(rel);
      const type = TYPES[path.extname(entry.name)];
      if (entry.isFile() && type) files.set(`/${rel}`, { type, body: readFileSync(path.join(dir, rel)) });
    }
  };
  walk('');
  const index = files.get('/index.html');
  if (index) {
    // Every module app.js imports at any depth, preloaded at once (module-preloads.ts).
    const source = (url: string) => (url.endsWith('.js') ? files.get(url)?.body.toString('utf8') : undefined);
    const page = { ...index, body: Buffer.from(withModulePreloads(index.body.toString('utf8'), '/app.js', source)) };
    files.set('/index.html', page);
    files.set('/', page);
  }
  return files;
}
