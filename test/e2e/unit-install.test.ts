/**
 * `aos unit install` through the real CLI and daemon: a package (a directory, or a .tar.gz of one)
 * is shown whole — triggers, capabilities, MCP servers, files — before it is kept; it then runs
 * from $AOS_HOME/units/<name> with its prompts and tape; what could carry a read or a write out of
 * it (a symlink, a `..` member) or ask for more than the policy gives refuses it, and leaves nothing.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISHED } from '../../protocol/schemas.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';

const POLICY = `version: 1
root:
  capabilities: ["fs.read:/**", "fs.write:/**"]
`;
const EXAMPLE = path.resolve('examples/units/digest-pkg');

let t: TestHome;
let scratch: string;
beforeAll(async () => {
  t = await makeHome();
  scratch = await mkdtemp(path.join(os.tmpdir(), 'aos-pkg-'));
  const policy = path.join(t.home, 'policy-install.yaml');
  await writeFile(policy, POLICY);
  Object.assign(t.env, { AOS_POLICY: policy });
});
afterAll(async () => {
  await t.dispose();
  await rm(scratch, { recursive: true, force: true });
});

/** A copy of the example package under another name, changed by `edit`. */
async function packageNamed(name: string, edit: (yaml: string) => string = (y) => y): Promise<string> {
  const dir = path.join(scratch, name);
  await cp(EXAMPLE, dir, { recursive: true });
  const yaml = await readFile(path.join(dir, 'unit.yaml'), 'utf8');
  await writeFile(
    path.join(dir, 'unit.yaml'),
    edit(yaml.replace(/^name: digest$/m, `name: ${name}`)).replace(/^ {2}digest:$/m, `  ${name}:`),
  );
  const tape = await readFile(path.join(dir, 'tapes/digest.yaml'), 'utf8');
  await writeFile(path.join(dir, 'tapes/digest.yaml'), tape.replace(/^ {2}digest:$/m, `  ${name}:`));
  return dir;
}

function installed(name: string): string {
  return path.join(t.home, 'units', name);
}

