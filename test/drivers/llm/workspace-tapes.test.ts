/**
 * TapeReader: a tape inside the workspace is read through its confinement whoever names it — the
 * CLI user, or the kernel reloading a child's tape after a restart — and one outside is a host file.
 */
import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AosError } from '../../../sys/errno.js';
import { WorkspaceFs } from '../../../drivers/fs/workspace-fs.js';
import { Kernel } from '../../../kernel/kernel.js';
import { param } from '../../../sys/param.js';
import { TapeReader } from '../../../drivers/llm/workspace-tapes.js';
import { ALL_CAPS, call, EXIT } from '../../helpers/kernel-harness.js';
import { until } from '../../helpers/until.js';

const SECRET = 'hunter2-7f3a';
const SECRET_FILE = `root:$6$${SECRET}:19000:0:99999:7:::\n`;

let dir: string;
let workspace: string;
let secret: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-tapes-'));
  workspace = path.join(dir, 'ws');
  await mkdir(workspace);
  secret = path.join(dir, 'secret.txt');
  await writeFile(secret, SECRET_FILE);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function reader(): Promise<TapeReader> {
  const fs = await WorkspaceFs.open({
    root: workspace,
    maxReadBytes: param.fsMaxReadBytes,
    maxWriteBytes: param.fsMaxWriteBytes,
    maxListEntries: param.fsMaxListEntries,
    maxPathLength: param.fsMaxPathLength,
  });
  return new TapeReader(fs, param.replayMaxTapeBytes);
}

async function readError(tapes: TapeReader, file: string): Promise<AosError> {
  const error: unknown = await tapes.read(file).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AosError);
  return error as AosError;
}

describe('TapeReader.read', () => {
  it("reads a host tape outside the workspace as the CLI user's file, with detailed errors", async () => {
    const tapes = await reader();
    const file = path.join(dir, 'tape.yaml');
    await writeFile(file, 'agents:\n  root: [hi]\n');
    expect((await tapes.read(file)).source).toBe(file);
    await writeFile(file, 'agents: {}\nagnets: {}\n');
    expect((await readError(tapes, file)).message).toContain('unknown key "agnets"');
  });

  it('reads a tape inside the workspace confined: a symlink planted there is refused, and nothing is quoted', async () => {
    const tapes = await reader();
    await writeFile(path.join(workspace, 'ok.yaml'), 'agents:\n  root: [hi]\n');
    expect((await tapes.read(path.join(workspace, 'ok.yaml'))).source).toBe('/ok.yaml');
    await symlink(secret, path.join(workspace, 'tape.yaml'));
    const error = await readError(tapes, path.join(workspace, 'tape.yaml'));
    expect([error.code, error.message]).toEqual(['EACCES', 'replay tape: is a symlink: /tape.yaml']);
  });

  it('also when the workspace is reached through a symlinked prefix, or a directory link leads out', async () => {
    const tapes = await reader();
    await symlink(workspace, path.join(dir, 'ws-link'));
    await symlink(secret, path.join(workspace, 'tape.yaml'));
    expect((await readError(tapes, path.join(dir, 'ws-link', 'tape.yaml'))).message).toBe(
      'replay tape: is a symlink: /tape.yaml',
    );
    await symlink(dir, path.join(workspace, 'out'));
    const error = await readError(tapes, path.join(workspace, 'out', 'secret.txt'));
    expect([error.code, error.message]).toEqual(['EACCES', 'replay tape: path escapes the workspace: /out/secret.txt']);
  });

  it('redacts a workspace tape that is not a tape', async () => {
    const tapes = await reader();
    await writeFile(path.join(workspace, 'notes.yaml'), SECRET_FILE);
    const error = await readError(tapes, path.join(workspace, 'notes.yaml'));
    expect(error.code).toBe('EINVAL');
    expect(error.message).toMatch(
      /^invalid replay tape \/notes\.yaml: not a valid tape: 2 problems, the first at line 1/,
    );
    expect(error.message).not.toContain(SECRET);
  });
});

describe('after a restart', () => {
  it("a child's workspace tape swapped for a link to a host file fails without quoting it", async () => {
    const hostTape = path.join(dir, 'tape.yaml');
    await writeFile(
      hostTape,
      YAML.stringify({
        agents: {
          root: [
            call('SPAWN_AGENT', { role: 'helper', model: 'replay:helper.yaml' }),
            call('WAIT', { pid: 2, timeout_s: 60 }),
            EXIT,
          ],
        },
      }),
    );
    await writeFile(
      path.join(workspace, 'helper.yaml'),
      YAML.stringify({ agents: { helper: [call('RECV_MSG', { timeout_s: 60 }), EXIT] } }),
    );
    const boot = (): Promise<Kernel> =>
      Kernel.create({
        workspace,
        rootCapabilities: [...ALL_CAPS, 'model:replay:/**'],
        storeFile: path.join(dir, 'aos.db'),
        cwd: dir,
      });
    const a = await boot();
    await a.spawn({ task: 't', model: `replay:${hostTape}` });
    await until(() => a.proc(2)?.pcb.state === 'blocked' && a.proc(1)?.pcb.state === 'blocked', 10_000, 'both blocked');
    await a.close();

    await unlink(path.join(workspace, 'helper.yaml'));
    await symlink(secret, path.join(workspace, 'helper.yaml'));
    const b = await boot();
    try {
      const root = b.proc(1);
      if (!root) throw new Error('no root after the restart');
      b.mailboxes.send(root, 2, 'wake up');
      const child = await b.waitExit(2);
      expect(child.exitReason).toBe('model error: replay tape: is a symlink: /helper.yaml');
      await b.waitExit(1);
      b.store.flush();
      const events = JSON.stringify(await b.store.events.of([1, 2]));
      expect(events).toContain('is a symlink');
      expect(events).not.toContain(SECRET);
    } finally {
      await b.shutdown();
    }
  });
});
