/**
 * Issue 52, red team round 2. "Approve all of this process" pressed in a chat (chat-approvals.ts)
 * takes the pressed request and only those of its process that were sent to this approver before
 * it: never one opened after it (the model asked again while the person read), nor one sent to
 * other approvers only. The live kernel keeps one request of a process pending at a time, so the
 * several a process may hold (a restart's, approver sets changing) are opened here through the
 * chat-approvals host interface itself, with a recording adapter; the presses are its callbacks.
 * Proposals (kernel/safety/proposals.ts), through a real kernel: an undo never writes outside the
 * workspace when a directory on the way became a symbolic link, and a proposal whose journal entry
 * `aos rollback` took stays dead when its process writes the file again (SQLite reuses the newest
 * row's id once it is deleted: the stale proposal must not undo the new write). An undo racing a
 * proposed write of its file is refused while the write is under way (held here by a before hook),
 * so the write is neither lost under the restore nor left without its own proposal.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { appendFile, chmod, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { ChatApprovals } from '../../kernel/channels/chat-approvals.js';
import type { ApprovalNotice, ChannelsState, LiveChannel } from '../../kernel/channels/host.js';
import type { ApprovalView } from '../../kernel/safety/approval-record.js';
import type { BindingRecord } from '../../kernel/store/channel-rows.js';
import { parsePolicy } from '../../kernel/safety/policy.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';

const PID = 7;

/** A channel state with one binding of process PID and approvers `approvers`, and approvals kept in memory. */
function world(approvers: string[]) {
  const listeners: Array<(n: ApprovalNotice) => void> = [];
  const pending = new Map<string, ApprovalView>();
  const approved: string[] = [];
  const sent: Array<{ chat: string; text: string; data: string[] }> = [];
  const binding: BindingRecord = {
    id: 'b1',
    channel: 'tg',
    account: 'bot',
    chat: '1',
    sender: '1',
    unit: null,
    pid: PID,
    thread: '',
    created_at: 0,
    approvers: JSON.stringify(approvers),
  };
  const settle = (id: string, status: string, via: string): void => {
    pending.delete(id);
    for (const l of listeners) l({ id, pid: PID, status, via });
  };
  const live = {
    spec: { name: 'tg' },
    adapter: {
      request: (method: string, params: { chat: string; text: string; buttons?: Array<{ data: string }> }) => {
        if (method === 'channel.approval')
          sent.push({ chat: params.chat, text: params.text, data: (params.buttons ?? []).map((b) => b.data) });
        return Promise.resolve({ message_id: String(sent.length) });
      },
    },
  } as unknown as LiveChannel;
  const state = {
    host: {
      log: () => undefined,
      audit: () => undefined,
      lineage: () => ({ unit: null, ancestors: [] }),
      approvals: {
        subscribe: (l: (n: ApprovalNotice) => void) => {
          listeners.push(l);
          return () => undefined;
        },
        view: (id: string) => pending.get(id),
        pendingOf: (pid: number) => [...pending.values()].filter((v) => v.pid === pid).map((v) => v.id),
        approve: (id: string, via: string) => {
          if (!pending.has(id)) throw new Error(`${id} is not pending`);
          approved.push(id);
          settle(id, 'approved', via);
        },
        deny: (id: string, _reason: string, via: string) => settle(id, 'denied', via),
      },
    },
    channels: new Map([['tg', live]]),
    bindings: new Map([['b1', binding]]),
    startedBy: new Map<number, string>(),
    approverSets: new Map(),
  } as unknown as ChannelsState;
  const chat = new ChatApprovals(state);
  chat.listen();
  const open = async (id: string): Promise<void> => {
    pending.set(id, {
      id,
      pid: PID,
      name: 'worker',
      call: 'CHANNEL_SEND',
      args: { to: 'inbound', text: `words ${id}` },
      rule: 'ask: "channel:tg"',
      subject: 'tg/1',
      requested_at: new Date().toISOString(),
      expires_at: new Date(Date.now() + 600_000).toISOString(),
      group: id,
      group_size: 1,
    });
    for (const l of listeners) l({ id, pid: PID, status: 'pending' });
    // The adapter answers from a resolved promise: the message is sent once the queued microtasks ran.
    await new Promise((resolve) => setImmediate(resolve));
  };
  /** The approve-all button of request `id` as sent to `chat`. */
  const allButton = (id: string, to: string): string =>
    sent.find((s) => s.chat === to && s.text.startsWith(`aos approval ${id}:`))!.data.find((d) => d.startsWith('p:'))!;
  const press = (data: string, sender: string) => chat.callback(live, { sender: { id: sender }, data });
  return { binding, pending, approved, open, allButton, press };
}

