import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { App, type AppProps } from '../../../cmd/top/app.js';
import { ev, FakeTopSource, row, stats } from '../../fakes/top-source.js';

const timing = { batchMs: 1, historyDelayMs: 0, refreshMs: 0, costRefreshMs: 0 };
const settle = (ms = 40): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Ink renders asynchronously: an assertion about the screen holds once the render caught up (never a fixed sleep). */
const eventually = (assertion: () => void): Promise<void> => vi.waitFor(assertion, { timeout: 5000, interval: 10 });

function source(): FakeTopSource {
  const now = Date.now();
  return new FakeTopSource(
    [
      row(1, {
        name: 'root',
        state: 'running',
        tokens: 500,
        turns: 3,
        syscalls: 4,
        cost: 0.002,
        created_at: now - 192_000,
      }),
      row(2, {
        name: 'worker',
        ppid: 1,
        state: 'blocked',
        tokens: 90_000,
        cost: 0.5,
        model: 'gemini:gemini-2.5-flash',
        created_at: now - 5000,
      }),
      row(3, { name: 'writer', ppid: 1, state: 'ready', tokens: 1200, created_at: now - 60_000 }),
      row(4, { name: 'done', state: 'exited', exit_code: 0, created_at: now - 9000, ended_at: now - 1000 }),
    ],
    stats({ processes: { ready: 1, running: 1, blocked: 1, sleeping: 0, exited: 1, killed: 0 } }),
    [
      ev({ type: 'model', pid: 1, turn: 0, text: 'root is planning', usage: { prompt: 10, output: 5 } }),
      ev({ type: 'result', pid: 1, turn: 0, seq: 0, name: 'FS_WRITE', ok: true, value: { bytes: 2 } }),
      ev({ type: 'model', pid: 2, turn: 0, text: 'worker is fetching' }),
      ev({
        type: 'result',
        pid: 2,
        turn: 0,
        seq: 0,
        name: 'NET_FETCH',
        ok: false,
        errno: 'EACCES',
        message: 'host not allowed',
      }),
    ],
  );
}

async function mount(fake: FakeTopSource, props: Partial<AppProps> = {}) {
  const onExit = vi.fn();
  const app = render(
    <App source={fake} width={80} height={24} color={false} timing={timing} onExit={onExit} {...props} />,
  );
  // A key written before Ink has attached its input listener (an effect, later on a busy machine) is lost.
  await vi.waitFor(() => expect(app.stdin.listenerCount('readable')).toBeGreaterThan(0), {
    timeout: 5000,
    interval: 5,
  });
  await settle();
  const frame = (): string => app.lastFrame() ?? '';
  const press = async (keys: string): Promise<void> => {
    app.stdin.write(keys);
    await settle();
  };
  const selectedLine = (): string =>
    frame()
      .split('\n')
      .find((l) => l.startsWith('>')) ?? '';
  return { ...app, onExit, frame, press, selectedLine };
}

afterEach(() => cleanup());

