/**
 * The built CLI is one bundle (scripts/bundle-cli.mjs): it must hold none of the kernel's or the
 * dashboard's heavy dependencies, load node built-ins only on demand, and work like the sources.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';

const run = promisify(execFile);
let dir = '';
let bundle = '';
let inputs: string[] = [];
let t: TestHome;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-bundle-'));
  bundle = path.join(dir, 'dist', 'cmd', 'aos.js');
  const meta = path.join(dir, 'meta.json');
  await run(process.execPath, [path.join(ROOT, 'scripts', 'bundle-cli.mjs'), '--outfile', bundle, '--metafile', meta], { cwd: ROOT });
  inputs = Object.keys((JSON.parse(await readFile(meta, 'utf8')) as { inputs: Record<string, unknown> }).inputs);
  // A package root like the real one: package.json (ES modules, the version) and dist/cmd/aosd.js.
  await copyFile(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  await writeFile(path.join(dir, 'dist', 'cmd', 'aosd.js'), `await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'cmd', 'aosd.ts')).href)});\n`);
  t = await makeHome();
}, 60_000);

afterAll(async () => {
  await t?.dispose();
  await rm(dir, { recursive: true, force: true });
}, 30_000);

function aos(args: string[], nodeArgs: string[] = []): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [...nodeArgs, bundle, ...args], { env: { ...process.env, ...t.env, NO_COLOR: '1' }, timeout: 30_000 });
}

describe('the bundled CLI', () => {
  it('holds no zod, Ink, React, YAML, SQLite or kernel core', () => {
    expect(inputs.some((f) => f.endsWith('cmd/aos.ts'))).toBe(true);
    const heavy = inputs.filter((f) => /node_modules\/(zod|ink|react|yaml|better-sqlite3|chromadb|@google)\/|kernel\/(kernel|store\/store|daemon\/server)\.ts$/.test(f));
    expect(heavy).toEqual([]);
  });

  it('imports no built-in at start-up but node:module (the rest load when a verb needs them)', async () => {
    const imports = (await readFile(bundle, 'utf8')).split('\n').filter((line) => /^import\b/.test(line));
    expect(imports).toEqual(["import { createRequire as aosCreateRequire } from 'node:module';"]);
  });

  it('starts the daemon from dist/cmd beside it, and runs the verbs', async () => {
    // --import tsx only so that the stub daemon.js can load the daemon's sources.
    const started = await aos(['kernel', 'start', '--json'], ['--import', 'tsx']);
    expect(JSON.parse(started.stdout)).toMatchObject({ started: true });
    expect((await aos(['--version'])).stdout.trim()).toBe(JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')).version);
    const model = await t.tape({ root: ['[SYS_CALL::SYS_EXIT] {"code":0}'] });
    expect((await aos(['spawn', '--model', model, '--detach', '--json'])).stdout.trim()).toBe('{"pid":1}');
    const ps = JSON.parse((await aos(['ps', '--all', '--json'])).stdout) as Array<{ pid: number }>;
    expect(ps.map((row) => row.pid)).toEqual([1]);
    expect(JSON.parse((await aos(['ps', '--last', '1', '--json'])).stdout)).toMatchObject([{ pid: 1, state: 'exited' }]);
    expect((await aos(['logs', '1', '--json'])).stdout).toContain('"type":"state"');
    expect(JSON.parse((await aos(['kernel', 'status', '--json'])).stdout)).toMatchObject({ processes: { exited: 1 } });
    expect((await aos(['kernel', 'stop', '--json'])).stdout).toContain('"forced":false');
  }, 60_000);
});