describe('red team round 2: approve all of this process, from a chat', () => {
  it('takes only the requests sent to this approver before the pressed one', async () => {
    const w = world(['2']);
    // Sent to approver 2 only: approver 1 never read it.
    await w.open('c-other');
    w.binding.approvers = JSON.stringify(['1', '2']);
    await w.open('a-first');
    await w.open('b-later');
    expect(w.press(w.allButton('a-first', '1'), '1').text).toBe(
      `Approved, and 0 other request(s) of process ${PID} sent to you before it.`,
    );
    // The later one and the one approver 1 was never sent stay pending.
    expect(w.approved).toEqual(['a-first']);
    expect([...w.pending.keys()].sort()).toEqual(['b-later', 'c-other']);
    // Approver 2 was sent all three: approve-all on the newest takes the one before it too.
    await w.open('d-newest');
    expect(w.press(w.allButton('b-later', '2'), '2').text).toBe(
      `Approved, and 1 other request(s) of process ${PID} sent to you before it.`,
    );
    expect(w.approved).toEqual(['a-first', 'b-later', 'c-other']);
    expect([...w.pending.keys()]).toEqual(['d-newest']);
  });
});

const CAPS = ['exec', 'fs.read:/**', 'fs.write:/**'];
const SAFETY = parsePolicy(
  `version: 1\nroot: {capabilities: [${CAPS.map((c) => JSON.stringify(c)).join(', ')}]}\nrules:\n  - propose: "fs.write:/src/**"\n`,
  'redteam-52-round2',
).safety;

describe('red team round 2: proposals', () => {
  let h: Harness;
  let tapes = 0;
  const host = (p: string): string => path.join(h.workspace, p);
  const spawn = async (calls: string[]) => {
    const file = path.join(h.dir, `round2-${++tapes}.yaml`);
    await writeFile(file, YAML.stringify({ agents: { root: [...calls, EXIT] } }));
    return h.kernel.spawn({ task: 'redteam', model: `replay:${file}` });
  };
  const pendingOf = async (pid: number) =>
    (await h.kernel.safety.proposals.list(100)).filter((p) => p.pid === pid && p.state === 'pending');

  beforeAll(async () => {
    h = await startHarness({ root: [EXIT] }, { safety: SAFETY, rootCapabilities: CAPS });
    await mkdir(host('src'), { recursive: true });
  });
  afterAll(async () => {
    await h.close();
  });

  it('an undo through a directory that became a symbolic link out of the workspace writes nothing there', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'aos-round2-out-'));
    try {
      await mkdir(host('src/d'), { recursive: true });
      await writeFile(host('src/d/x.txt'), 'before');
      const pcb = await spawn([call('FS_WRITE', { path: '/src/d/x.txt', content: 'after' })]);
      await h.kernel.waitExit(pcb.pid);
      const [p] = await pendingOf(pcb.pid);
      // The directory is swapped for a link to a host directory holding the same bytes the proposal wrote.
      await rename(host('src/d'), host('src/d-moved'));
      await writeFile(path.join(outside, 'x.txt'), 'after');
      await symlink(outside, host('src/d'));
      await expect(h.kernel.safety.proposals.undo(p!.id, 'socket')).rejects.toThrow(/cannot be reached safely/);
      expect(await readFile(path.join(outside, 'x.txt'), 'utf8')).toBe('after');
      expect((await pendingOf(pcb.pid)).map((r) => r.id)).toEqual([p!.id]);
    } finally {
      await rm(host('src/d'), { force: true });
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('a proposal whose journal entry aos rollback took does not undo the next write of its process', async () => {
    await writeFile(host('src/reuse.txt'), 'v0');
    const pcb = await spawn([
      call('FS_WRITE', { path: '/src/reuse.txt', content: 'v1' }),
      call('SYS_READ_STDIN', { timeout_s: 120 }),
      call('FS_WRITE', { path: '/src/reuse.txt', content: 'v2' }),
    ]);
    await until(async () => (await pendingOf(pcb.pid)).length === 1, 60_000, 'the first proposal');
    const [first] = await pendingOf(pcb.pid);
    await h.kernel.admin.rollback(pcb.pid, 0);
    expect(await readFile(host('src/reuse.txt'), 'utf8')).toBe('v0');
    h.kernel.send(pcb.pid, 'go on');
    await h.kernel.waitExit(pcb.pid);
    expect(await readFile(host('src/reuse.txt'), 'utf8')).toBe('v2');
    // The first proposal's write is gone already: its undo must not take the second write back to v0.
    await expect(h.kernel.safety.proposals.undo(first!.id, 'socket')).rejects.toThrow(/journal entry is gone/);
    expect(await readFile(host('src/reuse.txt'), 'utf8')).toBe('v2');
    // The second proposal is the one that undoes it.
    const second = (await pendingOf(pcb.pid)).find((p) => p.id !== first!.id);
    expect(await h.kernel.safety.proposals.undo(second!.id, 'socket')).toMatchObject({ action: 'restored' });
    expect(await readFile(host('src/reuse.txt'), 'utf8')).toBe('v0');
  }, 120_000);
});