describe('aos top', () => {
  it('shows the kernel totals and one row per live process within 80x24', async () => {
    const { frame } = await mount(source());
    const lines = frame().split('\n');
    expect(lines.length).toBeLessThanOrEqual(23);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    const text = frame();
    for (const part of [
      'up 3m12s',
      'tokens 1.2k',
      'tok/s 0',
      'cost $0.0123',
      'rss 45 MiB',
      'procs 4: 1 ready 1 running 1 blocked',
      'infer 1/8',
      'queue 3',
      'limits —',
    ]) {
      await eventually(() => expect(text).toContain(part));
    }
    await eventually(() => expect(text).toMatch(/PID↑ NAME +STATE +MODEL +TURNS +TOKENS +TOK\/S +COST +AGE/));
    await eventually(() => expect(text).toMatch(/1 root +running +demo +3 +500 +0 +\$0\.0020 +3m1\ds/));
    await eventually(() => expect(text).toMatch(/2 worker +blocked +gemini-… .*90\.0k .*\$0\.5000/));
    await eventually(() => expect(text).not.toContain('done'));
  });

  it('shows rate-limit headroom when the kernel reports it', async () => {
    const fake = source();
    fake.kernelStats = stats({ rate_limits: [{ provider: 'gemini', rpm_left: 58, tpm_left: 1_200_000 }] });
    const { frame } = await mount(fake);
    await eventually(() => expect(frame()).toContain('limits gemini rpm 58 tpm 1.2M'));
  });

  it("shows each provider's in-flight/limit, queue and headroom when the kernel reports them", async () => {
    const fake = source();
    const base = { adaptive: true, queued: 0, retrying: 0, rpm_left: null, tpm_left: null, throttled: 0 };
    fake.kernelStats = stats({
      providers: [
        { ...base, provider: 'openai', limit: 48, in_flight: 12, queued: 3, rpm_left: 58 },
        { ...base, provider: 'replay', limit: null, adaptive: false, in_flight: 2 },
      ],
    });
    const { frame } = await mount(fake);
    expect(frame()).toContain('limits openai 12/48 auto q3 rpm 58, replay 2/∞');
  });

  it('moves the selection with j/k and the arrow keys', async () => {
    const { press, selectedLine } = await mount(source());
    await eventually(() => expect(selectedLine()).toMatch(/^> +1 root/));
    await press('j');
    await eventually(() => expect(selectedLine()).toMatch(/^> +2 worker/));
    await press('\u001b[B');
    await eventually(() => expect(selectedLine()).toMatch(/^> +3 writer/));
    await press('j');
    await eventually(() => expect(selectedLine()).toMatch(/^> +3 writer/));
    await press('k');
    await press('\u001b[A');
    await eventually(() => expect(selectedLine()).toMatch(/^> +1 root/));
  });

  it('asks before killing, and kills the subtree only on y', async () => {
    const fake = source();
    const { press, frame } = await mount(fake);
    await press('j');
    await press('K');
    await eventually(() => expect(frame()).toContain('kill 2 (worker) and its subtree? y/n'));
    await press('n');
    await eventually(() => expect(frame()).not.toContain('and its subtree?'));
    await eventually(() => expect(fake.kills).toEqual([]));
    await press('x');
    await eventually(() => expect(frame()).toContain('kill 2 (worker) and its subtree? y/n'));
    await press('j');
    await eventually(() => expect(fake.kills).toEqual([]));
    await press('y');
    await eventually(() => expect(fake.kills).toEqual([[2, true]]));
    await eventually(() => expect(frame()).toContain('killed 2'));
  });

  it('cycles the sort order with s', async () => {
    const { press, frame } = await mount(source());
    const order = (): string[] =>
      frame()
        .split('\n')
        .filter((l) => /^[> ] +\d+ /.test(l))
        .map((l) => l.trim().replace(/^> */, '').split(/ +/)[1] ?? '');
    await eventually(() => expect(order()).toEqual(['root', 'worker', 'writer']));
    await press('s');
    await eventually(() => expect(frame()).toContain('sort:tokens'));
    await eventually(() => expect(order()).toEqual(['worker', 'writer', 'root']));
    for (const key of ['tok/s', 'cost', 'state', 'age', 'pid']) {
      await press('s');
      await eventually(() => expect(frame()).toContain(`sort:${key}`));
    }
    await eventually(() => expect(order()).toEqual(['root', 'worker', 'writer']));
  });

  it("shows the selected process's log and follows it live", async () => {
    const fake = source();
    const { press, frame } = await mount(fake);
    await eventually(() => expect(frame()).toContain('log 1 root running'));
    await eventually(() => expect(frame()).toContain('[1 root] turn 0 root is planning'));
    await eventually(() => expect(frame()).toContain('[1 root] ✓ FS_WRITE {"bytes":2}'));
    await eventually(() => expect(frame()).not.toContain('worker is fetching'));
    await press('j');
    await eventually(() => expect(frame()).toContain('[2 worker] ✗ NET_FETCH EACCES host not allowed'));
    await eventually(() => expect(frame()).not.toContain('root is planning'));
    fake.emit(ev({ type: 'model', pid: 2, turn: 1, text: 'a live reply', usage: { prompt: 100, output: 10 } }));
    fake.emit(ev({ type: 'model', pid: 3, turn: 0, text: 'not shown' }));
    await settle();
    await eventually(() => expect(frame()).toContain('[2 worker] turn 1 a live reply'));
    await eventually(() => expect(frame()).not.toContain('not shown'));
    await eventually(() => expect(frame()).toMatch(/2 worker +blocked .* 90\.1k/));
  });

  it('toggles a full-height follow view with l and Enter', async () => {
    const { press, frame } = await mount(source());
    await press('l');
    await eventually(() => expect(frame()).not.toContain('PID↑ NAME'));
    await eventually(() => expect(frame()).toContain('follow 1 root running'));
    await press('l');
    await eventually(() => expect(frame()).toContain('PID↑ NAME'));
    await press('\r');
    await eventually(() => expect(frame()).toContain('follow 1 root'));
  });

  it('fetches the row of a process it has just seen spawn', async () => {
    const fake = source();
    const { frame } = await mount(fake);
    fake.rows.push(
      row(5, { name: 'critic', ppid: 1, turns: 2, model: 'replay:/t/critic.yaml', created_at: Date.now() }),
    );
    fake.emit(
      ev({ type: 'state', pid: 5, from: null, to: 'ready', name: 'critic', ppid: 1, model: 'replay:/t/critic.yaml' }),
    );
    await settle();
    await eventually(() => expect(fake.processCalls).toContain(false));
    await eventually(() => expect(frame()).toMatch(/5 critic +ready +critic +2 .* 0s$/m));
  });

  it('does not count twice an event that raced a refresh (the reply already includes it)', async () => {
    const fake = source();
    const { frame } = await mount(fake, { width: 100 });
    const processes = fake.processes.bind(fake);
    fake.processes = async (all) => {
      fake.emit(ev({ type: 'syscall', pid: 1, turn: 3, seq: 0, name: 'FS_READ', args: {} }));
      fake.rows[0] = { ...row(1), ...fake.rows[0], syscalls: 5 };
      return processes(all);
    };
    fake.emit(ev({ type: 'state', pid: 5, from: null, to: 'ready', name: 'critic' }));
    await settle(80);
    await eventually(() => expect(frame()).toMatch(/1 +- +root +running +demo +3 +5 /));
  });

  it('shows ended processes after a', async () => {
    const fake = source();
    const { press, frame } = await mount(fake);
    await press('a');
    await eventually(() => expect(fake.processCalls).toContain(true));
    await eventually(() => expect(frame()).toMatch(/4 done +exited/));
    await press('a');
    await eventually(() => expect(frame()).not.toMatch(/4 done/));
  });

  it('shows a banner instead of crashing when the kernel goes away, and quits with 2', async () => {
    const fake = source();
    const { press, frame, onExit } = await mount(fake);
    fake.handlers?.onError(new Error('socket closed'));
    await settle();
    await eventually(() => expect(frame()).toContain('kernel unreachable: socket closed'));
    await eventually(() => expect(frame()).toContain('1 root'));
    await press('q');
    await eventually(() => expect(onExit).toHaveBeenCalledWith(2));
    await eventually(() => expect(fake.unsubscribed).toBe(1));
  });

  it('shows the banner when the first snapshot fails, and retries on r', async () => {
    const fake = source();
    const snapshot = fake.snapshot.bind(fake);
    fake.snapshot = () => Promise.reject(new Error('connect ENOENT /tmp/aos/kernel.sock'));
    const { press, frame } = await mount(fake);
    await eventually(() => expect(frame()).toContain('kernel unreachable: connect ENOENT /tmp/aos/kernel.sock'));
    fake.snapshot = snapshot;
    await press('r');
    await eventually(() => expect(frame()).not.toContain('kernel unreachable'));
    await eventually(() => expect(frame()).toContain('1 root'));
  });

  it('quits with 0 on q and on Ctrl-C', async () => {
    const first = await mount(source());
    await first.press('q');
    await eventually(() => expect(first.onExit).toHaveBeenCalledWith(0));
    const second = await mount(source());
    await second.press('\u0003');
    await eventually(() => expect(second.onExit).toHaveBeenCalledWith(0));
  });

  it('? shows every key in place of the table, and Esc brings the table back', async () => {
    const { frame, press } = await mount(source());
    await eventually(() => expect(frame()).toContain('PID↑ NAME'));
    expect(frame()).toContain('? keys');
    await press('?');
    await eventually(() => expect(frame()).toContain(' keys'));
    expect(frame()).toMatch(/d +describe the selected process/);
    expect(frame()).toMatch(/s +sort by the next column/);
    expect(frame()).not.toContain('PID↑ NAME');
    await press('\u001b');
    await eventually(() => expect(frame()).toContain('PID↑ NAME'));
  });

  it('d describes the selected process as aos inspect does, and follows the selection', async () => {
    const fake = source();
    const { frame, press } = await mount(fake);
    await eventually(() => expect(frame()).toContain('PID↑ NAME'));
    await press('d');
    await eventually(() => expect(frame()).toMatch(/describe 1 root +\(d or Esc: back\)/));
    await eventually(() => expect(frame()).toMatch(/task +the task of root/));
    expect(frame()).toMatch(/caps +fs\.read:\/\*\* ipc/);
    expect(frame()).toMatch(/limits +50 turns, tokens none, cost \$2\.00/);
    await press('j');
    await eventually(() => expect(frame()).toMatch(/task +the task of worker/));
    // Read again only for the process selected (a slow run may add a timed re-read of one of them).
    expect(fake.inspectCalls.filter((p, i, all) => p !== all[i - 1])).toEqual([1, 2]);
    // Its row moves (a turn ended): read again, not only on a change of state.
    const before = fake.inspectCalls.length;
    fake.publish({ pid: 2, type: 'model', turn: 0, text: 'hello', usage: { prompt: 10, output: 5 } });
    await eventually(() => expect(fake.inspectCalls.length).toBeGreaterThan(before));
    expect(fake.inspectCalls.at(-1)).toBe(2);
    await press('d');
    await eventually(() => expect(frame()).toContain('PID↑ NAME'));
  });

  it('u lists the units with their next run and last run, read again when one fires', async () => {
    const fake = source();
    const now = Date.now();
    const unit = {
      description: null,
      enabled: true,
      queued: 0,
      skips: 0,
      live: [] as number[],
      last: null,
      runs: 0,
      failing: 0,
    };
    fake.unitRows = [
      { ...unit, name: 'nightly', triggers: ['cron 0 3 * * * UTC'], next_run: now + 2 * 3600_000 + 60_000 },
      { ...unit, name: 'inbox', triggers: ['watch inbox/**'], next_run: null, enabled: false },
    ];
    const { frame, press } = await mount(fake);
    await eventually(() => expect(frame()).toContain('PID↑ NAME'));
    await press('u');
    await eventually(() => expect(frame()).toMatch(/units 2 +\(u or Esc: back/));
    expect(frame()).toMatch(/NAME +STATE +TRIGGERS +NEXT +LAST +RUNS +SKIPS/);
    expect(frame()).toMatch(/nightly +enabled +cron 0 3 \* \* \* UTC +in 2h +never +0 +0/);
    expect(frame()).toMatch(/inbox +disabled +watch inbox\/\*\* +— +never/);
    expect(frame()).not.toContain('PID↑ NAME');
    // A firing: the list is read again and shows the run.
    const first = fake.unitRows[0];
    if (first)
      Object.assign(first, {
        runs: 1,
        live: [7],
        last: {
          id: 1,
          unit: 'nightly',
          trigger: 'by hand',
          scheduled_for: null,
          fired_at: now,
          pid: 7,
          outcome: 'started',
          reason: null,
          end: null,
        },
      });
    fake.publish({ type: 'trigger', pid: 7, unit: 'nightly', trigger: 'by hand', outcome: 'started' });
    await eventually(() => expect(frame()).toMatch(/nightly +running 7 +cron .* started 7, \d+s ago +1 +0/));
    await press('\u001b');
    await eventually(() => expect(frame()).toContain('PID↑ NAME'));
    await press('u');
    await eventually(() => expect(frame()).toContain('units 2'));
    await press('u');
    await eventually(() => expect(frame()).toContain('PID↑ NAME'));
  });

  it('scrolls when there are more processes than lines', async () => {
    const fake = new FakeTopSource(
      Array.from({ length: 40 }, (_, i) => row(i + 1)),
      stats(),
    );
    const { press, frame, selectedLine } = await mount(fake);
    await eventually(() => expect(frame()).toContain('1/40'));
    await press('\u001b[6~');
    await press('\u001b[6~');
    await eventually(() => expect(selectedLine()).toMatch(/^> +25 p25/));
    await eventually(() => expect(frame()).not.toMatch(/^ +1 p1 /m));
    await eventually(() => expect(frame()).toContain('25/40'));
    await eventually(() => expect(frame().split('\n').length).toBeLessThanOrEqual(23));
  });

  it('t shows children under their parents; / filters by name, model or status as you type', async () => {
    const fake = source();
    fake.rows.push(
      row(5, { name: 'grandchild', ppid: 2, state: 'blocked', wait: 'child 9', created_at: Date.now() - 1000 }),
    );
    const { frame, press } = await mount(fake);
    // NAME and STATE have the room: nothing of either is cut at 80 columns.
    await eventually(() => expect(frame()).toMatch(/5 grandchild +blocked \(child 9\) /));
    await press('t');
    await eventually(() => {
      const names = frame()
        .split('\n')
        .filter((l) => /^[> ] +\d+ /.test(l))
        .map((l) => l.slice(7, 18).trimEnd());
      expect(names).toEqual(['root', '└ worker', '  └ gra…ild', '└ writer']);
    });
    expect(frame()).toMatch(/gra…ild +blocked \(child 9\)/);
    await press('jj');
    await eventually(() => expect(frame()).toMatch(/── log 5 grandchild blocked \(child 9\) ─/));
    await press('/');
    await press('gemini');
    await eventually(() => expect(frame()).toContain('/gemini▏'));
    await eventually(() =>
      expect(
        frame()
          .split('\n')
          .filter((l) => /^[> ] +\d+ /.test(l)),
      ).toHaveLength(1),
    );
    await press('\r');
    await eventually(() => expect(frame()).toContain('/gemini  (/ to change)'));
    await press('/');
    await press('\u001b');
    await eventually(() =>
      expect(
        frame()
          .split('\n')
          .filter((l) => /^[> ] +\d+ /.test(l)),
      ).toHaveLength(4),
    );
  });
});
