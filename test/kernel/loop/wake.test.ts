/**
 * A blocked call goes on in the stack that wakes it (sys/waking.ts): its result is there before
 * any microtask queued at the wake runs. Through plain promises it went round the microtask queue
 * several times, each behind every other process's queued work (WAIT p50 0.5 ms with 1,000 agents).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { currentPid } from '../../../sys/blame.js';
import type { KernelEvent } from '../../../protocol/events.js';
import { call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const isBlocked = (pid: number) => (): void => {
  expect(h?.eventsOf(pid, 'state').some((e) => e.type === 'state' && (e.to === 'blocked' || e.to === 'sleeping'))).toBe(
    true,
  );
};

describe('a woken call goes on at once', () => {
  it('SYS_READ_STDIN: the result is emitted before send() returns, as the woken process', async () => {
    h = await startHarness({
      root: [call('SYS_READ_STDIN', { timeout_s: 30 }), { expect: '"text":"go"', reply: EXIT }],
    });
    const pcb = await h.spawn();
    await vi.waitFor(isBlocked(pcb.pid), { timeout: 5000, interval: 5 });
    let blamed: number | null | undefined;
    const off = h.kernel.events.subscribe((e) => {
      if (e.type === 'result' && e.name === 'SYS_READ_STDIN') blamed = currentPid();
    });
    h.kernel.send(pcb.pid, 'go');
    off();
    expect(h.results(pcb.pid).map((r) => `${r.name}:${r.ok}`)).toEqual(['SYS_READ_STDIN:true']);
    // A crash in what the woken process does next is charged to it, not to whoever woke it.
    expect(blamed).toBe(pcb.pid);
    expect((await h.kernel.waitExit(pcb.pid)).exitCode).toBe(0);
  });

  it('WAIT: the parent’s result comes before any microtask queued at the child’s exit', async () => {
    h = await startHarness({
      root: [
        call('SPAWN_AGENT', { role: 'worker', name: 'child', task: 'x' }) + '\n' + call('WAIT', { timeout_s: 30 }),
        { expect: '"exit_code":0', reply: EXIT },
      ],
      child: [call('SYS_READ_STDIN', { timeout_s: 30 }), EXIT],
    });
    const root = await h.spawn();
    const child = root.pid + 1;
    await vi.waitFor(isBlocked(child), { timeout: 5000, interval: 5 });
    await vi.waitFor(isBlocked(root.pid), { timeout: 5000, interval: 5 });
    const order: string[] = [];
    const off = h.kernel.events.subscribe((e: KernelEvent) => {
      if (e.type === 'state' && e.pid === child && e.to === 'exited') queueMicrotask(() => order.push('microtask'));
      if (e.type === 'result' && e.pid === root.pid && e.name === 'WAIT') order.push(`WAIT:${e.ok}`);
    });
    h.kernel.send(child, 'done');
    expect((await h.kernel.waitExit(root.pid)).exitCode).toBe(0);
    off();
    expect(order).toEqual(['WAIT:true', 'microtask']);
  });

  it('RECV_MSG woken by another process’s SEND_MSG answers inside that call, and both go on', async () => {
    h = await startHarness({
      root: [
        call('SPAWN_AGENT', { role: 'worker', name: 'child', task: 'x' }),
        // Held until the child is blocked in RECV_MSG.
        call('SYS_READ_STDIN', { timeout_s: 30 }),
        call('SEND_MSG', { to_pid: 2, content: 'hi' }),
        call('WAIT', {}),
        EXIT,
      ],
      child: [call('RECV_MSG', { timeout_s: 30 }), { expect: '"content":"hi"', reply: EXIT }],
    });
    const order: string[] = [];
    h.kernel.events.subscribe((e) => {
      if (e.type === 'syscall' || e.type === 'result') order.push(`${e.pid}:${e.type}:${e.name}`);
    });
    const root = await h.spawn();
    await vi.waitFor(isBlocked(2), { timeout: 5000, interval: 5 });
    await vi.waitFor(isBlocked(root.pid), { timeout: 5000, interval: 5 });
    h.kernel.send(root.pid, 'go');
    expect((await h.kernel.waitExit(root.pid)).exitCode).toBe(0);
    expect((await h.kernel.waitExit(2)).exitCode).toBe(0);
    const send = order.indexOf('1:syscall:SEND_MSG');
    expect(order.slice(send, send + 3)).toEqual(['1:syscall:SEND_MSG', '2:result:RECV_MSG', '1:result:SEND_MSG']);
  });

  it('SLEEP: the result comes in the timer’s callback, before any microtask queued at the wake', async () => {
    h = await startHarness({ root: [call('SLEEP', { seconds: 0.05 }), EXIT] });
    const order: string[] = [];
    h.kernel.events.subscribe((e) => {
      if (e.type === 'state' && e.to === 'running' && e.reason === 'woken: timeout')
        queueMicrotask(() => order.push('microtask'));
      if (e.type === 'result' && e.name === 'SLEEP') order.push('SLEEP');
    });
    expect((await h.run()).exitCode).toBe(0);
    expect(order).toEqual(['SLEEP', 'microtask']);
  });
});
