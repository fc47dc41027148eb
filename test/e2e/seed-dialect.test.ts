/**
 * The replay tape in the seed's dialect (examples/seed-dialect.json) through the real CLI and
 * daemon: every expectation of the tape holds (the tape fails its process otherwise), and the
 * results show each dialect feature doing what the seed meant.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../protocol/events.js';
import { jsonLines } from '../helpers/cli.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';

type Result = Extract<KernelEvent, { type: 'result' }>;

const POLICY = `version: 1
root:
  capabilities: ["fs.read:/**", "fs.write:/**", "spawn", "ipc", "webhook"]
`;

let t: TestHome | null = null;
afterEach(async () => {
  await t?.dispose();
  t = null;
});

describe('a tape in the seed dialect', () => {
  it('runs unchanged through the CLI and the daemon', async () => {
    t = await makeHome();
    const policy = path.join(t.home, 'seed-policy.yaml');
    await writeFile(policy, POLICY);
    const env = { AOS_POLICY: policy, AOS_WEBHOOK_PORT: '0' };
    const run = await t.cli(
      ['spawn', 'Run the seed-dialect example', '--model', 'replay:examples/seed-dialect.json', '--json'],
      { env, timeoutMs: 60_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    const events = jsonLines(run.stdout) as unknown as KernelEvent[];
    const ends = events.filter((e) => e.type === 'state' && (e.to === 'exited' || e.to === 'killed'));
    expect(ends.map((e) => (e.type === 'state' ? [e.pid, e.to, e.code] : null))).toEqual([
      [2, 'exited', 0],
      [1, 'exited', 0],
    ]);
    const spawned = events.find((e) => e.type === 'state' && e.pid === 2 && e.from === null);
    expect(spawned).toMatchObject({
      name: 'You are a word counter in AgentOS.',
      role: 'You are a word counter in AgentOS.',
    });

    const results = events.filter((e): e is Result => e.type === 'result');
    const of = (pid: number, name: string): Result | undefined => results.find((r) => r.pid === pid && r.name === name);
    expect(of(1, 'RECV_MSG')).toMatchObject({ ok: true, value: { messages: [] } });
    expect(of(1, 'SYS_READ_STDIN')).toMatchObject({ ok: true, value: { text: '3 words' } });
    expect(of(1, 'SYS_REGISTER_WEBHOOK')).toMatchObject({
      ok: true,
      value: { url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/hooks\/[\w-]+\/api\/chat$/) },
    });
    expect(of(2, 'FS_READ')).toMatchObject({ ok: true, value: { content: 'one two three' } });
    // Permissions ["FS_READ", "SYS_WRITE_STDOUT"]: reading, yes; writing, no.
    expect(of(2, 'FS_WRITE')).toMatchObject({ ok: false, errno: 'EPERM' });
  }, 90_000);
});
