// The kernel the daemon loads after its pid lock (daemon/aosd-run.ts and all it imports, packages
// included) as one CommonJS bundle, run from V8's code cache by daemon/kernel-code.ts: loading it
// from tsc's output meant ~640 ES modules and their packages' through node's ES module loader,
// resolved, read and compiled at every start (~1 s of a ~1.7 s `aos kernel start`), with no code
// cache for ES modules on Node 20. Writes, in --outdir (dist/daemon):
//   aosd-run.cjs   the module function (scripts/bundle-wrap.mjs), ending with its build id
// Each module keeps the import.meta.url of its own file in dist/ (resolved beside the bundle when it
// runs, wherever the package is installed), so that what it finds beside itself (the channel
// adapters' programs, the unit package reader, undici for the HTTP thread) it finds where tsc put
// it. Native packages stay outside (required from node_modules as tsc's output does). A warning is
// a failure: a package that reads import.meta would read an empty object in CommonJS.
// The tests' daemons run the same bundle made from the checkout (--urls source: each module's
// import.meta.url its source file's, as scripts/bundle-daemon.mjs makes theirs; test/global-setup.ts).
//   node scripts/bundle-kernel.mjs [--outdir dist/daemon] [--urls dist|source]
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { wrapForLoader } from './bundle-wrap.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { outdir: { type: 'string' }, urls: { type: 'string', default: 'dist' } } });
if (values.urls !== 'dist' && values.urls !== 'source')
  throw new Error(`bundle-kernel: --urls is dist or source, not ${values.urls}`);
const outdir = path.resolve(values.outdir ?? path.join(root, 'dist', 'daemon'));

/**
 * Each of the checkout's modules with import.meta.url its file's in dist/, made when read (aosModuleUrl,
 * the banner's), or its source file's URL.
 */
const moduleUrls = {
  name: 'module-urls',
  setup(build) {
    build.onLoad({ filter: /\.tsx?$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const rel = path
        .relative(root, args.path)
        .replace(/\.tsx?$/, '.js')
        .split(path.sep)
        .join('/');
      const source = await readFile(args.path, 'utf8');
      const url =
        values.urls === 'dist' ? `aosModuleUrl(${JSON.stringify(rel)})` : JSON.stringify(pathToFileURL(args.path).href);
      return {
        contents: source.replaceAll('import.meta.url', url),
        loader: args.path.endsWith('x') ? 'tsx' : 'ts',
      };
    });
  },
};

const outfile = path.join(outdir, 'aosd-run.cjs');
const result = await build({
  entryPoints: [path.join(root, 'daemon', 'aosd-run.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Native code, loaded by require() from the package's node_modules.
  external: ['better-sqlite3'],
  // No import() left in the bundle: on Node 20 an import() in a script made from a code cache fails
  // ("A dynamic import callback was not specified": the OTLP exporter's import('http') did, at its
  // first export). A package's import() of a built-in or an optional package becomes a require().
  supported: { 'dynamic-import': false },
  // The bundle sits in dist/daemon: dist/ is its parent.
  banner: {
    js: "var aosModuleUrl = (file) => require('node:url').pathToFileURL(require('node:path').join(__dirname, '..', file)).href;",
  },
  // Names as each module has them (a class's name, a function's), not as a bundle renames clashes.
  keepNames: true,
  // Whitespace and syntax only: the source read and held at every start is smaller, names stay for stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  plugins: [moduleUrls],
  logLevel: 'silent',
});
if (result.warnings.length > 0) {
  const text = result.warnings.map((w) => `${w.location?.file ?? ''}:${w.location?.line ?? ''} ${w.text}`).join('\n');
  throw new Error(`bundle-kernel: esbuild warned (a bundle that would not run as its modules do):\n${text}`);
}
wrapForLoader(outfile);