/**
 * Whether a shell is interpreting `script` now: its exec is over. A bwrap whose arguments name the
 * script (the first write's hook still tearing down, or the second's not yet started) does not count:
 * the test writes to the script once it is held, and a write while it is being exec'd makes the
 * exec fail (ETXTBSY) and the hook veto the write.
 */
function interpreting(script: string): boolean {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv[1] === script && /(^|\/)(ba|da)?sh$/.test(argv[0] ?? '')) return true;
    } catch {
      // ended meanwhile
    }
  }
  return false;
}

describe.runIf(Boolean(await findBwrap()))('red team round 2: an undo racing a proposed write of its file', () => {
  let h: Harness | undefined;
  let dir: string;
  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is refused while the write is under way; then each write has its own proposal, undone newest first', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-round2-hook-'));
    // The hook holds the second write until the test appends "# go" to the script (it sees its own file, read-only).
    const hook = path.join(dir, `hold-${process.pid}.sh`);
    await writeFile(
      hook,
      '#!/bin/sh\nif grep -q held-v2; then\n  while ! grep -q "^# go" "$0"; do sleep 0.05; done\nfi\nexit 0\n',
    );
    await chmod(hook, 0o755);
    const safety = parsePolicy(
      `version: 1\nroot: {capabilities: ["fs.read:/**", "fs.write:/**"]}\nrules:\n  - propose: "fs.write:/src/**"\n` +
        `hooks:\n  hold:\n    before: [FS_WRITE]\n    run: [${hook}]\n    timeout_s: 100\n`,
      path.join(dir, 'policy.yaml'),
    ).safety;
    const tape = path.join(dir, 'tape.yaml');
    await writeFile(
      tape,
      YAML.stringify({
        agents: {
          root: [
            call('FS_WRITE', { path: '/src/held.txt', content: 'v1' }),
            call('FS_WRITE', { path: '/src/held.txt', content: 'held-v2' }),
            EXIT,
          ],
        },
      }),
    );
    h = await startHarness({ root: [EXIT] }, { safety, rootCapabilities: ['fs.read:/**', 'fs.write:/**'] });
    await mkdir(path.join(h.workspace, 'src'), { recursive: true });
    const file = path.join(h.workspace, 'src/held.txt');
    await writeFile(file, 'v0');
    const pcb = await h.kernel.spawn({ task: 'race', model: `replay:${tape}` });
    // Once the first write is a proposal, the hook running is the second write's.
    const proposed = async () => (await h!.kernel.safety.proposals.list(10)).filter((p) => p.pid === pcb.pid);
    await until(async () => (await proposed()).length === 1 && interpreting(hook), 60_000, 'the second write held');
    const [first] = await proposed();
    expect(await readFile(file, 'utf8')).toBe('v1');
    await expect(h.kernel.safety.proposals.undo(first!.id, 'socket')).rejects.toThrow(
      /write of \/src\/held.txt is under way/,
    );
    expect(await readFile(file, 'utf8')).toBe('v1');
    await appendFile(hook, '# go\n');
    await h.kernel.waitExit(pcb.pid);
    expect(await readFile(file, 'utf8')).toBe('held-v2');
    const pending = (await h.kernel.safety.proposals.list(10)).filter(
      (p) => p.pid === pcb.pid && p.state === 'pending',
    );
    expect(pending).toHaveLength(2);
    const second = pending.find((p) => p.id !== first!.id)!;
    await expect(h.kernel.safety.proposals.undo(first!.id, 'socket')).rejects.toThrow(
      /undo proposal [0-9a-f]{8} first/,
    );
    expect(await h.kernel.safety.proposals.undo(second.id, 'socket')).toMatchObject({ action: 'restored' });
    expect(await readFile(file, 'utf8')).toBe('v1');
    expect(await h.kernel.safety.proposals.undo(first!.id, 'socket')).toMatchObject({ action: 'restored' });
    expect(await readFile(file, 'utf8')).toBe('v0');
  }, 180_000);
});
