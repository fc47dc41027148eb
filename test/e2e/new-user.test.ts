/**
 * What an outside tester scripts from the documentation: the README's quick start, then the CLI
 * contract (spawn --detach, ps, logs -f, kill, kernel stop|start|status) against a real daemon in
 * a temp AOS_HOME. Only documented behaviour is asserted.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../protocol/events.js';
import type { ProcRow } from '../../protocol/views.js';
import { jsonLines } from '../helpers/cli.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { waitForRows } from '../helpers/kernel-probe.js';

const TEST_TIMEOUT_MS = 60_000;
const call = (name: string, args: Record<string, unknown> = {}): string =>
  `[SYS_CALL::${name}] ${JSON.stringify(args)}`;
const CONTRACT_FIELDS = ['pid', 'ppid', 'name', 'state', 'model', 'turns', 'syscalls', 'tokens', 'cost'];
const EVENT_TYPES = ['state', 'prompt', 'request', 'model', 'syscall', 'result', 'message', 'error', 'retry'];

let t: TestHome | null = null;
afterEach(async () => {
  await t?.dispose();
  t = null;
});

function byName(rows: readonly ProcRow[]): Map<string, ProcRow> {
  return new Map(rows.map((r) => [r.name, r]));
}

function parseRows(stdout: string): ProcRow[] {
  return JSON.parse(stdout) as ProcRow[];
}

describe('a new user, from the README and the CLI contract', () => {
  it(
    'quick start: the example tape runs attached and exits 0; no model says how to set one',
    async () => {
      t = await makeHome();
      const human = await t.cli(['spawn', 'Show the loop', '--model', 'replay:examples/hello-loop.yaml']);
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout).toMatch(/^\[1 root\] spawned/);
      expect(human.stdout).toMatch(/\[1 root\] exited 0\n/);

      const json = await t.cli(['spawn', 'Show the loop', '--model', 'replay:examples/hello-loop.yaml', '--json']);
      expect(json.code, json.stderr).toBe(0);
      const events = jsonLines(json.stdout) as unknown as KernelEvent[];
      for (const e of events) {
        expect(e).toMatchObject({ ts: expect.any(String), pid: expect.any(Number) });
        expect(EVENT_TYPES).toContain(e.type);
      }
      // The second run is a new process tree: pids go on from the first run's.
      const rootPid = events[0]?.pid as number;
      expect(rootPid).toBeGreaterThan(1);
      expect(events.filter((e) => e.pid === rootPid).at(-1)).toMatchObject({ type: 'state', to: 'exited', code: 0 });
      // With bubblewrap here, memory works: the answer is recalled by meaning (the tape accepts either outcome, for machines without it).
      const recalled = events.find((e) => e.type === 'result' && e.name === 'MEM_READ');
      expect(recalled).toMatchObject({ ok: true });
      expect(JSON.stringify(recalled)).toContain('The note in demo/note.txt has 7 words.');
      for (const e of events.filter((ev) => ev.type === 'result')) {
        expect(e).toMatchObject({ name: expect.any(String), ok: expect.any(Boolean) });
        if (e.type === 'result' && !e.ok) expect(e.errno).toEqual(expect.any(String));
      }

      const noModel = await t.cli(['spawn', 'x'], { env: { AOS_MODEL: '' } });
      expect(noModel.code).toBe(1);
      expect(noModel.stderr).toContain('--model');
      expect(noModel.stderr).toContain('AOS_MODEL');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'spawn --detach several, ps, logs -f one to the end, kill a tree, kernel stop/start keeps every process as it was',
    async () => {
      t = await makeHome();
      const home = t;
      const model = await home.tape({
        worker: [
          call('FS_WRITE', { path: 'notes/hello.txt', content: 'hello' }),
          { expect: '"bytes":5', reply: call('SLEEP', { seconds: 6 }) },
          { expect: '"slept":6', reply: call('FS_READ', { path: 'notes/hello.txt' }) },
          { expect: '"content":"hello"', reply: call('SYS_EXIT', { code: 0, result: 'read hello' }) },
        ],
        family: [call('SPAWN_AGENT', { role: 'helper', name: 'helper' }), call('RECV_MSG', { timeout_s: 600 })],
        helper: [call('RECV_MSG', { timeout_s: 600 })],
        idle: [call('RECV_MSG', { timeout_s: 600 })],
        failer: [call('SYS_EXIT', { code: 4 })],
      });
      const names = ['worker', 'family', 'idle', 'failer'];
      const spawned = await Promise.all(
        names.map((name) => home.cli(['spawn', `be ${name}`, '--model', model, '--name', name, '--detach'])),
      );
      const pids = new Map<string, number>();
      spawned.forEach((run, i) => {
        expect(run, run.stderr).toMatchObject({ code: 0, stderr: '' });
        expect(run.stdout).toMatch(/^\d+\n$/);
        pids.set(names[i] as string, Number(run.stdout));
      });
      const pid = (name: string): number => pids.get(name) as number;

      // Let the first turns run (the family's child, the failer's exit) before looking.
      await waitForRows(home.home, (rows) => {
        const named = byName([...rows.values()]);
        return (
          ['family', 'helper', 'idle'].every((n) => named.get(n)?.state === 'blocked') &&
          named.get('failer')?.state === 'exited'
        );
      });
      const [table, listing] = await Promise.all([home.cli(['ps']), home.cli(['ps', '--json'])]);
      expect(table.code).toBe(0);
      const lines = table.stdout.trimEnd().split('\n');
      expect(lines[0]?.split(/\s+/)).toEqual([
        'PID',
        'PPID',
        'NAME',
        'STATE',
        'MODEL',
        'TURNS',
        'SYSCALLS',
        'TOKENS',
        'COST',
        'AGE',
      ]);
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
      expect(lines.find((l) => l.trimStart().startsWith(`${pid('idle')} `))).toMatch(/ idle +blocked /);
      const live = parseRows(listing.stdout);
      for (const row of live) for (const field of CONTRACT_FIELDS) expect(row).toHaveProperty(field);
      for (const row of live) expect(row.age_s).toEqual(expect.any(Number));
      const liveByName = byName(live);
      expect(liveByName.get('idle')).toMatchObject({ pid: pid('idle'), ppid: 0, state: 'blocked', model });
      expect(liveByName.get('helper')).toMatchObject({ ppid: pid('family') });
      // ps lists live processes; the failer has already ended.
      expect(liveByName.has('failer')).toBe(false);

      // logs -f follows the worker until it ends (exit 0); meanwhile kill takes a whole tree by default.
      const familyRow = liveByName.get('family') as ProcRow;
      const helperPid = (liveByName.get('helper') as ProcRow).pid;
      const [follow, killed] = await Promise.all([
        home.cli(['logs', '-f', String(pid('worker')), '--json'], { timeoutMs: 20_000 }),
        home.cli(['kill', String(familyRow.pid)]),
      ]);
      expect(follow.code, follow.stderr).toBe(0);
      const events = jsonLines(follow.stdout) as unknown as KernelEvent[];
      expect(events[0]).toMatchObject({ pid: pid('worker'), type: 'state', from: null, to: 'ready' });
      expect(events.at(-1)).toMatchObject({ pid: pid('worker'), type: 'state', to: 'exited', code: 0 });
      expect(events.filter((e) => e.type === 'result').map((e) => (e.type === 'result' ? [e.name, e.ok] : []))).toEqual(
        [
          ['FS_WRITE', true],
          ['SLEEP', true],
          ['FS_READ', true],
          ['SYS_EXIT', true],
        ],
      );
      expect(killed.code, killed.stderr).toBe(0);
      expect(killed.stdout.trim().split(/\s+/).sort()).toEqual(
        ['killed', String(familyRow.pid), String(helperPid)].sort(),
      );

      const before = parseRows((await home.cli(['ps', '--all', '--json'])).stdout);
      const beforeByName = byName(before);
      expect([...beforeByName.keys()].sort()).toEqual(['failer', 'family', 'helper', 'idle', 'worker']);
      expect(beforeByName.get('worker')).toMatchObject({ state: 'exited', exit_code: 0 });
      expect(beforeByName.get('failer')).toMatchObject({ state: 'exited', exit_code: 4 });
      expect(beforeByName.get('family')).toMatchObject({ state: 'killed', exit_code: 137 });
      expect(beforeByName.get('helper')).toMatchObject({ state: 'killed', exit_code: 137 });
      expect(beforeByName.get('idle')).toMatchObject({ state: 'blocked', exit_code: null });

      const daemon = await home.daemonPid();
      const stop = await home.cli(['kernel', 'stop']);
      expect(stop).toMatchObject({ code: 0, stdout: `kernel stopped (pid ${daemon})\n` });

      const start = await home.cli(['kernel', 'start']);
      expect(start.code, start.stderr).toBe(0);
      expect(start.stdout).toMatch(
        new RegExp(
          `^kernel started \\(pid \\d+, socket ${escape(path.join(home.home, 'kernel.sock'))}, workspace ${escape(home.env.AOS_WORKSPACE ?? '')}\\)\\n$`,
        ),
      );
      const [after, status] = await Promise.all([
        home.cli(['ps', '--all', '--json']),
        home.cli(['kernel', 'status', '--json']),
      ]);
      const keep = (rows: ProcRow[]) =>
        rows.map(({ pid: p, ppid, name, state, exit_code, exit_reason, model: m, turns, syscalls, created_at }) => ({
          pid: p,
          ppid,
          name,
          state,
          exit_code,
          exit_reason,
          model: m,
          turns,
          syscalls,
          created_at,
        }));
      expect(keep(parseRows(after.stdout))).toEqual(keep(before));

      expect(status.code, status.stderr).toBe(0);
      const stats = JSON.parse(status.stdout) as Record<string, unknown> & { processes: Record<string, number> };
      const newDaemon = await home.daemonPid();
      expect(newDaemon).not.toBe(daemon);
      expect(stats).toMatchObject({
        pid: newDaemon,
        socket: path.join(home.home, 'kernel.sock'),
        home: home.home,
        workspace: path.join(home.home, 'workspace'),
        version: expect.any(String),
        uptime_s: expect.any(Number),
        active_inferences: 0,
        max_inferences: expect.any(Number),
        queue_depth: 0,
        prompt_tokens: expect.any(Number),
        output_tokens: expect.any(Number),
        cost: expect.any(Number),
      });
      expect(stats.processes).toMatchObject({ ready: 0, running: 0, blocked: 1, sleeping: 0 });
    },
    TEST_TIMEOUT_MS,
  );
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
