import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { Kernel } from '../../../kernel/kernel.js';
import { parsePolicy } from '../../../kernel/safety/policy.js';
import type { SafetyPolicy } from '../../../kernel/safety/policy-rules.js';
import type { KernelEvent } from '../../../protocol/events.js';
import { ALL_CAPS, call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';
import { until } from '../../helpers/until.js';

function safety(rules: string, extra = ''): SafetyPolicy {
  return parsePolicy(`version: 1\nroot: {capabilities: [exec]}\nrules:\n${rules}${extra}`, 'test-policy').safety;
}

const ASK_SRC = safety('  - ask: "fs.write:/src/**"\n  - deny: "fs.write:/etc/**"\n');
const WRITE = call('FS_WRITE', { path: '/src/a.txt', content: 'hello' });

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

function approvalEvents(events: KernelEvent[]): Array<Extract<KernelEvent, { type: 'approval' }>> {
  return events.filter((e): e is Extract<KernelEvent, { type: 'approval' }> => e.type === 'approval');
}

describe('approvals', () => {
  it('parks the process on an ask rule, lists the request, and runs the call once approved', async () => {
    h = await startHarness({ root: [WRITE, { expect: '"bytes":5', reply: EXIT }] }, { safety: ASK_SRC });
    const pcb = await h.spawn();
    await until(() => h!.kernel.safety.approvals.list(10).length === 1, 5000, 'a pending approval');
    const [req] = h.kernel.safety.approvals.list(10);
    expect(req).toMatchObject({
      pid: pcb.pid,
      name: pcb.name,
      call: 'FS_WRITE',
      args: { path: '/src/a.txt', content: 'hello' },
      rule: 'ask: "fs.write:/src/**"',
    });
    const proc = h.kernel.proc(pcb.pid)!;
    expect(proc.pcb.state).toBe('blocked');
    const blocked = h.eventsOf(pcb.pid, 'state').at(-1);
    expect(blocked).toMatchObject({ to: 'blocked', reason: `approval ${req!.id}` });
    const turns = proc.pcb.counters.turns;
    await expect(readFile(path.join(h.workspace, 'src/a.txt'), 'utf8')).rejects.toThrow();
    expect(h.kernel.safety.approvals.approve(req!.id, 'socket')).toEqual({ id: req!.id, pid: pcb.pid });
    const end = await h.kernel.waitExit(pcb.pid);
    expect(end.exitCode).toBe(0);
    expect(turns).toBe(1); // no inference while parked
    expect(await readFile(path.join(h.workspace, 'src/a.txt'), 'utf8')).toBe('hello');
    expect(approvalEvents(h.events).map((e) => [e.status, e.decided_by, e.via])).toEqual([
      ['pending', undefined, undefined],
      ['approved', 'person', 'socket'],
    ]);
    const audit = h.kernel.safety.audit.list({ pid: pcb.pid, limit: 100 });
    expect(audit.map((r) => [r.decision, r.decided_by, r.approval])).toEqual([
      ['ask', 'policy', req!.id],
      ['approved', 'person', req!.id],
    ]);
  });

  it('answers a denied request with EACCES and the reason', async () => {
    h = await startHarness(
      { root: [WRITE, { expect: ['"errno":"EACCES"', 'not on a Friday'], reply: EXIT }] },
      { safety: ASK_SRC },
    );
    const pcb = await h.spawn();
    await until(() => h!.kernel.safety.approvals.list(10).length === 1);
    h.kernel.safety.approvals.deny(h.kernel.safety.approvals.list(10)[0]!.id, 'not on a Friday', 'socket');
    expect((await h.kernel.waitExit(pcb.pid)).exitCode).toBe(0);
    await expect(readFile(path.join(h.workspace, 'src/a.txt'), 'utf8')).rejects.toThrow();
    expect(approvalEvents(h.events).at(-1)).toMatchObject({
      status: 'denied',
      decided_by: 'person',
      via: 'socket',
      reason: 'not on a Friday',
    });
  });

  it('denies a request nobody answers after the policy timeout', async () => {
    const quick = safety('  - ask: "fs.write:/src/**"\n', 'approvals:\n  timeout_s: 0.3\n');
    h = await startHarness(
      { root: [WRITE, { expect: ['"errno":"EACCES"', 'within 0.3s'], reply: EXIT }] },
      { safety: quick },
    );
    const pcb = await h.spawn();
    expect((await h.kernel.waitExit(pcb.pid)).exitCode).toBe(0);
    expect(approvalEvents(h.events).at(-1)).toMatchObject({ status: 'expired', decided_by: 'timeout' });
    expect(h.kernel.safety.audit.list({ limit: 10 }).at(-1)).toMatchObject({
      decision: 'expired',
      decided_by: 'timeout',
    });
  });

  it('withdraws the request of a process killed while it waits', async () => {
    h = await startHarness({ root: [WRITE, EXIT] }, { safety: ASK_SRC });
    const pcb = await h.spawn();
    await until(() => h!.kernel.safety.approvals.list(10).length === 1);
    const [req] = h.kernel.safety.approvals.list(10);
    h.kernel.kill(pcb.pid);
    expect((await h.kernel.waitExit(pcb.pid)).state).toBe('killed');
    await until(() => approvalEvents(h!.events).length === 2, 5000, 'the expired event');
    expect(h.kernel.safety.approvals.list(10)).toEqual([]);
    expect(approvalEvents(h.events).at(-1)).toMatchObject({
      id: req!.id,
      status: 'expired',
      reason: 'the process ended before an answer',
    });
    expect(() => h!.kernel.safety.approvals.approve(req!.id, 'socket')).toThrow(/no pending approval/);
  });

  it('groups the same call from the same tree, and decides a group at once, each audited on its own', async () => {
    const worker = (name: string): string => call('SPAWN_AGENT', { role: name, name, task: 'write it', dedup: false });
    h = await startHarness(
      {
        root: [worker('w'), worker('w'), worker('w'), worker('v'), call('RECV_MSG', { timeout_s: 600 })],
        w: [WRITE, { expect: '"bytes":5', reply: EXIT }],
        v: [call('FS_WRITE', { path: '/src/a.txt', content: 'other' }), { expect: '"errno":"EACCES"', reply: EXIT }],
      },
      { safety: ASK_SRC },
    );
    await h.spawn();
    await until(() => h!.kernel.safety.approvals.list(10).length === 4, 5000, 'four pending approvals');
    const other = await h.spawn({ name: 'w' }); // the same call, from a tree of its own
    await until(() => h!.kernel.safety.approvals.list(10).length === 5, 5000, "the other tree's approval");
    const [alone] = h.kernel.safety.approvals.list(10).filter((a) => a.pid === other.pid);
    expect(alone).toMatchObject({ call: 'FS_WRITE', group_size: 1 });
    const pending = h.kernel.safety.approvals.list(10).filter((a) => a.pid !== other.pid);
    const ws = pending.filter((a) => a.name === 'w');
    const [v] = pending.filter((a) => a.name === 'v');
    expect(ws.map((a) => a.group_size)).toEqual([3, 3, 3]);
    expect(new Set(ws.map((a) => a.group)).size).toBe(1);
    expect(v).toMatchObject({ group_size: 1 });
    expect(v!.group).not.toBe(ws[0]!.group); // other arguments: another group
    // Without group, one request only.
    expect(h.kernel.safety.approvals.approve(ws[0]!.id, 'socket')).toEqual({ id: ws[0]!.id, pid: ws[0]!.pid });
    expect(
      h.kernel.safety.approvals
        .list(10)
        .filter((a) => a.name === 'w')
        .map((a) => a.group_size),
    ).toEqual([2, 2, 1]);
    const answered = h.kernel.safety.approvals.approve(ws[1]!.id, 'socket', [ws[2]!.id]);
    expect(answered).toEqual({ id: ws[1]!.id, pid: ws[1]!.pid, also: [{ id: ws[2]!.id, pid: ws[2]!.pid }] });
    expect(h.kernel.safety.approvals.list(10).map((a) => a.id)).toEqual([v!.id, alone!.id]);
    h.kernel.safety.approvals.deny(v!.id, 'no', 'socket', []); // a group of one
    for (const a of pending) expect((await h.kernel.waitExit(a.pid)).exitCode).toBe(0);
    const decided = h.kernel.safety.audit.list({ limit: 100 }).filter((r) => r.decided_by === 'person');
    expect(decided.map((r) => [r.approval, r.decision])).toEqual([
      [ws[0]!.id, 'approved'],
      [ws[1]!.id, 'approved'],
      [ws[2]!.id, 'approved'],
      [v!.id, 'denied'],
    ]);
  });

  it('refuses a deny rule at once, naming it, and audits it', async () => {
    h = await startHarness(
      {
        root: [
          call('FS_WRITE', { path: '/etc/x', content: 'x' }),
          { expect: ['"errno":"EACCES"', 'deny: \\"fs.write:/etc/**\\"'], reply: EXIT },
        ],
      },
      { safety: ASK_SRC },
    );
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(0);
    expect(h.kernel.safety.audit.list({ limit: 10 })).toEqual([
      expect.objectContaining({
        decision: 'deny',
        subject: '/etc/x',
        rule: 'deny: "fs.write:/etc/**"',
        decided_by: 'policy',
      }),
    ]);
  });

  it('audits what the capability check refused', async () => {
    h = await startHarness(
      { root: [call('NET_FETCH', { url: 'https://example.com/' }), { expect: '"errno":"EPERM"', reply: EXIT }] },
      { safety: ASK_SRC },
    );
    await h.run();
    expect(h.kernel.safety.audit.list({ limit: 10 })).toEqual([
      expect.objectContaining({ call: 'NET_FETCH', decision: 'deny', rule: 'capability net.fetch:example.com' }),
    ]);
  });

  it('keeps a pending request across a kernel restart and runs the call when approved after it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-approval-'));
    const tape = path.join(dir, 'tape.yaml');
    await writeFile(tape, YAML.stringify({ agents: { root: [WRITE, { expect: '"bytes":5', reply: EXIT }] } }));
    const options = {
      workspace: path.join(dir, 'ws'),
      rootCapabilities: ALL_CAPS,
      cwd: dir,
      storeFile: path.join(dir, 'aos.db'),
      safety: ASK_SRC,
    };
    const first = await Kernel.create(options);
    const pcb = await first.spawn({ task: 't', model: `replay:${tape}` });
    await until(() => first.safety.approvals.list(10).length === 1);
    const [before] = first.safety.approvals.list(10);
    await first.close();
    const second = await Kernel.create(options);
    try {
      const events: KernelEvent[] = [];
      second.events.subscribe((e) => events.push(e));
      expect(second.safety.approvals.list(10)).toEqual([before]);
      await until(() => second.proc(pcb.pid)?.pcb.wait?.kind === 'approval', 5000, 're-parked on its approval');
      expect(second.proc(pcb.pid)?.pcb.state).toBe('blocked');
      second.safety.approvals.approve(before!.id, 'socket');
      expect((await second.waitExit(pcb.pid)).exitCode).toBe(0);
      expect(await readFile(path.join(dir, 'ws/src/a.txt'), 'utf8')).toBe('hello');
      // One request, asked once: the restart did not open a second one.
      expect(second.safety.audit.list({ limit: 10 }).map((r) => r.decision)).toEqual(['ask', 'approved']);
      expect(second.safety.audit.verify()).toMatchObject({ ok: true, rows: 2 });
    } finally {
      await second.shutdown();
    }
    const db = new Database(path.join(dir, 'aos.db'));
    db.prepare("UPDATE audit SET decided_by = 'policy' WHERE decision = 'approved'").run();
    db.close();
    const third = await Kernel.create(options);
    expect(third.safety.audit.verify()).toMatchObject({ ok: false, bad_id: 2 });
    await third.shutdown();
    await rm(dir, { recursive: true, force: true });
  });
});
