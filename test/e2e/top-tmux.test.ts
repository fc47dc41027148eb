/**
 * `aos top` in a real terminal: tmux runs the dashboard against a real daemon in a temp AOS_HOME,
 * the test reads the screen with capture-pane and types with send-keys, as a person would.
 * Skipped (with a message) when tmux is not installed.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProcRow } from '../../protocol/views.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { hasTmux, TopSession } from '../helpers/top-session.js';

const TEST_TIMEOUT_MS = 60_000;
const BLOCK = '[SYS_CALL::RECV_MSG] {"timeout_s": 600}';

const TMUX = hasTmux();
if (!TMUX) console.warn('skipping the aos top tmux tests: tmux is not on PATH (apt-get install -y tmux)');

let t: TestHome | null = null;
let session: TopSession | null = null;
afterEach(async () => {
  await session?.dispose();
  session = null;
  await t?.dispose();
  t = null;
});

/** Spawn blocked processes at once; returns their pids in pid order with their names. */
async function spawnBlocked(home: TestHome, names: string[]): Promise<Array<{ pid: number; name: string }>> {
  const model = await home.tape(Object.fromEntries(names.map((n) => [n, [BLOCK]])));
  const runs = await Promise.all(
    names.map((name) => home.cli(['spawn', '--model', model, '--name', name, '--detach', '--json'])),
  );
  const procs = runs.map((r, i) => {
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    return { pid: (JSON.parse(r.stdout) as { pid: number }).pid, name: names[i] as string };
  });
  return procs.sort((a, b) => a.pid - b.pid);
}

/** The table row of a pid: `>` marks the selection, then PID first (PPID is dropped when narrow). */
function rowOf(screen: string, pid: number): { selected: boolean; line: string } | null {
  const line = screen.split('\n').find((l) => new RegExp(`^[> ] *${pid} `).test(l));
  return line === undefined ? null : { selected: line.startsWith('>'), line };
}

function showsRow(screen: string, pid: number, name: string, state: string): boolean {
  const row = rowOf(screen, pid);
  return row !== null && new RegExp(`\\s${name}\\s+${state}\\s`).test(row.line);
}

async function psJson(home: TestHome, all = false): Promise<ProcRow[]> {
  const ps = await home.cli(all ? ['ps', '--all', '--json'] : ['ps', '--json']);
  expect(ps.code, ps.stderr).toBe(0);
  return JSON.parse(ps.stdout) as ProcRow[];
}

