/**
 * Proposals through the real daemon and CLI (issue 52.2): a write under a `propose` rule runs at
 * once, the model told it may be undone; `aos undo` inside the window puts the file back, and once
 * the window has passed the proposal is final and the undo refused. A call aos cannot undo asks
 * instead. Undos go newest first; a pending proposal survives a kernel restart.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISHED } from '../../protocol/schemas.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const POLICY = `version: 1
root:
  capabilities: ["fs.read:/**", "fs.write:/**", exec, spawn, ipc]
rules:
  - propose: "fs.write:/src/**"
  - propose: "fs.write:/quick/**"
    window: 1s
  - propose: "exec:touch *"
`;
const WRITE = (p: string, content: string): string => `[SYS_CALL::FS_WRITE] ${JSON.stringify({ path: p, content })}`;
const EXIT = '[SYS_CALL::SYS_EXIT] {"code":0}';

interface Proposal {
  id: string;
  pid: number;
  call: string;
  rule: string;
  subject: string;
  state: 'pending' | 'undone' | 'final';
  expires_at: string;
  decided_by: string | null;
  via: string | null;
}

let t: TestHome;
let env: NodeJS.ProcessEnv;
let ws: string;
beforeAll(async () => {
  t = await makeHome();
  const policy = path.join(t.home, 'propose.yaml');
  await writeFile(policy, POLICY);
  env = { AOS_POLICY: policy };
  ws = t.env.AOS_WORKSPACE as string;
  await mkdir(path.join(ws, 'src'), { recursive: true });
  await mkdir(path.join(ws, 'quick'), { recursive: true });
});
afterAll(async () => {
  await t.dispose();
});

async function proposals(): Promise<Proposal[]> {
  const out = await t.cli(['proposals', '--json'], { env });
  expect(out).toMatchObject({ code: 0, stderr: '' });
  const parsed = PUBLISHED.proposals.safeParse(JSON.parse(out.stdout));
  expect(parsed.success, parsed.error?.message).toBe(true);
  return JSON.parse(out.stdout) as Proposal[];
}

/** Run an agent to its end; its proposals, the newest first. */
async function run(name: string, steps: unknown[]): Promise<{ pid: number; mine: Proposal[] }> {
  const model = await t.tape({ [name]: steps });
  const spawned = await t.cli(['spawn', name, '--model', model, '--name', name, '--detach', '--json'], { env });
  expect(spawned, spawned.stderr).toMatchObject({ code: 0 });
  const { pid } = JSON.parse(spawned.stdout) as { pid: number };
  expect(await t.cli(['wait', String(pid)], { env, timeoutMs: 30_000 })).toMatchObject({ code: 0 });
  const mine = (await proposals()).filter((p) => p.pid === pid);
  return { pid, mine: mine.sort((a, b) => (a.expires_at < b.expires_at ? 1 : -1)) };
}

const read = (rel: string): Promise<string> => readFile(path.join(ws, rel), 'utf8');

