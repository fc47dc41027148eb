/**
 * Idempotency keys through the real CLI and daemon: 20 `aos spawn --idempotency-key k` at once give
 * one process; after a SIGKILL of the kernel the same key still answers with it (the key was stored
 * before the first answer); the key with another task is refused saying what differs; a key of a
 * process's own (SPAWN_AGENT {"key"}) answers as the first time too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISHED } from '../../protocol/schemas.js';
import type { ProcRow } from '../../protocol/views.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const HOLD = '[SYS_CALL::RECV_MSG] {"timeout_s": 600}';
let t: TestHome;
let model: string;
beforeAll(async () => {
  t = await makeHome();
  const spawnTwice = [
    '[SYS_CALL::SPAWN_AGENT] {"role": "w", "name": "w", "task": "one", "key": "job-1"}',
    '[SYS_CALL::SPAWN_AGENT] {"role": "w", "name": "w", "task": "one", "key": "job-1"}',
    '[SYS_CALL::SPAWN_AGENT] {"role": "w", "name": "w", "task": "two", "key": "job-1"}',
    HOLD,
  ];
  model = await t.tape({ root: [HOLD], parent: spawnTwice, w: [HOLD] });
});
afterAll(async () => {
  await t.dispose();
});

describe('aos spawn --idempotency-key', () => {
  it('20 at once give one process; a SIGKILL between two keyed spawns still gives one; another task is refused', async () => {
    const runs = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.cli(['spawn', 'index the inbox', '--model', model, '--idempotency-key', 'k-20', '--detach', '--json'], {
          timeoutMs: 30_000,
        }),
      ),
    );
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    const answers = runs.map((r) => JSON.parse(r.stdout) as { pid: number; replayed?: boolean });
    for (const a of answers) expect(PUBLISHED['spawn-detached'].safeParse(a).success).toBe(true);
    const pids = new Set(answers.map((a) => a.pid));
    expect(pids.size).toBe(1);
    expect(answers.filter((a) => a.replayed !== true)).toHaveLength(1);
    const [pid] = [...pids] as [number];
    const rows = JSON.parse((await t.cli(['ps', '--all', '--json'])).stdout) as ProcRow[];
    expect(rows.filter((r) => r.name === 'root')).toHaveLength(1);

    process.kill((await t.daemonPid()) as number, 'SIGKILL');
    await until(
      async () => (await t.cli(['kernel', 'status', '--json'])).stdout.includes('"running":false'),
      10_000,
      'the kernel to be gone',
    );
    const again = await t.cli(['spawn', 'index the inbox', '--model', model, '--idempotency-key', 'k-20', '--detach']);
    expect(again.code, again.stderr).toBe(0);
    expect(Number(again.stdout.trim())).toBe(pid);
    expect(again.stderr).toContain(`idempotency key k-20 was used before: process ${pid} is the one it started`);

    const other = await t.cli(['spawn', 'index the outbox', '--model', model, '--idempotency-key', 'k-20', '--detach']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(
      /idempotency key "k-20" was used at .* for another request: task differs \("index the inbox" then, "index the outbox" now\); use a new key for new work/,
    );
  }, 90_000);

  it('SPAWN_AGENT {"key"}: the same key and arguments answer with the first child; another task is refused', async () => {
    const run = await t.cli(['spawn', 'lead', '--model', model, '--name', 'parent', '--detach', '--json']);
    const { pid } = JSON.parse(run.stdout) as { pid: number };
    await until(
      async () =>
        (JSON.parse((await t.cli(['ps', '--json'])).stdout) as ProcRow[]).find((r) => r.pid === pid)?.state ===
        'blocked',
      10_000,
      'the parent to wait',
    );
    const logs = (await t.cli(['logs', String(pid), '--json', '--no-tree'])).stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            type: string;
            name?: string;
            ok?: boolean;
            value?: unknown;
            errno?: string;
            message?: string;
          },
      );
    const results = logs.filter((e) => e.type === 'result' && e.name === 'SPAWN_AGENT');
    expect(results[0]?.value).toEqual({ pid: pid + 1 });
    expect(results[1]?.value).toEqual({ pid: pid + 1, replayed: true });
    expect(results[2]).toMatchObject({ ok: false, errno: 'EEXIST' });
    expect(results[2]?.message).toMatch(/task differs \("one" then, "two" now\)/);
  });
});
