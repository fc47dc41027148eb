/**
 * The built CLI is one bundle (scripts/bundle-cli.mjs) run from V8's code cache by its loader
 * (scripts/cli-loader.cjs): it must hold none of the kernel's or the dashboard's heavy
 * dependencies, load node built-ins only on demand, work like the sources, and never depend on
 * its cache being good.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';

const run = promisify(execFile);
let dir = '';
let bin = '';
let cmdDir = '';
let inputs: string[] = [];
let t: TestHome;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-bundle-'));
  cmdDir = path.join(dir, 'dist', 'cmd');
  bin = path.join(cmdDir, 'aos.cjs');
  const meta = path.join(dir, 'meta.json');
  await run(process.execPath, [path.join(ROOT, 'scripts', 'bundle-cli.mjs'), '--outdir', cmdDir, '--metafile', meta], {
    cwd: ROOT,
  });
  inputs = Object.keys((JSON.parse(await readFile(meta, 'utf8')) as { inputs: Record<string, unknown> }).inputs);
  // A package root like the real one: package.json (ES modules) and dist/daemon/aosd.js.
  await copyFile(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  await mkdir(path.join(cmdDir, 'mcp'));
  await writeFile(
    path.join(cmdDir, 'mcp', 'serve.js'),
    "export async function serveStdio() { process.stdout.write('serveStdio from beside the bundle\\n'); }\n",
  );
  await mkdir(path.join(dir, 'dist', 'daemon'), { recursive: true });
  await writeFile(
    path.join(dir, 'dist', 'daemon', 'aosd.js'),
    `await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'daemon', 'aosd.ts')).href)});\n`,
  );
  t = await makeHome();
}, 60_000);

afterAll(async () => {
  await t?.dispose();
  await rm(dir, { recursive: true, force: true });
}, 30_000);

function aos(
  args: string[],
  nodeArgs: string[] = [],
  entry = bin,
  env: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [...nodeArgs, entry, ...args], {
    env: { ...process.env, ...t.env, NO_COLOR: '1', ...env },
    timeout: 30_000,
  });
}

const cacheState = async (args: string[], entry = bin): Promise<string> =>
  (await aos(args, [], entry, { AOS_CLI_CACHE_DEBUG: '1' })).stderr.match(/aos-cli cache: (\w+)/)?.[1] ?? 'none';

describe('the bundled CLI', () => {
  it('holds no zod, Ink, React, YAML, SQLite or kernel core', () => {
    expect(inputs.some((f) => f.endsWith('cmd/aos.ts'))).toBe(true);
    const heavy = inputs.filter((f) =>
      /node_modules\/(zod|ink|react|yaml|better-sqlite3|chromadb|@google)\/|kernel\/(kernel|store\/store|daemon\/server)\.ts$/.test(
        f,
      ),
    );
    expect(heavy).toEqual([]);
  });

  it('loads a built-in only when the code that uses it runs: --version and --help load no net, tty, os or child_process', async () => {
    // Written with a synchronous file write at exit, so that reporting creates no stdio stream (which would load net).
    const report = path.join(dir, 'loaded.json');
    const hook = path.join(dir, 'loaded.cjs');
    await writeFile(
      hook,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify(process.moduleLoadList)));\n`,
    );
    const loaded = async (args: string[]): Promise<string[]> => {
      await aos(args, ['--require', hook]).catch(() => undefined);
      return (JSON.parse(await readFile(report, 'utf8')) as string[])
        .filter((m) => m.startsWith('NativeModule '))
        .map((m) => m.slice('NativeModule '.length));
    };
    const heavy = ['net', 'tty', 'os', 'child_process', 'readline', 'fs/promises', 'stream'];
    for (const args of [['--version'], ['--help'], ['ps', '--help'], ['kernel', 'status', '--help'], ['nosuchverb']]) {
      expect(
        (await loaded(args)).filter((m) => heavy.includes(m)),
        args.join(' '),
      ).toEqual([]);
    }
    // A verb that talks to the kernel does so on node's pipe handle (client/pipe.ts): no
    // net and no stream; nor what its sibling verbs need.
    const status = await loaded(['kernel', 'status']);
    expect(status.filter((m) => heavy.includes(m))).toEqual([]);
    // Where process.binding would warn, node:net, quietly.
    const warned = await aos(['kernel', 'status'], ['--pending-deprecation', '--require', hook]).catch(
      (e: { stderr: string }) => e,
    );
    expect(warned.stderr).not.toContain('DeprecationWarning');
    expect(JSON.parse(await readFile(report, 'utf8'))).toContain('NativeModule net');
  });

  it('makes its import.meta.url only when something reads it: a first URL costs a verb ~0.4 ms', async () => {
    const report = path.join(dir, 'urls.json');
    const hook = path.join(dir, 'urls.cjs');
    await writeFile(
      hook,
      `const url = require('node:url'); const made = url.pathToFileURL; let n = 0;
url.pathToFileURL = (...args) => { n++; return made(...args); };
process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, String(n)));\n`,
    );
    for (const args of [['--version'], ['kernel', 'status']]) {
      await aos(args, ['--require', hook], bin, { AOS_WORKSPACE: t.env.AOS_WORKSPACE ?? dir }).catch(() => undefined);
      expect(await readFile(report, 'utf8'), args.join(' ')).toBe('0');
    }
  });

  it('runs from the code cache the build made, and a missing, stale or broken cache only costs time', async () => {
    const cache = path.join(cmdDir, 'aos-cli.cache');
    expect(await cacheState(['--version'])).toBe('used');
    const good = await readFile(cache);
    // Made from another build of the bundle: V8 would take it (same length), the build id does not.
    await writeFile(cache, Buffer.concat([Buffer.from('0'.repeat(32)), good.subarray(good.indexOf(10))]));
    expect(await cacheState(['--version'])).toBe('missing');
    expect(await cacheState(['--version'])).toBe('used');
    await writeFile(cache, Buffer.concat([good.subarray(0, good.indexOf(10) + 1), Buffer.from('not a code cache')]));
    expect(await cacheState(['--version'])).toBe('rejected');
    expect(await cacheState(['--version'])).toBe('used');
    await rm(cache);
    expect((await aos(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(existsSync(cache)).toBe(true);
    // `node dist/cmd/aos.js`, as typed: the same CLI.
    expect(await cacheState(['--version'], path.join(cmdDir, 'aos.js'))).toBe('used');
  });

  it('lists the verbs for --help from the index the build made; a missing, stale or broken index only costs time', async () => {
    const index = path.join(cmdDir, 'aos-cli.help-index');
    const helpWith = async (args: string[] = ['--help']): Promise<{ text: string; index: string }> => {
      const r = await aos(args, [], bin, { AOS_CLI_CACHE_DEBUG: '1' }).catch(
        (e: { stdout: string; stderr: string }) => e,
      );
      return {
        text: r.stdout + r.stderr.replace(/^aos-cli .*\n/gm, ''),
        index: /aos-cli help index: (\w+)/.exec(r.stderr)?.[1] ?? '',
      };
    };
    const fromIndex = await helpWith();
    expect(fromIndex.index).toBe('used');
    expect(fromIndex.text).toMatch(/^Usage: aos \[options\] \[command\]/);
    for (const verb of ['spawn [options] [task]', 'ps [options]', 'kernel', 'demo'])
      expect(fromIndex.text).toContain(verb);
    expect((await helpWith(['-h'])).index).toBe('used');
    // Without it, every verb is loaded: the same help, and the index made again.
    const good = await readFile(index, 'utf8');
    await rm(index);
    const whole = await helpWith();
    expect(whole).toEqual({ text: fromIndex.text, index: 'made' });
    expect(await readFile(index, 'utf8')).toBe(good);
    // Another build's index, or one that is not an index, is not used.
    await writeFile(index, `${'0'.repeat(32)}${good.slice(good.indexOf('\n'))}`);
    expect(await helpWith()).toEqual({ text: fromIndex.text, index: 'made' });
    await writeFile(index, `${good.slice(0, good.indexOf('\n'))}\n[{"name":"spawn"}]`);
    expect(await helpWith()).toEqual({ text: fromIndex.text, index: 'made' });
    await writeFile(index, `${good.slice(0, good.indexOf('\n'))}\nnot json`);
    expect(await helpWith()).toEqual({ text: fromIndex.text, index: 'made' });
    expect(await readFile(index, 'utf8')).toBe(good);
    // A verb's own help does not read it.
    expect((await helpWith(['ps', '--help'])).index).toBe('none');
  });

  it('starts the daemon from dist/cmd beside it, and runs the verbs', async () => {
    // --import tsx only so that the stub daemon.js can load the daemon's sources.
    const started = await aos(['kernel', 'start', '--json'], ['--import', 'tsx']);
    expect(JSON.parse(started.stdout)).toMatchObject({ started: true });
    expect((await aos(['--version'])).stdout.trim()).toBe(
      JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')).version,
    );
    const model = await t.tape({ root: ['[SYS_CALL::SYS_EXIT] {"code":0}'] });
    expect((await aos(['spawn', '--model', model, '--detach', '--json'])).stdout.trim()).toBe('{"pid":1}');
    const ps = JSON.parse((await aos(['ps', '--all', '--json'])).stdout) as Array<{ pid: number }>;
    expect(ps.map((row) => row.pid)).toEqual([1]);
    expect(JSON.parse((await aos(['ps', '--last', '1', '--json'])).stdout)).toMatchObject([
      { pid: 1, state: 'exited' },
    ]);
    expect((await aos(['logs', '1', '--json'])).stdout).toContain('"type":"state"');
    expect(JSON.parse((await aos(['kernel', 'status', '--json'])).stdout)).toMatchObject({ processes: { exited: 1 } });
    // The same over node:net (process.binding would warn: the client does not use the pipe handle).
    const overNet = await aos(['ps', '--all', '--json'], ['--pending-deprecation']);
    expect(JSON.parse(overNet.stdout)).toMatchObject([{ pid: 1 }]);
    expect(overNet.stderr).toBe('');
    // aos mcp loads tsc's mcp/serve.js beside the bundle: an import() the loader lends the bundle.
    expect((await aos(['mcp'])).stdout).toBe('serveStdio from beside the bundle\n');
    expect((await aos(['kernel', 'stop', '--json'])).stdout).toContain('"forced":false');
  }, 60_000);
});
