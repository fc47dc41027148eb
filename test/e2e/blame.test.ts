/**
 * `aos blame` through the real daemon and CLI (issue 52.4): two processes write one file, one of
 * them under a person's approval; blame names each line's process and turn and the approval; --at
 * shows the file before the second write; after a rollback of the second process blame names the
 * writes the file came back to; the host path inside the workspace is accepted too.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISHED } from '../../protocol/schemas.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const POLICY = `version: 1
root:
  capabilities: ["fs.read:/**", "fs.write:/**"]
rules:
  - ask: "fs.write:/src/**"
approvals:
  timeout_s: 120
`;
const WRITE = (p: string, content: string): string => `[SYS_CALL::FS_WRITE] ${JSON.stringify({ path: p, content })}`;
const EXIT = '[SYS_CALL::SYS_EXIT] {"code":0}';

let t: TestHome;
beforeAll(async () => {
  t = await makeHome();
  const policy = path.join(t.home, 'asks.yaml');
  await writeFile(policy, POLICY);
  Object.assign(t.env, { AOS_POLICY: policy });
});
afterAll(async () => {
  await t.dispose();
});

type View = { lines: Array<{ text: string; write: number | null }>; writes: Array<Record<string, unknown>> };
async function blameJson(args: string[]): Promise<View> {
  const r = await t.cli(['blame', ...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return PUBLISHED.blame.parse(JSON.parse(r.stdout)) as View;
}

describe('aos blame through the daemon', () => {
  it('names process, turn and approval per line; --at; after a rollback; a host path', async () => {
    const model = await t.tape({
      first: [WRITE('/src/app.txt', 'one\ntwo\nthree\n'), EXIT],
      second: ['thinking', WRITE('/src/app.txt', 'one\nTWO\nthree\nfour\n'), EXIT],
    });
    const spawn = async (name: string): Promise<number> =>
      (
        JSON.parse((await t.cli(['spawn', name, '--model', model, '--name', name, '--detach', '--json'])).stdout) as {
          pid: number;
        }
      ).pid;
    const approveNext = async (pid: number): Promise<void> => {
      let pending: Array<{ id: string; pid: number }> = [];
      await until(
        async () =>
          (pending = JSON.parse((await t.cli(['approvals', '--json'])).stdout) as typeof pending).some(
            (p) => p.pid === pid,
          ),
        20_000,
        `an approval of ${pid}`,
      );
      const id = (pending.find((p) => p.pid === pid) as { id: string }).id;
      expect((await t.cli(['approve', id])).code).toBe(0);
    };
    const first = await spawn('first');
    await approveNext(first);
    expect((await t.cli(['wait', String(first)])).code).toBe(0);
    const between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    const second = await spawn('second');
    await approveNext(second);
    expect((await t.cli(['wait', String(second)])).code).toBe(0);

    const v = await blameJson(['/src/app.txt']);
    const pidOf = (id: number | null): unknown => v.writes.find((w) => w.id === id)?.pid ?? null;
    expect(v.lines.map((l) => [l.text, pidOf(l.write)])).toEqual([
      ['one', first],
      ['TWO', second],
      ['three', first],
      ['four', second],
    ]);
    expect(v.writes.map((w) => [w.pid, w.turn])).toEqual([
      [first, 0],
      [second, 1],
    ]);
    for (const w of v.writes)
      expect(w.decision).toMatchObject({ decision: 'approved', decided_by: 'person', via: 'socket' });

    const text = await t.cli(['blame', '/src/app.txt']);
    expect(text.stdout).toMatch(new RegExp(`#\\d+ pid ${second} turn 1\\s+2\\) TWO`));
    expect(text.stdout).toMatch(/approved by a person via socket/);
    expect(text.stdout).toContain(`aos why ${second} 1`);

    const earlier = await blameJson(['/src/app.txt', '--at', between]);
    expect(earlier.lines.map((l) => l.text)).toEqual(['one', 'two', 'three']);
    expect(earlier.writes.map((w) => w.pid)).toEqual([first]);

    // The host path, from the workspace's directory.
    const onHost = await blameJson([path.join(t.env.AOS_WORKSPACE as string, 'src', 'app.txt')]);
    expect(onHost.lines.map((l) => l.text)).toEqual(['one', 'TWO', 'three', 'four']);

    expect((await t.cli(['rollback', String(second)])).code).toBe(0);
    const after = await blameJson(['/src/app.txt']);
    expect(after.lines.map((l) => [l.text, after.writes.find((w) => w.id === l.write)?.pid])).toEqual([
      ['one', first],
      ['two', first],
      ['three', first],
    ]);
  });

  it('a file nobody wrote, and a bad --at, are clear errors', async () => {
    const none = await t.cli(['blame', '/nowhere.txt']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/no process of this kernel ever wrote it/);
    const bad = await t.cli(['blame', '/src/app.txt', '--at', 'yesterday-ish']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--since takes a duration|takes a duration/);
  });
});
