/**
 * The layer rule is generated from one ordered list (.dependency-cruiser.cjs). Run against a house
 * built of every layer, it must refuse each import that goes up — a type-only one too — and each
 * that goes sideways where a layer's `sees` forbids it, and accept the rest.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const run = promisify(execFile);
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
const config = createRequire(import.meta.url)(CONFIG) as { forbidden: { name: string }[] };

/** The layers, bottom first, as the generated rules name them. */
const layers = config.forbidden
  .map((r) => /^(.+)-imports-only-below$/.exec(r.name)?.[1])
  .filter((n): n is string => !!n);
const dirOf = (layer: string): string => (layer === 'kernel' ? 'kernel' : layer);
/** The file a layer's neighbours import: the store and the kernel are seen through their interfaces. */
const seen = (layer: string): string => (layer === 'kernel/store' || layer === 'kernel' ? 'api' : 'b');
const fileOf = (layer: string, name: string): string =>
  path.join(dirOf(layer), `${name === 'b' ? seen(layer) : name}.ts`);

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

let dir = '';
let violations: Violation[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-layers-'));
  // Every layer holds b.ts (imported), up.ts (a type-only import of the layer above) and
  // down.ts (a value import of every layer below).
  for (const [i, layer] of layers.entries()) {
    await mkdir(path.join(dir, dirOf(layer)), { recursive: true });
    await writeFile(path.join(dir, fileOf(layer, 'b')), 'export const b = 1;\nexport type B = number;\n');
    const above = layers[i + 1];
    const rel = (to: string): string => {
      const r = path.relative(path.dirname(fileOf(layer, 'x')), to).replace(/[.]ts$/, '.js');
      return r.startsWith('.') ? r : `./${r}`;
    };
    await writeFile(
      path.join(dir, fileOf(layer, 'up')),
      above ? `import type { B } from '${rel(fileOf(above, 'b'))}';\nexport type U = B;\n` : 'export {};\n',
    );
    const downs = layers
      .slice(0, i)
      .map((l, j) => `import { b as b${j} } from '${rel(fileOf(l, 'b'))}';\nexport const d${j} = b${j};\n`);
    await writeFile(path.join(dir, fileOf(layer, 'down')), downs.join('') || 'export {};\n');
  }
  // The store's implementation and its opener, and who reaches for them.
  await writeFile(path.join(dir, 'kernel/store/impl.ts'), 'export const impl = 1;\n');
  await writeFile(path.join(dir, 'kernel/store/open.ts'), "export { impl } from './impl.js';\n");
  await writeFile(
    path.join(dir, 'kernel/proc/sneak.ts'),
    "import { impl } from '../store/impl.js';\nexport const s = impl;\n",
  );
  await writeFile(
    path.join(dir, 'kernel/loop/sneak.ts'),
    "import { impl } from '../store/open.js';\nexport const s = impl;\n",
  );
  await writeFile(
    path.join(dir, 'kernel/kernel.ts'),
    "import { impl } from './store/open.js';\nexport const r = impl;\n",
  );
  // The kernel behind its door, and the daemon's files that reach for it: its composition opens it.
  await writeFile(path.join(dir, 'daemon/sneak.ts'), "import { r } from '../kernel/kernel.js';\nexport const s = r;\n");
  await writeFile(
    path.join(dir, 'daemon/aosd-run.ts'),
    "import { r } from '../kernel/kernel.js';\nexport const s = r;\n",
  );
  await writeFile(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true } }),
  );
  const tops = [...new Set(layers.map((l) => l.split('/')[0] ?? l))];
  // depcruise exits non-zero when it finds violations: its report is on stdout either way.
  const stdout = await run(
    path.join(ROOT, 'node_modules', '.bin', 'depcruise'),
    [...tops, '--config', CONFIG, '--output-type', 'json'],
    { cwd: dir, encoding: 'utf8' },
  ).then(
    (out) => out.stdout,
    (error: { stdout?: string }) => error.stdout ?? '',
  );
  violations = (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const layerOfFile = (file: string): string => {
  const parts = file.split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : (parts[0] ?? '');
};

describe('the generated layer rule', () => {
  it('orders the top level and the kernel core, bottom first', () => {
    expect(layers).toEqual([
      'sys',
      'drivers',
      'syscalls',
      'protocol',
      'kernel/store',
      'kernel/sched',
      'kernel/cluster',
      'kernel/context',
      'kernel/ipc',
      'kernel/proc',
      'kernel/upkeep',
      'kernel/cost',
      'kernel/loop',
      'kernel/safety',
      'kernel/units',
      'kernel/channels',
      'kernel/tapes',
      'kernel',
      'client',
      'daemon',
      'cmd',
    ]);
  });

  it('refuses every import that goes up, a type-only one included', () => {
    for (const [i, layer] of layers.slice(0, -1).entries()) {
      const hit = violations.find((v) => v.from === fileOf(layer, 'up'));
      expect(hit, `${layer} importing the types of ${layers[i + 1]}`).toBeDefined();
      expect(hit?.to).toBe(fileOf(layers[i + 1] ?? '', 'b'));
    }
    expect(violations.some((v) => v.from === fileOf('cmd', 'up'))).toBe(false);
  });

  it('refuses what a layer may not see below it, and accepts the rest', () => {
    const downs = violations.filter((v) => v.from.endsWith('/down.ts'));
    const refused = new Set(downs.map((v) => `${layerOfFile(v.from)} -> ${layerOfFile(v.to)}`));
    // The CLI sees the kernel only over the socket; the client never loads it; drivers see only sys.
    for (const pair of [
      'cmd -> daemon',
      'cmd -> kernel',
      'cmd -> kernel/proc',
      'cmd -> drivers',
      'client -> kernel',
      'protocol -> drivers',
      'daemon -> kernel/proc',
      'daemon -> kernel/store',
    ]) {
      expect(refused.has(pair), pair).toBe(true);
    }
    // A syscall names a driver's shapes but never calls one.
    expect(refused.has('syscalls -> drivers')).toBe(true);
    for (const pair of [
      'drivers -> sys',
      'cmd -> client',
      'cmd -> protocol',
      'daemon -> kernel',
      'daemon -> client',
      'kernel -> kernel/loop',
      'kernel/loop -> kernel/proc',
      'kernel/proc -> kernel/store',
    ]) {
      expect(refused.has(pair), pair).toBe(false);
    }
  });

  it('lets only the composition root open the store, and everyone above see it only through its interface', () => {
    const from = (file: string): string[] => violations.filter((v) => v.from === file).map((v) => v.rule.name);
    expect(from('kernel/proc/sneak.ts')).toEqual(['kernel/store-only-through-its-interface']);
    expect(from('kernel/loop/sneak.ts')).toEqual(['kernel/store-only-through-its-interface']);
    expect(from('kernel/kernel.ts')).toEqual([]);
  });

  it('lets the daemon see the kernel only through its door, and its composition open it', () => {
    const from = (file: string): string[] => violations.filter((v) => v.from === file).map((v) => v.rule.name);
    expect(from('daemon/sneak.ts')).toEqual(['kernel-only-through-its-interface']);
    expect(from('daemon/aosd-run.ts')).toEqual([]);
  });
});
