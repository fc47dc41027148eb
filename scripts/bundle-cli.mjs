// The CLI as one CommonJS file run from V8's code cache, so that a verb's start-up resolves no
// module graph, compiles nothing it compiled last time, and skips the ES module loader (~8 ms):
// bench/cli.ts holds each verb to ≤ 1.5 × `node -e 0`. Writes, in --outdir (dist/cmd):
//   aos-cli.cjs    the bundle, ending with its build id (a hash of its content)
//   aos.cjs        the `aos` command: scripts/cli-loader.cjs, which runs the bundle from the cache
//   aos-cli.cache  the code cache, made by one run of `aos --help`
//   aos.js         `node dist/cmd/aos.js` for those who type it: an ES module that loads aos.cjs
// The daemon and `aos top`'s Ink screens stay tsc's files beside them.
//   node scripts/bundle-cli.mjs [--outdir dist/cmd] [--metafile meta.json]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { outdir: { type: 'string' }, metafile: { type: 'string' } } });
const outdir = path.resolve(values.outdir ?? path.join(root, 'dist', 'cmd'));
const bundle = path.join(outdir, 'aos-cli.cjs');

/**
 * A built-in loads when the module of ours that imports it is first initialised (each verb's
 * modules at that verb's run), never at start-up for all of them. A package's own require() of a
 * built-in runs when the package loads — commander's of child_process (~9 ms, with net and dgram)
 * at every start, for executable subcommands aos never has — so there it gets a stand-in that
 * loads the built-in at its first use. Built-ins node has loaded before any script stay direct.
 */
const LOADED_AT_BOOT = new Set(['buffer', 'events', 'fs', 'module', 'path', 'process', 'url', 'util']);

const builtinsOnDemand = {
  name: 'builtins-on-demand',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) => {
      if (args.namespace === 'builtin' || args.namespace === 'builtin-deferred') return { path: args.path, external: true };
      if (!args.importer.includes(`${path.sep}node_modules${path.sep}`)) return { path: args.path, namespace: 'builtin' };
      return LOADED_AT_BOOT.has(args.path.slice('node:'.length)) ? { path: args.path, external: true } : { path: args.path, namespace: 'builtin-deferred' };
    });
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
    build.onLoad({ filter: /.*/, namespace: 'builtin-deferred' }, (args) => ({
      contents: `let real;
const load = () => (real ??= require(${JSON.stringify(args.path)}));
module.exports = new Proxy(function deferred() {}, {
  get: (_, key) => load()[key],
  has: (_, key) => key in load(),
  apply: (_, self, args) => Reflect.apply(load(), self, args),
  construct: (_, args) => Reflect.construct(load(), args),
});`,
      loader: 'js',
    }));
  },
};

const result = await build({
  entryPoints: [path.join(root, 'cmd', 'aos.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Loaded by `aos top` and `aos mcp` alone, when they run, from tsc's output beside the bundle
  // (through cmd/import-beside.ts).
  external: ['./top/run.js', './mcp/serve.js'],
  plugins: [builtinsOnDemand],
  define: { 'import.meta.url': 'aosBundleUrl' },
  banner: { js: "var aosBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});
if (values.metafile) writeFileSync(values.metafile, JSON.stringify(result.metafile));

const code = readFileSync(bundle, 'utf8');
writeFileSync(bundle, `${code}//# aos-build=${createHash('sha256').update(code).digest('hex').slice(0, 32)}\n`);
const loader = path.join(outdir, 'aos.cjs');
copyFileSync(path.join(root, 'scripts', 'cli-loader.cjs'), loader);
const shim = path.join(outdir, 'aos.js');
rmSync(`${shim}.map`, { force: true });
writeFileSync(
  shim,
  `#!/usr/bin/env node
// \`node dist/cmd/aos.js\`: the CLI is aos.cjs beside this file. The \`aos\` command runs aos.cjs itself,
// without this ES module's start-up (~8 ms).
import { createRequire } from 'node:module';
createRequire(import.meta.url)('./aos.cjs');
`,
);
for (const file of [loader, shim]) chmodSync(file, 0o755);

// The code cache: what one `aos --help` compiled (every verb's registration, commander, the help).
rmSync(path.join(outdir, 'aos-cli.cache'), { force: true });
const env = { ...process.env };
delete env.NODE_OPTIONS;
const made = spawnSync(process.execPath, [loader, '--help'], { cwd: outdir, env, stdio: ['ignore', 'ignore', 'inherit'] });
if (made.status !== 0) throw new Error(`bundle-cli: \`aos --help\` from the new bundle exited ${made.status}`);
