import { afterEach, describe, expect, it } from 'vitest';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';
import { until as waitFor } from '../helpers/until.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('processes', () => {
  it('parent and worker talk over IPC; the parent reaps the worker with WAIT', async () => {
    h = await startHarness({
      root: [
        call('SPAWN_AGENT', { role: 'worker', task: 'say hi' }),
        { expect: '"pid":2', reply: call('RECV_MSG', { timeout_s: 5 }) },
        { expect: '"content":"hi from 2"', reply: call('WAIT', { pid: 2 }) },
        { expect: ['"exit_code":0', '"output":"done"'], reply: EXIT },
      ],
      worker: [
        { expect: 'say hi', reply: call('SEND_MSG', { to_pid: 1, content: 'hi from 2' }) },
        call('SYS_EXIT', { code: 0, result: 'done' }),
      ],
    });
    const root = await h.run();
    expect(root.exitCode).toBe(0);
    expect(h.kernel.pcb(2)?.ppid).toBe(1);
  });

  it('tells the parent about a child that exited while it was busy', async () => {
    h = await startHarness({
      root: [
        call('SPAWN_AGENT', { role: 'worker' }),
        call('SLEEP', { seconds: 0.2 }),
        { expect: ['[EVENT::CHILD_EXIT]', '"pid":2', '"output":"42"'], reply: EXIT },
      ],
      // The worker exits while the parent sleeps, not before the parent's next turn.
      worker: [call('SLEEP', { seconds: 0.05 }), call('SYS_EXIT', { result: '42' })],
    });
    expect((await h.run()).exitCode).toBe(0);
  });

  it('delivers a message sent while the receiver was busy as an event and through RECV_MSG', async () => {
    h = await startHarness({
      root: [
        call('SPAWN_AGENT', { role: 'worker' }),
        call('SLEEP', { seconds: 0.3 }),
        { expect: ['[EVENT::MESSAGE]', 'ping'], reply: call('RECV_MSG', { timeout_s: 1 }) },
        { expect: '"content":"ping"', reply: EXIT },
      ],
      worker: [call('SLEEP', { seconds: 0.05 }), call('SEND_MSG', { to_pid: 1, content: 'ping' }), EXIT],
    });
    expect((await h.run()).exitCode).toBe(0);
  });

  it('kills a process blocked in RECV_MSG promptly, and the kill is an event', async () => {
    h = await startHarness({ root: [call('RECV_MSG', { timeout_s: 3600 })] });
    const pcb = await h.spawn();
    await waitFor(() => h?.kernel.pcb(pcb.pid)?.state === 'blocked');
    expect(h.kernel.kill(pcb.pid)).toEqual([pcb.pid]);
    const ended = await h.kernel.waitExit(pcb.pid);
    expect(ended.state).toBe('killed');
    expect(ended.exitCode).toBe(137);
    expect(h.eventsOf(pcb.pid, 'state').at(-1)).toMatchObject({ from: 'blocked', to: 'killed' });
  });

  it('kills the whole subtree by default, and only the target with tree:false', async () => {
    const forever = call('RECV_MSG', { timeout_s: 3600 });
    h = await startHarness({
      root: [call('SPAWN_AGENT', { role: 'mid' }), forever],
      mid: [call('SPAWN_AGENT', { role: 'leaf' }), forever],
      leaf: [forever],
    });
    const root = await h.spawn();
    await waitFor(() => [1, 2, 3].every((pid) => h?.kernel.pcb(pid)?.state === 'blocked'));
    expect(h.kernel.kill(3, { tree: false })).toEqual([3]);
    expect(h.kernel.pcb(2)?.state).toBe('blocked');
    expect(h.kernel.kill(root.pid).sort()).toEqual([1, 2]);
    await h.kernel.waitExit(2);
    expect(h.kernel.pcb(2)?.exitReason).toBe('killed with its ancestor 1');
  });

  it('gives a child only what its parent holds, even when it asks for more', async () => {
    h = await startHarness(
      {
        root: [
          call('SPAWN_AGENT', { role: 'greedy', permissions: ['fs.read:/**', 'fs.write:/**', 'exec'] }),
          call('WAIT', { pid: 2 }),
          EXIT,
        ],
        greedy: [
          call('FS_WRITE', { path: 'pub/x.txt', content: 'x' }),
          { expect: '"errno":"EPERM"', reply: call('SPAWN_AGENT', { role: 'grandchild' }) },
          { expect: '"errno":"EPERM"', reply: call('FS_READ', { path: 'pub/readme.txt' }) },
          { expect: '"errno":"EPERM"', reply: EXIT },
        ],
      },
      { rootCapabilities: ['fs.read:/pub/**', 'spawn', 'ipc'] },
    );
    const root = await h.run();
    expect(root.exitCode).toBe(0);
    expect(h.kernel.pcb(2)?.capabilities).toEqual([]);
    expect(h.kernel.pcb(2)?.exitCode).toBe(0);
  });

  it('narrows a child to a sub-path of its parent', async () => {
    h = await startHarness(
      {
        root: [
          call('SPAWN_AGENT', { role: 'reader', permissions: ['fs.read:/pub/docs/**', 'fs.read:/secret/**'] }),
          call('WAIT', {}),
          EXIT,
        ],
        reader: [EXIT],
      },
      { rootCapabilities: ['fs.read:/pub/**', 'spawn'] },
    );
    await h.run();
    expect(h.kernel.pcb(2)?.capabilities).toEqual(['fs.read:/pub/docs/**']);
  });

  it('pipes a child stdout into its parent stdin', async () => {
    h = await startHarness({
      root: [
        call('SPAWN_AGENT', { role: 'producer', pipe_to: 'parent' }),
        call('SYS_READ_STDIN', { timeout_s: 5 }),
        { expect: '"text":"line 1\\n"', reply: EXIT },
      ],
      producer: [call('SYS_WRITE_STDOUT', { text: 'line 1\n' }), EXIT],
    });
    expect((await h.run()).exitCode).toBe(0);
  });

  it('takes stdin from outside (aos send)', async () => {
    h = await startHarness({
      root: [call('SYS_READ_STDIN', { timeout_s: 5 }), { expect: '"text":"from the user"', reply: EXIT }],
    });
    const pcb = await h.spawn();
    await waitFor(() => h?.kernel.pcb(pcb.pid)?.state === 'blocked');
    h.kernel.send(pcb.pid, 'from the user');
    expect((await h.kernel.waitExit(pcb.pid)).exitCode).toBe(0);
  });

  it('wakes a blocked process with EINTR when its timer fires, and delivers the timer prompt', async () => {
    h = await startHarness({
      root: [
        `${call('SYS_SCHEDULE', { seconds: 1, prompt: 'check the queue' })}\n${call('RECV_MSG', { timeout_s: 60 })}`,
        { expect: ['"errno":"EINTR"', '[EVENT::TIMER]', 'check the queue'], reply: EXIT },
      ],
    });
    expect((await h.run()).exitCode).toBe(0);
  });

  it('times out a blocking call with ETIMEDOUT', async () => {
    h = await startHarness({
      root: [call('RECV_MSG', { timeout_s: 0.05 }), { expect: '"errno":"ETIMEDOUT"', reply: EXIT }],
    });
    expect((await h.run()).exitCode).toBe(0);
  });

  it('refuses WAIT on a process that is not a child, and IPC across trees', async () => {
    h = await startHarness({
      root: [
        call('WAIT', { pid: 99 }),
        { expect: 'ECHILD', reply: call('SEND_MSG', { to_pid: 1, content: 'x' }) },
        { expect: 'EPERM', reply: EXIT },
      ],
      other: [call('RECV_MSG', { timeout_s: 5 })],
    });
    const other = await h.spawn({ name: 'other' });
    const root = await h.run();
    expect(other.pid).toBe(1);
    expect(root.exitCode).toBe(0);
  });
});
