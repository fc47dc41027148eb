/**
 * Attacks on grouped approvals (issue 32.4): a person answering a group answers exactly the
 * requests they were shown, each the very same question. A model that adds a request to the group
 * after the person looked, slips in a call that looks the same (an invisible character), or names
 * a request of another tree or another call among the group's ids gets nothing by it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../kernel/safety/policy.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';

const ASK = parsePolicy('version: 1\nroot: {capabilities: [exec]}\nrules:\n  - ask: "fs.write:/src/**"\n', 'p').safety;
const WRITE = (content: string): string => call('FS_WRITE', { path: '/src/a.txt', content });
const child = (role: string, task: string): string => call('SPAWN_AGENT', { role, name: role, task, dedup: false });
const HOLD = call('RECV_MSG', { timeout_s: 600 });

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const pending = () => h!.kernel.safety.approvals.list(100);

describe('grouped approvals under attack', () => {
  it('a request that joins the group after the person looked is not answered with it', async () => {
    // The root starts two writers, then — told to, after the person has looked — a third.
    const root = [child('w', 'a'), child('w', 'b'), call('SYS_READ_STDIN', { timeout_s: 600 }), child('w', 'c'), HOLD];
    h = await startHarness({ root, w: [WRITE('x'), EXIT] }, { safety: ASK });
    const rootPcb = await h.spawn();
    await until(() => pending().length === 2, 5000, 'two requests');
    const seen = pending();
    expect(seen.map((a) => a.group_size)).toEqual([2, 2]);
    // The tree adds a third identical request before the answer arrives.
    await until(() => h!.kernel.proc(rootPcb.pid)?.pcb.state === 'blocked', 5000, 'the root waiting');
    h.kernel.send(rootPcb.pid, 'go');
    await until(() => pending().length === 3, 5000, 'the late request');
    expect(pending().map((a) => a.group_size)).toEqual([3, 3, 3]);
    const answered = h.kernel.safety.approvals.approve(seen[0]!.id, 'socket', [seen[1]!.id]);
    expect(answered.also?.map((a) => a.id)).toEqual([seen[1]!.id]);
    const left = pending();
    expect(left).toHaveLength(1);
    expect(seen.map((a) => a.id)).not.toContain(left[0]!.id);
  });

  it('an id of another call, or of the same call from another tree, is refused and nothing is decided', async () => {
    h = await startHarness(
      {
        root: [child('w', 'a'), child('v', 'b'), HOLD],
        w: [WRITE('x'), EXIT],
        v: [WRITE('y'), EXIT],
        solo: [WRITE('x'), EXIT],
      },
      { safety: ASK },
    );
    await h.spawn();
    const other = await h.spawn({ name: 'solo' });
    await until(() => pending().length === 3, 5000, 'three requests');
    const [w] = pending().filter((a) => a.name === 'w');
    const [v] = pending().filter((a) => a.name === 'v');
    const [solo] = pending().filter((a) => a.pid === other.pid);
    for (const stranger of [v!, solo!]) {
      expect(() => h!.kernel.safety.approvals.approve(w!.id, 'socket', [stranger.id])).toThrow(
        new RegExp(`approval ${stranger.id} is not the same call as ${w!.id} from the same process tree`),
      );
      expect(() => h!.kernel.safety.approvals.deny(w!.id, 'no', 'socket', [stranger.id])).toThrow(
        /is not the same call/,
      );
    }
    expect(pending()).toHaveLength(3); // nothing decided
    expect(h.kernel.safety.audit.list({ limit: 100 }).filter((r) => r.decided_by === 'person')).toEqual([]);
    await expect(readFile(path.join(h.workspace, 'src/a.txt'), 'utf8')).rejects.toThrow();
  });

  it('a call that only looks the same (a zero-width space) is a group of its own; another key order is the same call', async () => {
    const zw = call('FS_WRITE', { path: '/src/a.txt', content: 'x\u200b' });
    const reordered = '[SYS_CALL::FS_WRITE] {"content":"x","path":"/src/a.txt"}';
    h = await startHarness(
      {
        root: [child('w', 'a'), child('z', 'b'), child('r', 'c'), HOLD],
        w: [WRITE('x'), EXIT],
        z: [zw, EXIT],
        r: [reordered, EXIT],
      },
      { safety: ASK },
    );
    await h.spawn();
    await until(() => pending().length === 3, 5000, 'three requests');
    const byName = Object.fromEntries(pending().map((a) => [a.name, a]));
    expect(byName.z!.group).not.toBe(byName.w!.group);
    expect(byName.z!.group_size).toBe(1);
    expect(byName.r!.group).toBe(byName.w!.group); // the same arguments, written in another order: the same question
    expect(() => h!.kernel.safety.approvals.approve(byName.w!.id, 'socket', [byName.z!.id])).toThrow(
      /is not the same call/,
    );
    // Its own id in `also`, twice: decided once, nothing else.
    expect(h.kernel.safety.approvals.approve(byName.w!.id, 'socket', [byName.w!.id, byName.w!.id])).toEqual({
      id: byName.w!.id,
      pid: byName.w!.pid,
      also: [],
    });
    expect(
      pending()
        .map((a) => a.name)
        .sort(),
    ).toEqual(['r', 'z']);
  });
});
