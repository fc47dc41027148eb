/**
 * The daemon's room bundled for the tests (scripts/bundle-daemon.mjs, run by test/global-setup.ts)
 * must run as from source: every module keeps its own source file's URL as import.meta.url (so that
 * channel adapters and the unit package reader are found and run from source, and the package root
 * is the checkout), and the kernel stays out of the entry, loaded only after the pid lock.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

let dir = '';
let files: string[] = [];
let code = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-bundle-daemon-'));
  await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts', 'bundle-daemon.mjs'), '--outdir', dir], {
    cwd: ROOT,
  });
  files = (await readdir(dir)).filter((name) => name.endsWith('.js'));
  code = (await Promise.all(files.map((name) => readFile(path.join(dir, name), 'utf8')))).join('\n');
}, 60_000);

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the daemon bundled for the tests', () => {
  it('has an entry for each program of the daemon room', () => {
    expect(files).toEqual(expect.arrayContaining(['aosd.js', 'policy-check.js', 'start-check.js']));
  });

  it("gives every module its source file's URL, none the bundle's", () => {
    expect(code).not.toContain('import.meta.url');
    for (const source of ['drivers/channels/programs.ts', 'daemon/unit-stage.ts', 'sys/host/paths.ts'])
      expect(code, source).toContain(JSON.stringify(pathToFileURL(path.join(ROOT, source)).href));
  });

  it('loads the kernel after the pid lock, from a chunk of its own', async () => {
    const entry = await readFile(path.join(dir, 'aosd.js'), 'utf8');
    const chunk = /import\("\.\/(aosd-run-[A-Z0-9]+\.js)"\)/.exec(entry)?.[1];
    expect(chunk, 'aosd.js imports aosd-run when it runs').toBeDefined();
    expect(entry).not.toMatch(/^import .*aosd-run/m);
    expect(files).toContain(chunk);
  });

  it('leaves packages to node (one copy of each, from node_modules)', () => {
    expect(code).toMatch(/from "better-sqlite3"/);
  });
});
