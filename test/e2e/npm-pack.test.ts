/**
 * aos as a user installs it from a package: `npm pack`, `npm install -g` of the tarball into a
 * fresh prefix (dependencies at the versions of the shipped npm-shrinkwrap.json, from npm's cache
 * where it has them: --prefer-offline), then `aos demo` from an unrelated directory. Nothing of the
 * checkout may be used: the kernel's program, its loaded native code and its workspace all come
 * from the prefix and the test's AOS_HOME. Slow (a minute or more of npm), mostly waiting on npm: it runs in the
 * parallel group (alone, after it, it added its whole minute and a half to the suite's time; the
 * tests beside it wait for events, not for a quiet CPU).
 *
 * It packs the dist/ that `npm run build` made (CI builds before it tests): AOS_PACK_PREBUILT=1
 * keeps prepack from rebuilding it under the other tests' feet.
 *
 * better-sqlite3's native module installs as a prebuilt one, as it does for a user online: a copy of
 * the one this checkout's install made, handed to its prebuild-install as a local prebuild (offline,
 * it compiled SQLite at -O3 instead, about a minute of CPU that tested better-sqlite3's build, not aos's
 * package). The copy goes into the prefix; the kernel still maps nothing of the checkout.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../sys/host/pid-file.js';
import { ROOT } from '../helpers/cli.js';

const run = promisify(execFile);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'aos-npm-pack-'));
const prefix = path.join(tmp, 'prefix');
const home = path.join(tmp, 'home');
const elsewhere = path.join(tmp, 'elsewhere');
const aos = path.join(prefix, 'bin', 'aos');

/** The environment of a user who has never set aos up: none of this run's AOS_* settings. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('AOS_')) env[name] = value;
  return { ...env, AOS_HOME: home, AOS_WEBHOOK_PORT: '0', NO_COLOR: '1' };
}

/**
 * The checkout's better-sqlite3 binary as the prebuild its install looks for (prebuild-install's
 * name for it: package, version, runtime, ABI, platform, arch), in a directory of prebuilds; the
 * environment variable that names that directory to it.
 */
async function localPrebuild(): Promise<Record<string, string>> {
  const pkg = path.join(ROOT, 'node_modules', 'better-sqlite3');
  const { version } = JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8')) as { version: string };
  const staged = path.join(tmp, 'prebuild');
  mkdirSync(path.join(staged, 'build', 'Release'), { recursive: true });
  copyFileSync(
    path.join(pkg, 'build', 'Release', 'better_sqlite3.node'),
    path.join(staged, 'build', 'Release', 'better_sqlite3.node'),
  );
  const dir = path.join(tmp, 'prebuilds');
  mkdirSync(dir);
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await run('tar', ['czf', path.join(dir, name), '-C', staged, 'build/Release/better_sqlite3.node']);
  return { npm_config_better_sqlite3_local_prebuilds: dir };
}

