// The CLI as CommonJS bundles run from V8's code cache, so that a verb's start-up resolves no
// module graph, compiles nothing it compiled last time, skips the ES module loader (~8 ms), and
// reads only the code it runs: bench/cli.ts holds each verb to ≤ 1.5 × `node -e 0`. Writes, in
// --outdir (dist/cmd):
//   aos-cli.cjs         the whole CLI (help, --version, completion, a mistyped verb), as a module
//                       function ending with its build id (a hash of its content)
//   aos-cli.<verb>.cjs  the same CLI with one verb in its table (cmd/verbs.ts), for `aos <verb>`:
//                       a third of the whole, and its code cache a third too
//   aos.cjs             the `aos` command: scripts/cli-loader.cjs, which picks the bundle and runs
//                       it from its cache
//   aos-cli.cache       the whole CLI's code cache, made by one run of `aos --help` (each verb
//                       writes its own, aos-cli.<verb>.cache, at its first run)
//   aos-cli.help-index  what `aos --help` lists of each verb (cmd/help-index.ts), made by the same
//                       run: later ones list the verbs without loading them
//   aos.js              `node dist/cmd/aos.js` for those who type it: an ES module that loads aos.cjs
// The daemon and `aos top`'s Ink screens stay tsc's files beside them.
//   node scripts/bundle-cli.mjs [--outdir dist/cmd] [--metafile meta.json]
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { wrapForLoader } from './bundle-wrap.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { outdir: { type: 'string' }, metafile: { type: 'string' } } });
const outdir = path.resolve(values.outdir ?? path.join(root, 'dist', 'cmd'));
const verbsFile = path.join(root, 'cmd', 'verbs.ts');

/**
 * No built-in loads before the code that uses it asks for it: not at start-up, not when the module
 * importing it is initialised (`aos --help` initialises every verb's modules; `aos kernel status`
 * would load readline and child_process for its siblings), but at its first property read. Built-ins
 * node has loaded before any script are handed over at once, and so are those that are functions
 * (events, stream: a class must stay one).
 *
 * esbuild hands a bundled CommonJS module to an importer through __toESM, which copies each of its
 * own properties as a getter (fs has ~100; 17 imports cost ~0.9 ms of `aos ps`'s start): every
 * stand-in is an object with no own properties whose prototype is the module — or, until the
 * module is loaded, a proxy that loads it — so nothing is copied and every name reads through.
 */
const LOADED_AT_BOOT = new Set(['buffer', 'events', 'fs', 'module', 'path', 'process', 'url', 'util']);
const requireHere = createRequire(import.meta.url);

function standIn(specifier) {
  const name = JSON.stringify(specifier);
  if (typeof requireHere(specifier) === 'function') return `module.exports = require(${name});`;
  if (LOADED_AT_BOOT.has(specifier.slice('node:'.length))) return `module.exports = Object.create(require(${name}));`;
  return `let real;
const load = () => (real ??= require(${name}));
module.exports = Object.create(new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() }));`;
}

const builtinsOnDemand = {
  name: 'builtins-on-demand',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) => ({
      path: args.path,
      ...(args.namespace === 'builtin' ? { external: true } : { namespace: 'builtin' }),
    }));
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({ contents: standIn(args.path), loader: 'js' }));
  },
};

/** The verb table's entries: one line each, `  name: async () => (await import('./x.js')).xVerb,`. */
const TABLE_LINE = /^ {2}([a-z][a-z-]*): async \(\) => .*$/gm;
const tableSource = readFileSync(verbsFile, 'utf8');
const verbs = [...tableSource.matchAll(TABLE_LINE)].map((m) => m[1]);
if (verbs.length === 0) throw new Error(`bundle-cli: found no verb lines in ${verbsFile}`);
/** Verbs that describe every other verb: they run from the whole CLI. */
const WHOLE_TABLE = new Set(['completion']);

/** cmd/verbs.ts with only `verb`'s line in its table, so that the bundle holds that verb's modules alone. */
const oneVerbTable = (verb) => ({
  name: 'one-verb-table',
  setup(build) {
    build.onLoad({ filter: /[\\/]cmd[\\/]verbs\.ts$/ }, () => ({
      contents: tableSource.replace(TABLE_LINE, (line, name) => (name === verb ? line : '')),
      loader: 'ts',
    }));
  },
});

async function bundle(file, plugins) {
  const outfile = path.join(outdir, file);
  const result = await build({
    entryPoints: [path.join(root, 'cmd', 'aos.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // Loaded by `aos top` and `aos mcp` alone, when they run, from tsc's output beside the bundle
    // (through cmd/import-beside.ts).
    external: ['./top/run.js', './mcp/serve.js'],
    plugins: [builtinsOnDemand, ...plugins],
    // import.meta.url is made when read, not at every start: a first URL costs ~0.4 ms (node's URL
    // parser starting), and a verb run with AOS_WORKSPACE set never reads it.
    define: { 'import.meta.url': 'aosBundle.url' },
    banner: { js: "var aosBundle = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
    sourcemap: true,
    metafile: true,
    // Whitespace and syntax only (names stay, for stack traces): the source read and held at every start is a quarter smaller.
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
  });
  wrapForLoader(outfile);
  return result;
}

// Bundles and caches of the last build go with it (a verb may have left the table).
mkdirSync(outdir, { recursive: true });
for (const file of readdirSync(outdir, { withFileTypes: true })) {
  if (file.isFile() && /^aos-cli\.((.+\.)?(cjs|cjs\.map|cache)|help-index)$/.test(file.name))
    rmSync(path.join(outdir, file.name), { force: true });
}
const [whole] = await Promise.all([
  bundle('aos-cli.cjs', []),
  ...verbs.filter((verb) => !WHOLE_TABLE.has(verb)).map((verb) => bundle(`aos-cli.${verb}.cjs`, [oneVerbTable(verb)])),
]);
if (values.metafile) writeFileSync(values.metafile, JSON.stringify(whole.metafile));

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

// The whole CLI's code cache: what one `aos --help` compiled (every verb's declaration, the help), and the help's index.
const env = { ...process.env };
delete env.NODE_OPTIONS;
const made = spawnSync(process.execPath, [loader, '--help'], {
  cwd: outdir,
  env,
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (made.status !== 0) throw new Error(`bundle-cli: \`aos --help\` from the new bundle exited ${made.status}`);
