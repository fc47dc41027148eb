import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jsonLines, ROOT, runCli } from '../helpers/cli.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';

// A fresh AOS_HOME (so a fresh daemon, pids from 1) per test; the daemon is stopped after it.
let fresh: TestHome;
let home: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  fresh = await makeHome();
  home = fresh.home;
  env = fresh.env;
});
afterEach(async () => {
  await fresh.dispose();
});

describe('aos spawn (attached)', () => {
  it('runs the example tape end to end and exits with the root code', async () => {
    const run = await runCli(['spawn', 'Show the loop', '--model', 'replay:examples/hello-loop.yaml', '--json'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const events = jsonLines(run.stdout);
    for (const e of events)
      expect(e).toMatchObject({ ts: expect.any(String), pid: expect.any(Number), type: expect.any(String) });
    const types = new Set(events.map((e) => e.type));
    for (const t of ['state', 'prompt', 'model', 'syscall', 'result', 'message']) expect(types).toContain(t);
    const eperm = events.find((e) => e.type === 'result' && e.ok === false);
    expect(eperm).toMatchObject({ pid: 2, name: 'FS_WRITE', errno: 'EPERM' });
    expect(await readFile(path.join(home, 'workspace/demo/answer.txt'), 'utf8')).toBe('7');
    // Vector memory: written, then recalled by meaning.
    const recalled = events.find((e) => e.type === 'result' && e.name === 'MEM_READ');
    expect(recalled).toMatchObject({
      pid: 1,
      ok: true,
      value: { hits: [{ text: 'The note in demo/note.txt has 7 words.' }] },
    });
  });

  it('runs every call of a reply, reports a broken block as EINVAL, and returns SYS_EXIT code', async () => {
    const run = await runCli(
      ['spawn', '--model', `replay:${path.join(ROOT, 'test/fixtures/multi-call.yaml')}`, '--json'],
      env,
    );
    expect(run.code).toBe(3);
    const results = jsonLines(run.stdout).filter((e) => e.type === 'result');
    expect(results.map((r) => [r.name, r.ok, r.errno ?? null])).toEqual([
      ['FS_WRITE', true, null],
      ['FS_WRITE', false, 'EINVAL'],
      ['FS_READ', true, null],
      ['SYS_EXIT', true, null],
    ]);
  });

  it('prints human-readable events without --json', async () => {
    const run = await runCli(['spawn', 'x', '--model', 'replay:examples/hello-loop.yaml'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('[2 worker] ✗ FS_WRITE EPERM');
    expect(run.stdout).toMatch(/\[1 root\] exited 0\n/);
  });

  it('explains how to choose a model when none is given', async () => {
    const run = await runCli(['spawn', 'x'], { ...env, AOS_MODEL: '' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--model');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('gives a clear error for a missing tape, a bad flag, and an unknown provider', async () => {
    const missing = await runCli(['spawn', '--model', 'replay:/nope/tape.yaml'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('replay tape not found');
    const badFlag = await runCli(['spawn', '--model', 'replay:x.yaml', '--priority', 'high'], env);
    expect(badFlag.code).toBe(1);
    expect(badFlag.stderr).toContain('--priority');
    const provider = await runCli(['spawn', '--model', 'nosuch:model'], env);
    expect(provider.code).toBe(1);
    expect(provider.stderr).toContain('unknown model provider "nosuch"');
  });

  it('refuses to start without a readable policy (never fails open)', async () => {
    // The policy is the daemon's: a bad one stops the daemon's start, and the CLI says why.
    const run = await runCli(['spawn', '--model', 'replay:examples/hello-loop.yaml'], {
      ...env,
      AOS_POLICY: path.join(home, 'missing-policy.yaml'),
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cannot read the policy');
  });
});
