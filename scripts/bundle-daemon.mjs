// The daemon's room (daemon/aosd.ts, policy-check.ts, start-check.ts) bundled for the tests, so that
// each daemon a test starts loads one file instead of compiling its hundreds of modules through tsx's
// loader (~1.5 s of CPU per start, hundreds of starts a run). It runs as from source, not as dist/:
// every module's import.meta.url is its source file's URL, so whatever it finds beside itself
// (channel adapters' programs, the unit package reader, the package root) it finds where the
// checkout has it, and runs it through tsx as from source. Packages stay external (node_modules as
// node resolves them); aosd-run.ts stays a chunk of its own, loaded after the pid lock as from source.
//   node scripts/bundle-daemon.mjs --outdir test-artifacts/cli-<pid>/daemon
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
if (!values.outdir) throw new Error('bundle-daemon: --outdir is required');

/** Each of the checkout's TypeScript modules with import.meta.url its own source file's URL. */
const sourceUrls = {
  name: 'source-urls',
  setup(build) {
    build.onLoad({ filter: /\.tsx?$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = await readFile(args.path, 'utf8');
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return { contents: source.replaceAll('import.meta.url', url), loader: args.path.endsWith('x') ? 'tsx' : 'ts' };
    });
  },
};

await build({
  // And the programs the daemon starts from source: the unit package reader (unit-stage.ts, for each
  // package staged) and the channel adapters (drivers/channels/programs.ts): ~0.5 s of CPU a start through tsx.
  entryPoints: [
    ...['aosd', 'policy-check', 'start-check', 'unit-stage-main'].map((name) => ({
      in: path.join(root, 'daemon', `${name}.ts`),
      out: name,
    })),
    ...['telegram', 'slack', 'email', 'discord'].map((name) => ({
      in: path.join(root, 'drivers', 'channels', `${name}-main.ts`),
      out: `${name}-main`,
    })),
  ],
  outdir: path.resolve(values.outdir),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  // Names as each module has them (a class's name, a function's), not as a bundle renames clashes.
  keepNames: true,
  plugins: [sourceUrls],
  logLevel: 'warning',
});