describe('proposals: run now, undoable for a window', () => {
  it('runs the write at once, tells the model, and undoes it inside the window', async () => {
    await writeFile(path.join(ws, 'src/a.txt'), 'old');
    const { pid, mine } = await run('a', [
      WRITE('/src/a.txt', 'new'),
      { expect: ['"proposal"', 'a person may undo it until'], reply: WRITE('/src/fresh.txt', 'made') },
      { expect: '"proposal"', reply: EXIT },
    ]);
    expect(await read('src/a.txt')).toBe('new');
    expect(mine.map((p) => [p.subject, p.state, p.rule])).toEqual([
      ['/src/fresh.txt', 'pending', 'propose: "fs.write:/src/**"'],
      ['/src/a.txt', 'pending', 'propose: "fs.write:/src/**"'],
    ]);
    const [fresh, a] = mine as [Proposal, Proposal];
    // The window is the rule's default, 15 minutes.
    expect(Date.parse(a.expires_at) - Date.now()).toBeGreaterThan(10 * 60_000);
    const human = await t.cli(['proposals'], { env });
    expect(human.stdout).toMatch(new RegExp(`${a.id}\\s+${pid}\\s+a\\s+pending\\s+undo within 1[45]m`));

    expect(await t.cli(['undo', a.id], { env })).toMatchObject({
      code: 0,
      stdout: `undone ${a.id} (process ${pid}): restored /src/a.txt\n`,
    });
    expect(await read('src/a.txt')).toBe('old');
    expect(await t.cli(['undo', fresh.id, '--json'], { env })).toMatchObject({
      code: 0,
      stdout: JSON.stringify({ id: fresh.id, pid, path: '/src/fresh.txt', action: 'removed' }) + '\n',
    });
    await expect(read('src/fresh.txt')).rejects.toThrow(/ENOENT/);
    // Once undone, it stays undone: a second undo changes nothing.
    expect(await t.cli(['undo', a.id], { env })).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/already undone/),
    });
    const after = (await proposals()).find((p) => p.id === a.id);
    expect(after).toMatchObject({ state: 'undone', decided_by: 'person', via: 'socket' });

    const audit = JSON.parse((await t.cli(['audit', '--pid', String(pid), '--json'], { env })).stdout) as Array<{
      decision: string;
      approval: string | null;
    }>;
    expect(audit.filter((r) => r.approval === a.id).map((r) => r.decision)).toEqual(['propose', 'undone']);
    expect((await t.cli(['audit', 'verify'], { env })).code).toBe(0);
    const logs = await t.cli(['logs', String(pid), '--json'], { env });
    expect(logs.stdout).toMatch(new RegExp(`"type":"proposal".*"id":"${a.id}".*"state":"undone"`));
  });

  it('is final once its window has passed: the undo is refused and the file stays', async () => {
    const { mine } = await run('q', [WRITE('/quick/q.txt', 'kept'), { expect: '"proposal"', reply: EXIT }]);
    const [q] = mine as [Proposal];
    expect(q).toMatchObject({ subject: '/quick/q.txt' });
    // Its window is 1 s: on a loaded machine it may have passed by the time the run is listed (CI 81, two busy loops beside it).
    expect(['pending', 'final']).toContain(q.state);
    await until(
      async () => (await proposals()).find((p) => p.id === q.id)?.state === 'final',
      15_000,
      'the 1s proposal final',
    );
    expect(await t.cli(['undo', q.id], { env })).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(new RegExp(`proposal ${q.id} is final since ${q.expires_at}`)),
    });
    expect(await read('quick/q.txt')).toBe('kept');
    expect((await proposals()).find((p) => p.id === q.id)).toMatchObject({ decided_by: 'timeout', via: null });
  });

  it('undoes newest first: an older proposal of a file written again is refused until the newer is undone', async () => {
    await writeFile(path.join(ws, 'src/twice.txt'), 'v0');
    const { mine } = await run('twice', [
      WRITE('/src/twice.txt', 'v1'),
      { expect: '"proposal"', reply: WRITE('/src/twice.txt', 'v2') },
      { expect: '"proposal"', reply: EXIT },
    ]);
    const [newer, older] = mine as [Proposal, Proposal];
    expect(await t.cli(['undo', older.id], { env })).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(new RegExp(`changed since by process \\d+ .*undo proposal ${newer.id} first`)),
    });
    expect(await read('src/twice.txt')).toBe('v2');
    expect((await t.cli(['undo', newer.id], { env })).code).toBe(0);
    expect(await read('src/twice.txt')).toBe('v1');
    expect((await t.cli(['undo', older.id], { env })).code).toBe(0);
    expect(await read('src/twice.txt')).toBe('v0');
  });

  it('refuses an undo, changing nothing, when the file was changed outside aos since', async () => {
    const { mine } = await run('outside', [WRITE('/src/o.txt', 'agent'), { expect: '"proposal"', reply: EXIT }]);
    const [o] = mine as [Proposal];
    await writeFile(path.join(ws, 'src/o.txt'), 'person');
    expect(await t.cli(['undo', o.id], { env })).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/changed since outside the journal/),
    });
    expect(await read('src/o.txt')).toBe('person');
  });

  it('asks instead when the call cannot be undone: an exec rule, and a file the journal cannot keep', async () => {
    execFileSync('mkfifo', [path.join(ws, 'src/pipe')]);
    const model = await t.tape({
      ex: ['[SYS_CALL::EXEC_CMD] {"cmd":"touch /src/t.txt"}', { expect: 'EACCES', reply: EXIT }],
      fifo: [WRITE('/src/pipe', 'x'), { expect: 'EACCES', reply: EXIT }],
    });
    const pids: number[] = [];
    for (const name of ['ex', 'fifo']) {
      const out = await t.cli(['spawn', name, '--model', model, '--name', name, '--detach', '--json'], { env });
      pids.push((JSON.parse(out.stdout) as { pid: number }).pid);
    }
    type Pending = { id: string; pid: number; rule: string };
    let asked: Pending[] = [];
    await until(
      async () =>
        (asked = (JSON.parse((await t.cli(['approvals', '--json'], { env })).stdout) as Pending[]).filter((r) =>
          pids.includes(r.pid),
        )).length === 2,
      20_000,
      'both calls asked',
    );
    const ruleOf = (pid: number): string => asked.find((r) => r.pid === pid)?.rule ?? '';
    expect(ruleOf(pids[0] as number)).toMatch(/^propose: "exec:touch \*" \(asks: exec calls cannot be undone\)$/);
    expect(ruleOf(pids[1] as number)).toMatch(
      /^propose: "fs\.write:\/src\/\*\*" \(asks: \/src\/pipe cannot be kept for an undo/,
    );
    for (const r of asked) expect((await t.cli(['deny', r.id], { env })).code).toBe(0);
    for (const pid of pids) await t.cli(['wait', String(pid)], { env, timeoutMs: 30_000 });
    expect((await proposals()).filter((p) => pids.includes(p.pid))).toEqual([]);
  });

  it('keeps a pending proposal across a kernel restart, still undoable', async () => {
    await writeFile(path.join(ws, 'src/r.txt'), 'before');
    const { mine } = await run('r', [WRITE('/src/r.txt', 'after'), { expect: '"proposal"', reply: EXIT }]);
    const [r] = mine as [Proposal];
    expect(await t.cli(['kernel', 'restart'], { env, timeoutMs: 60_000 })).toMatchObject({ code: 0 });
    expect((await proposals()).find((p) => p.id === r.id)).toMatchObject({ state: 'pending' });
    expect((await t.cli(['undo', r.id], { env })).code).toBe(0);
    expect(await read('src/r.txt')).toBe('before');
  });

  it('shows each propose rule with its window in aos policy show; one that cannot be undone as ask', async () => {
    const shown = await t.cli(['policy', 'show'], { env });
    expect(shown.stdout).toContain('  propose fs.write:/src/**  line 5  (undo within 900s: aos proposals)');
    expect(shown.stdout).toContain('  propose fs.write:/quick/**  line 6  (undo within 1s: aos proposals)');
    expect(shown.stdout).toContain('  ask   exec:touch *  line 8');
    const json = JSON.parse((await t.cli(['policy', 'show', '--json'], { env })).stdout) as {
      rules: Array<{ verdict: string; window_s?: number }>;
    };
    expect(json.rules.map((r) => [r.verdict, r.window_s])).toEqual([
      ['propose', 900],
      ['propose', 1],
      ['ask', undefined],
    ]);
  });

  it('refuses a bad id and an unknown one with a clear error', async () => {
    expect(await t.cli(['undo', '../x'], { env })).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/a proposal id is letters and digits/),
    });
    expect(await t.cli(['undo', 'deadbeef'], { env })).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/no proposal deadbeef/),
    });
  });
});