describe('aos unit install', () => {
  it('shows the package whole, wants --yes without a terminal, then keeps it and runs it with its prompts and tape', async () => {
    const asked = await t.cli(['unit', 'install', EXAMPLE], { input: '' });
    expect(asked.code).toBe(1);
    expect(asked.stderr).toContain('unit digest — write a daily digest of /inbox into /digests');
    expect(asked.stderr).toContain('triggers:  cron 0 7 * * * UTC');
    expect(asked.stderr).toContain('✓ fs.read:/inbox/**');
    expect(asked.stderr).toMatch(/files: +4 \(\d+ bytes\), kept in .*units\/digest/);
    expect(asked.stderr).toMatch(/prompts\/role\.md +\d+ B/);
    expect(asked.stderr).toMatch(/not installed: confirm with --yes/);
    await expect(stat(installed('digest'))).rejects.toThrow();

    const run = await t.cli(['unit', 'install', EXAMPLE, '--yes', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const parsed = PUBLISHED['unit-install'].safeParse(JSON.parse(run.stdout));
    expect(parsed.success, parsed.error?.message).toBe(true);
    const result = JSON.parse(run.stdout) as { dir: string; installed: boolean; files: Array<{ path: string }> };
    expect(result).toMatchObject({ installed: true, dir: installed('digest') });
    expect(result.files.map((f) => f.path)).toEqual([
      'prompts/role.md',
      'prompts/task.md',
      'tapes/digest.yaml',
      'unit.yaml',
    ]);
    expect((await readdir(installed('digest'))).sort()).toEqual(['prompts', 'tapes', 'unit.yaml']);

    const show = JSON.parse((await t.cli(['unit', 'show', 'digest', '--json'])).stdout) as {
      spec: { role: string; task: string; model: string };
    };
    expect(show.spec.role).toContain('You write short, factual digests.');
    expect(show.spec.task).toContain('Summarise what arrived in /inbox');
    expect(show.spec.model).toBe(`replay:${installed('digest')}/tapes/digest.yaml`);

    const started = JSON.parse((await t.cli(['unit', 'run', 'digest', '--json'])).stdout) as { pid: number };
    const waited = await t.cli(['wait', String(started.pid)]);
    expect(waited.code, waited.stderr).toBe(0);
    expect(await readFile(path.join(t.home, 'workspace/digests/today.md'), 'utf8')).toBe(
      'Digest: the inbox was read.\n',
    );

    const again = await t.cli(['unit', 'install', EXAMPLE, '--yes']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/unit digest is there already: install with --replace/);
    expect((await t.cli(['unit', 'install', EXAMPLE, '--yes', '--replace'])).code).toBe(0);

    expect((await t.cli(['unit', 'rm', 'digest'])).code).toBe(0);
    await expect(stat(installed('digest'))).rejects.toThrow();
    // Seven stagings, each in a package reader of its own (from source: node and tsx starting).
  }, 90_000);

  it('installs a .tar.gz whose files sit in one folder', async () => {
    const dir = await packageNamed('packed');
    const file = path.join(scratch, 'packed.tar.gz');
    await tar.c({ file, gzip: true, cwd: scratch }, ['packed']);
    const run = await t.cli(['unit', 'install', file, '--yes']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/installed unit packed in .*units\/packed; next run in/);
    expect(await readFile(path.join(installed('packed'), 'prompts/role.md'), 'utf8')).toBe(
      await readFile(path.join(dir, 'prompts/role.md'), 'utf8'),
    );
    expect((await t.cli(['unit', 'rm', 'packed'])).code).toBe(0);
  });

  it('refuses a package with a symlink, a member leading out, or more than the policy gives, and keeps nothing', async () => {
    const linked = await packageNamed('linked');
    await symlink('/etc/passwd', path.join(linked, 'prompts/role.md.link'));
    const refusedLink = await t.cli(['unit', 'install', linked, '--yes']);
    expect(refusedLink.code).toBe(1);
    expect(refusedLink.stderr).toMatch(
      /prompts\/role\.md\.link is a symbolic link; a package holds regular files and directories only/,
    );

    const evilDir = path.join(scratch, 'evil', 'pkg');
    await mkdir(evilDir, { recursive: true });
    await writeFile(path.join(evilDir, 'unit.yaml'), 'name: evil\ntask: t\n');
    await writeFile(path.join(scratch, 'evil', 'escaped.txt'), 'out');
    const evil = path.join(scratch, 'evil.tar.gz');
    await tar.c({ file: evil, gzip: true, cwd: evilDir, preservePaths: true }, ['unit.yaml', '../escaped.txt']);
    const refusedEvil = await t.cli(['unit', 'install', evil, '--yes']);
    expect(refusedEvil.code).toBe(1);
    expect(refusedEvil.stderr).toMatch(/"\.\.\/escaped\.txt" leads out of the package/);
    await expect(stat(path.join(t.home, 'escaped.txt'))).rejects.toThrow();

    const greedy = await packageNamed('greedy', (y) =>
      y.replace('capabilities: ["fs.read:/inbox/**", "fs.write:/digests/**"]', 'capabilities: ["fs.read:/**", "exec"]'),
    );
    const refusedCaps = await t.cli(['unit', 'install', greedy, '--yes']);
    expect(refusedCaps.code).toBe(1);
    expect(refusedCaps.stderr).toContain('✗ exec');

    const escaping = await packageNamed('escaping', (y) =>
      y.replace('role_file: prompts/role.md', 'role_file: ../../../../etc/hostname'),
    );
    const refusedRole = await t.cli(['unit', 'install', escaping, '--yes']);
    expect(refusedRole.code).toBe(1);
    expect(refusedRole.stderr).toMatch(
      /role_file \.\.\/\.\.\/\.\.\/\.\.\/etc\/hostname is not beside the unit file|no such file beside the unit/,
    );

    // Nothing of them is kept: no unit, no files, no staging left behind.
    expect((JSON.parse((await t.cli(['unit', 'ls', '--json'])).stdout) as { units: unknown[] }).units).toEqual([]);
    expect(await readdir(path.join(t.home, 'units'))).toEqual([]);
  });

  it('names an MCP server the kernel does not run, with the policy lines that would run it', async () => {
    const pkg = await packageNamed(
      'tooled',
      (y) => `${y}mcp_servers:\n  notes:\n    command: node\n    args: ["./server.js", "stdio"]\n    network: false\n`,
    );
    await writeFile(path.join(pkg, 'server.js'), '// a server\n');
    const run = await t.cli(['unit', 'install', pkg, '--yes']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /✗ notes: stdio node .*units\/tooled\/server\.js stdio {2}\(the policy runs no such server\)/,
    );
    expect(run.stderr).toContain('add these lines to the policy, then aos kernel restart:');
    expect(run.stderr).toMatch(/mcp:\n {2}servers:\n {4}notes:\n {6}command: node/);
    expect(run.stderr).toMatch(/refused: the kernel does not run its MCP servers notes as declared/);
    await expect(stat(installed('tooled'))).rejects.toThrow();
  });
});
