// The CLI as one file, so that node resolves no module graph at start-up (bench/cli.ts: a verb
// must take ≤ 1.5 × `node -e 0`). It replaces tsc's dist/cmd/aos.js; the daemon and `aos top`'s
// Ink screens stay tsc's files beside it (same directory, so import.meta.url paths still hold).
//   node scripts/bundle-cli.mjs [--outfile dist/cmd/aos.js] [--metafile meta.json]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { outfile: { type: 'string' }, metafile: { type: 'string' } } });

/**
 * An ES module's imports are all hoisted to the top of the bundle, so every built-in any verb
 * uses (child_process, fs/promises, ...) would load at start-up. Through require() instead, a
 * built-in loads when the verb that needs it first runs.
 */
const builtinsOnDemand = {
  name: 'builtins-on-demand',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) =>
      args.namespace === 'builtin' || args.importer.includes(`${path.sep}node_modules${path.sep}`)
        ? { path: args.path, external: true }
        : { path: args.path, namespace: 'builtin' },
    );
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

const result = await build({
  entryPoints: [path.join(root, 'cmd', 'aos.ts')],
  outfile: values.outfile ?? path.join(root, 'dist', 'cmd', 'aos.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Loaded by `aos top` alone, when it runs, from tsc's output beside the bundle.
  external: ['./top/run.js', './mcp/serve.js'],
  plugins: [builtinsOnDemand],
  // require() for the built-ins above and for commander (CommonJS) inside an ES module.
  banner: { js: "import { createRequire as aosCreateRequire } from 'node:module';\nconst require = aosCreateRequire(import.meta.url);" },
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});
if (values.metafile) writeFileSync(values.metafile, JSON.stringify(result.metafile));