describe.skipIf(!TMUX)('aos top under tmux, against a real daemon', () => {
  it(
    '100x30: shows the processes, j moves the selection, K then y kills one, q quits with 0',
    async () => {
      t = await makeHome();
      const procs = await spawnBlocked(t, ['alpha', 'beta', 'gamma']);
      const [first, second, third] = procs as [(typeof procs)[0], (typeof procs)[0], (typeof procs)[0]];
      session = new TopSession(t);
      await session.start(100, 30);

      const shown = await session.waitScreen(
        (s) => procs.every((p) => showsRow(s, p.pid, p.name, 'blocked')) && /1\/3\s*$/m.test(s),
        'the three blocked processes',
      );
      expect(shown.split('\n')[0]).toMatch(/^aos top {2}up /);
      expect(shown).toMatch(/procs 3: 0 ready 0 running 3 blocked 0 sleeping 0 exited 0 killed/);
      expect(shown).toMatch(/^ +PID↑ +PPID +NAME +STATE +MODEL +TURNS +SYSCALLS +TOKENS/m);
      expect(rowOf(shown, first.pid)?.selected).toBe(true);
      expect(rowOf(shown, second.pid)?.selected).toBe(false);
      for (const line of shown.split('\n')) expect(line.length).toBeLessThanOrEqual(100);

      await session.keys('j');
      const moved = await session.waitScreen(
        (s) => rowOf(s, second.pid)?.selected === true && /2\/3\s*$/m.test(s),
        'the selection to move to the second process',
      );
      expect(rowOf(moved, first.pid)?.selected).toBe(false);
      // Key repeat: several moves arriving in one read ("jj") each count (Ink hands them over as one string).
      await session.keys('k');
      await session.waitScreen(
        (s) => rowOf(s, first.pid)?.selected === true && /1\/3\s*$/m.test(s),
        'the selection back on the first',
      );
      await session.keys('jj');
      await session.waitScreen(
        (s) => rowOf(s, third.pid)?.selected === true && /3\/3\s*$/m.test(s),
        'two moves from one read',
      );
      await session.keys('k');
      await session.waitScreen(
        (s) => rowOf(s, second.pid)?.selected === true && /2\/3\s*$/m.test(s),
        'the selection on the second',
      );
      // The log pane follows the selection.
      await session.waitScreen(
        (s) => s.includes(`log ${second.pid} ${second.name}`) && s.includes(`[${second.pid} ${second.name}] spawned`),
        'the log pane of the selection',
      );

      await session.keys('K');
      await session.waitScreen(
        (s) => s.includes(`kill ${second.pid} (${second.name}) and its subtree? y/n`),
        'the kill question',
      );
      await session.keys('y');
      const after = await session.waitScreen(
        (s) => s.includes(`killed ${second.pid}`) && rowOf(s, second.pid) === null && /1 killed/.test(s),
        'the killed process to leave the live table',
      );
      expect(showsRow(after, first.pid, first.name, 'blocked')).toBe(true);
      expect(showsRow(after, third.pid, third.name, 'blocked')).toBe(true);

      const [live, all] = await Promise.all([psJson(t), psJson(t, true)]);
      expect(live.map((r) => r.pid)).toEqual([first.pid, third.pid]);
      expect(all.find((r) => r.pid === second.pid)).toMatchObject({ state: 'killed', exit_code: 137 });

      await session.keys('q');
      expect(await session.exitCode()).toBe('0');
      expect(await session.alive()).toBe(false);
      // Quitting the dashboard touches no process.
      expect((await psJson(t)).map((r) => r.pid)).toEqual([first.pid, third.pid]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    '80x24: the screen fits, n cancels a kill, l toggles the log view, q quits',
    async () => {
      t = await makeHome();
      const procs = await spawnBlocked(t, ['alpha', 'a-long-process-name-that-must-be-cut']);
      const [first, second] = procs as [(typeof procs)[0], (typeof procs)[0]];
      session = new TopSession(t);
      await session.start(80, 24);

      const shown = await session.waitScreen(
        (s) => procs.every((p) => rowOf(s, p.pid)?.line.includes('blocked')) && /1\/2\s*$/m.test(s),
        'the two blocked processes',
      );
      const lines = shown.split('\n');
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
      expect(lines[0]).toMatch(/^aos top {2}up /);
      // The trend sparklines end the third line (sampled from the first snapshot on).
      expect(lines[2]).toMatch(/^infer .* tok\/s +[▁▂▃▄▅▆▇█]+ {2}spend +[▁▂▃▄▅▆▇█]*$/);
      // Narrow: the least important columns (PPID first) give way; PID, NAME and STATE stay.
      expect(shown).toMatch(/^ +PID↑ +NAME +STATE +MODEL/m);
      // Each process is one row (no wrapping): the long name is cut with an ellipsis.
      const long = procs.find((p) => p.name.startsWith('a-long')) as (typeof procs)[0];
      // Cut in the middle: both ends of the name stay.
      expect(rowOf(shown, long.pid)?.line).toMatch(/ a-lon\S*…\S*-cut +blocked /);
      expect(rowOf(shown, long.pid)?.line).not.toContain(long.name);
      expect(shown).toMatch(/q quit/);

      await session.keys('j');
      await session.waitScreen((s) => rowOf(s, second.pid)?.selected === true, 'the selection on the second');
      await session.keys('K');
      await session.waitScreen(
        (s) => s.includes(`kill ${second.pid} (${second.name}) and its subtree? y/n`),
        'the kill question',
      );
      await session.keys('n');
      await session.waitScreen((s) => /q quit/.test(s) && !s.includes('y/n'), 'the question to go away');
      expect((await psJson(t)).map((r) => [r.pid, r.state])).toEqual([
        [first.pid, 'blocked'],
        [second.pid, 'blocked'],
      ]);

      await session.keys('l');
      const logs = await session.waitScreen(
        (s) => s.includes(`[${second.pid} ${second.name}] spawned`) && rowOf(s, first.pid) === null,
        'the full-screen log of the selection',
      );
      expect(logs).toContain(`follow ${second.pid} ${second.name} blocked`);
      expect(logs).toMatch(new RegExp(`^\\[${second.pid} [^\\]]+\\] running → blocked`, 'm'));
      for (const line of logs.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
      await session.keys('l');
      await session.waitScreen(
        (s) => rowOf(s, first.pid) !== null && rowOf(s, second.pid)?.selected === true,
        'the table again',
      );

      await session.keys('q');
      expect(await session.exitCode()).toBe('0');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    '80x24: u lists the units with their next run; a run by hand shows as the last one',
    async () => {
      t = await makeHome();
      const model = await t.tape({ nightly: [BLOCK] });
      const file = path.join(t.home, 'nightly.yaml');
      await writeFile(
        file,
        `name: nightly\ndescription: tidy at night\ntask: tidy up\nmodel: ${model}\ntriggers: [{cron: "0 3 * * *", tz: UTC}]\n`,
      );
      const added = await t.cli(['unit', 'add', file, '--yes']);
      expect(added.code, added.stderr).toBe(0);
      session = new TopSession(t);
      await session.start(80, 24);
      await session.waitScreen((s) => /PID↑/.test(s), 'the table');
      await session.keys('u');
      const units = await session.waitScreen(
        (s) => /units 1 +\(u or Esc: back/.test(s) && /nightly +enabled/.test(s),
        'the units view',
      );
      expect(units).toMatch(/nightly +enabled +cron 0 3 \* \* \* UTC +in \d+[mh] +never +0 +0/);
      for (const line of units.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
      const run = await t.cli(['unit', 'run', 'nightly', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const { pid } = JSON.parse(run.stdout) as { pid: number };
      // The firing is pushed: the view reads the list again and shows the run going and as the last one.
      await session.waitScreen(
        (s) => new RegExp(`nightly +running ${pid} .* started ${pid}, \\d+s ago +1 +0`).test(s),
        'the run by hand',
      );
      await session.keys('u');
      await session.waitScreen((s) => rowOf(s, pid) !== null, 'the table with the run');
      await session.keys('q');
      expect(await session.exitCode()).toBe('0');
    },
    TEST_TIMEOUT_MS,
  );
});
