/**
 * The kernel the daemon runs (aosd-run.ts and all it imports), loaded once the pid lock is held.
 *
 * Built, it is one CommonJS bundle beside this file (dist/daemon/aosd-run.cjs, made by
 * scripts/bundle-kernel.mjs) run from V8's code cache: from tsc's output a start resolved, read and
 * compiled ~640 ES modules and their packages' through node's ES module loader (~1 s of CPU of a
 * ~1.7 s `aos kernel start` here), and Node 20 keeps no code cache for ES modules. The cache lives
 * in the home (paths.kernelCode, 0600: what only the daemon's user may write, as its database),
 * headed by the bundle's build id (scripts/bundle-wrap.mjs) and its own digest: one that is missing,
 * of another build, damaged, or refused by V8 (another Node, other V8 flags) only makes the start
 * slower, and a fresh one is written once the kernel is ready (keep). From source, or a dist/
 * without the bundle: the kernel's ES modules as they are.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

type Kernel = typeof import('./aosd-run.js');

/**
 * Where the kernel came from: the bundle with its cache used, or compiled afresh (no cache of this
 * build; one refused, damaged or of another Node or other V8 flags, as NODE_OPTIONS=--max-old-space-size makes), or the modules.
 */
export type KernelSource = 'bundle, cache used' | 'bundle, no cache' | 'bundle, cache refused' | 'modules';

export interface KernelCode {
  kernel: Kernel;
  source: KernelSource;
  /** Write the cache of what has been compiled so far, unless the one used was good. */
  keep(): void;
}

const BUILD_MARK = '\n//# aos-build=';

type ModuleFunction = (
  exports: object,
  require: NodeJS.Require,
  module: { exports: object },
  filename: string,
  dirname: string,
) => void;

/**
 * The bundle beside this file (when built), else the modules. From source (a checkout's tests), the
 * tests' bundle of it (test/global-setup.ts names it: its modules' import.meta.url their sources')
 * with one cache beside it for all their daemons, or the modules when none is named.
 */
export async function loadKernel(cacheFile: string): Promise<KernelCode> {
  const fromSource = import.meta.url.endsWith('.ts');
  const bundle = fromSource
    ? process.env.AOS_TEST_KERNEL
    : path.join(path.dirname(fileURLToPath(import.meta.url)), 'aosd-run.cjs');
  if (bundle === undefined || bundle === '' || !existsSync(bundle))
    return { kernel: await import('./aosd-run.js'), source: 'modules', keep: () => undefined };
  if (fromSource) cacheFile = `${bundle}.code-cache`;
  // ASCII (bundle-wrap.mjs): read as latin1 it is V8's one-byte string, no decoding pass.
  const code = readFileSync(bundle, 'latin1');
  const buildId = code.slice(code.lastIndexOf(BUILD_MARK) + BUILD_MARK.length).trim();
  const cached = readCache(cacheFile, buildId);
  // The bundle holds no import() (bundle-kernel.mjs): it needs no loader of node's.
  const script = new vm.Script(code, { filename: bundle, cachedData: cached.data });
  const source: KernelSource =
    cached.data === undefined
      ? cached.damaged
        ? 'bundle, cache refused'
        : 'bundle, no cache'
      : script.cachedDataRejected
        ? 'bundle, cache refused'
        : 'bundle, cache used';
  const module = { exports: {} };
  (script.runInThisContext() as ModuleFunction)(
    module.exports,
    createRequire(bundle),
    module,
    bundle,
    path.dirname(bundle),
  );
  return {
    kernel: module.exports as Kernel,
    source,
    keep: () => {
      if (source !== 'bundle, cache used') writeCache(cacheFile, buildId, script);
    },
  };
}

type Cached = { data: Buffer } | { data: undefined; damaged: boolean };

/**
 * The cache's data when it was made from the bundle of `buildId` and is as it was written: its head
 * line is the build id and the SHA-256 of the rest. V8 checks a cache's versions, flags and source
 * length, not its bytes: a damaged one (a flipped bit, an edit) could crash the daemon at every start.
 */
function readCache(file: string, buildId: string): Cached {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return { data: undefined, damaged: false };
  }
  const newline = data.indexOf(10);
  const [id, digest] = (newline > 0 ? data.toString('latin1', 0, newline) : '').split(' ');
  if (id !== buildId) return { data: undefined, damaged: false };
  const body = data.subarray(newline + 1);
  return digest === sha256(body) ? { data: body } : { data: undefined, damaged: true };
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Written whole or not at all (a full disk leaves the old one, or none). */
function writeCache(file: string, buildId: string, script: vm.Script): void {
  const temp = `${file}.${process.pid}`;
  try {
    const data = script.createCachedData();
    writeFileSync(temp, Buffer.concat([Buffer.from(`${buildId} ${sha256(data)}\n`, 'latin1'), data]), { mode: 0o600 });
    renameSync(temp, file);
  } catch {
    rmSync(temp, { force: true });
  }
}