afterAll(async () => {
  // Whatever happened above, no daemon outlives the test.
  if (existsSync(aos)) await run(aos, ['kernel', 'stop'], { env: userEnv(), cwd: elsewhere }).catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

describe('npm pack, npm install -g, aos demo', () => {
  it('installs into a fresh prefix and runs the demo from another directory', { timeout: 900_000 }, async () => {
    expect(existsSync(path.join(ROOT, 'dist', 'cmd', 'aos.cjs')), 'dist/ is not built: npm run build').toBe(true);
    await run('npm', ['pack', '--pack-destination', tmp], {
      cwd: ROOT,
      env: { ...process.env, AOS_PACK_PREBUILT: '1' },
      maxBuffer: 64 << 20,
    });
    // postpack took the shrinkwrap away again: the checkout keeps one lockfile.
    expect(existsSync(path.join(ROOT, 'npm-shrinkwrap.json'))).toBe(false);
    const tarball = path.join(tmp, readdirSync(tmp).find((name) => name.endsWith('.tgz')) ?? 'none.tgz');
    const listed = (await run('tar', ['tzf', tarball], { maxBuffer: 64 << 20 })).stdout.split('\n');
    for (const file of [
      'package/dist/cmd/aos.cjs',
      'package/dist/daemon/aosd.js',
      'package/dist/daemon/aosd-run.cjs',
      'package/examples/hello-loop.yaml',
      'package/drivers/exec/gate/exec-gate.c',
      'package/scripts/build-gate.mjs',
      'package/npm-shrinkwrap.json',
      'package/web/index.html',
    ])
      expect(listed, file).toContain(file);
    // Sources, tests and local caches stay in the checkout.
    expect(
      listed.filter((f) => /^package\/(test|bench|kernel|cmd)\/|\.map$|\.ts$|aos-cli\.[a-z-]+\.cache$/.test(f)),
    ).toEqual([]);

    mkdirSync(elsewhere);
    // --prefer-offline, not --offline: a lockfile written without `resolved` URLs (npm's
    // omit-lockfile-registry-resolved, set on this kind of machine) leaves npm ci caching only the
    // abbreviated metadata, and a global install asks for the full one; on a fresh machine's cache
    // --offline then fails (ENOTCACHED) for want of metadata, not of any package.
    const install = await run(
      'npm',
      ['install', '-g', '--prefer-offline', '--no-audit', '--no-fund', '--prefix', prefix, tarball],
      {
        cwd: elsewhere,
        env: { ...process.env, npm_config_update_notifier: 'false', ...(await localPrebuild()) },
        maxBuffer: 64 << 20,
      },
    ).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(
        `npm install -g --prefer-offline failed (the registry unreachable and npm's cache without a dependency?): ${error.stderr ?? error.message}`,
      );
    });
    expect(install.stderr).not.toMatch(/ERR!/);
    const installed = path.join(prefix, 'lib', 'node_modules', 'aos');
    // postinstall compiled the exec gate inside the package (where a C compiler is: CI installs gcc).
    expect(existsSync(path.join(installed, 'build', 'aos-exec-gate'))).toBe(true);

    const demo = await run(aos, ['demo'], { cwd: elsewhere, env: userEnv(), maxBuffer: 64 << 20 });
    expect(demo.stdout).toMatch(/\[1 root\] exited 0/);
    expect(demo.stderr).toMatch(/aos: exited 0 after/);

    const status = JSON.parse(
      (await run(aos, ['kernel', 'status', '--json'], { cwd: elsewhere, env: userEnv() })).stdout,
    ) as {
      pid: number;
      workspace: string;
    };
    expect(status.workspace).toBe(path.join(home, 'workspace'));
    expect(readFileSync(path.join(home, 'workspace', 'demo', 'answer.txt'), 'utf8')).toBe('7');
    // The running kernel is the installed one: its program and every file it has mapped (native
    // modules: better-sqlite3) come from the prefix, none from the checkout.
    const cmdline = readFileSync(`/proc/${status.pid}/cmdline`, 'utf8').split('\0');
    expect(cmdline).toContain(path.join(installed, 'dist', 'daemon', 'aosd.js'));
    const maps = readFileSync(`/proc/${status.pid}/maps`, 'utf8');
    expect(maps.split('\n').filter((line) => line.includes(`${ROOT}/`))).toEqual([]);
    expect(maps).toContain(path.join(installed, 'node_modules'));
    // Its kernel is the package's bundle (daemon/kernel-code.ts), its code cache kept in the user's home.
    expect(readFileSync(path.join(home, 'kernel.log'), 'utf8')).toMatch(/kernel loaded from its bundle/);

    const stop = await run(aos, ['kernel', 'stop', '--json'], { cwd: elsewhere, env: userEnv() });
    expect(JSON.parse(stop.stdout)).toMatchObject({ pid: status.pid });
    // Gone, or a zombie its reaper has not collected yet (a container's init may never): nothing runs.
    expect(isAlive(status.pid)).toBe(false);
  });
});
