/**
 * `aos why <pid> <turn>` (issue 49.4) over a real kernel's record: a process fetches a hostile page,
 * then asks to write outside scratch; the person denies it. The turn after the fetch shows the page
 * in its context, the write, its `ask` under `taint.fs.write` with the taint noted, and the denial;
 * the fetch's own turn held no outside content yet.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { describeWhy } from '../../cmd/why.js';
import type { KernelEvent } from '../../protocol/events.js';
import { explainTurn } from '../../protocol/why.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';
import { hostileServer, taintPolicy } from '../kernel/taint/taint-harness.js';

let h: Harness | null = null;
let server: Awaited<ReturnType<typeof hostileServer>> | null = null;
afterEach(async () => {
  await h?.close();
  await server?.close();
  h = server = null;
});

describe('aos why', () => {
  it('names the outside content a turn held and the rule that decided each of its calls', async () => {
    server = await hostileServer();
    const url = `${server.url}/page`;
    h = await startHarness(
      { root: [call('NET_FETCH', { url }), call('FS_WRITE', { path: '/notes.txt', content: 'x' }), EXIT] },
      {
        safety: taintPolicy(),
        netAllowPrivate: ['127.0.0.1:*'],
        rootCapabilities: ['net.fetch:127.0.0.1', 'fs.write:/**', 'fs.read:/**'],
      },
    );
    const pcb = await h.spawn();
    const done = h.kernel.waitExit(pcb.pid);
    let ended = false;
    void done.then(() => (ended = true));
    while (!ended) {
      const [request] = h.kernel.safety.approvals.list(10);
      if (request) h.kernel.safety.approvals.deny(request.id, 'not from a web page', 'socket');
      await new Promise((r) => setTimeout(r, 10));
    }
    await done;
    const events = h.eventsOf(pcb.pid);
    const audit = h.kernel.safety.audit.list({ pid: pcb.pid, limit: 100 });
    const taint = (await h.kernel.admin.inspect(pcb.pid)).taint ?? null;
    const turnOf = (name: string) =>
      (events.find((e) => e.type === 'syscall' && e.name === name) as { turn: number } | undefined)?.turn;
    const fetchTurn = turnOf('NET_FETCH');
    const writeTurn = turnOf('FS_WRITE');
    expect(fetchTurn).toBeDefined();
    expect(writeTurn).toBe((fetchTurn ?? 0) + 1);

    const write = explainTurn(pcb.pid, writeTurn!, events, audit, taint);
    expect(write.frames).toEqual([{ source: 'net', detail: url, turn: writeTurn }]);
    expect(write.calls).toHaveLength(1);
    expect(write.calls[0]).toMatchObject({ name: 'FS_WRITE', result: { ok: false, errno: 'EACCES' } });
    expect(write.calls[0]!.decisions.map((d) => [d.decision, d.rule, d.decided_by])).toEqual([
      ['ask', 'taint.fs.write: ask', 'policy'],
      ['denied', 'taint.fs.write: ask', 'person'],
    ]);
    expect(write.calls[0]!.decisions[0]!.reason).toContain(`tainted by 1 outside source: net ${url}`);
    const text = describeWhy(write);
    expect(text).toContain(`net ${url}`);
    expect(text).toMatch(/ask by rule taint\.fs\.write: ask .*tainted by 1 outside source/);
    expect(text).toContain('tainted now');

    const fetch = explainTurn(pcb.pid, fetchTurn!, events, audit, taint);
    expect(fetch.frames).toEqual([]);
    expect(fetch.calls.map((c) => [c.name, c.result?.ok, c.decisions.length])).toEqual([['NET_FETCH', true, 0]]);
    expect(describeWhy(fetch)).toContain('context   no outside content');
  });

  it('a decision stamped the millisecond the next turn began stays with the call it answers', () => {
    const t = (ms: number) => new Date(Date.UTC(2026, 10, 26, 10, 0, 0, ms)).toISOString();
    const row = (id: number, ms: number, decision: string, call = 'FS_WRITE') => ({
      id,
      ts: t(ms),
      call,
      subject: '/a',
      decision,
      rule: 'taint.fs.write: ask',
      decided_by: decision === 'ask' ? 'policy' : 'person',
      via: null,
      reason: null,
      approval: 'r1',
    });
    const events = [
      { ts: t(1), pid: 7, type: 'prompt', turn: 1, text: 'x' },
      { ts: t(2), pid: 7, type: 'syscall', turn: 1, seq: 0, name: 'FS_WRITE', args: { path: '/a' } },
      { ts: t(5), pid: 7, type: 'result', turn: 1, seq: 0, name: 'FS_WRITE', ok: false, errno: 'EACCES' },
      { ts: t(5), pid: 7, type: 'prompt', turn: 2, text: 'y' },
      { ts: t(5), pid: 7, type: 'syscall', turn: 2, seq: 0, name: 'FS_WRITE', args: { path: '/a' } },
    ] as KernelEvent[];
    // Turn 1's denial and turn 2's ask share the millisecond turn 2 began.
    const audit = [row(1, 2, 'ask'), row(2, 5, 'denied'), row(3, 5, 'ask')];
    const one = explainTurn(7, 1, events, audit, null);
    expect(one.calls[0]!.decisions.map((d) => d.id)).toEqual([1, 2]);
    expect(one.other).toEqual([]);
    const two = explainTurn(7, 2, events, audit, null);
    expect(two.calls[0]!.decisions.map((d) => d.id)).toEqual([3]);
    expect(two.other).toEqual([]);
  });
});
