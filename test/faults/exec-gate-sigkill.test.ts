/**
 * SIGKILL of the daemon while the exec gate waits on a person (issue 46.9): the command that was
 * parked mid-run is not run again from its start by the next daemon. Its call comes back EINTR,
 * its request is settled (expired, with the reason) and the push it waited for never happens.
 * test/security/exec-gate-restart.test.ts holds the same for a graceful close, in process.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap, isExecutableFile } from '../../drivers/exec/find-bwrap.js';
import { findGate } from '../../drivers/exec/gate/gate-binary.js';
import { waitForRows } from '../helpers/kernel-probe.js';
import { until } from '../helpers/until.js';
import { call, type FaultHome, makeFaultHome } from './fault-home.js';
import { makeRepo, remoteHasMain } from '../helpers/git-repo.js';

const ready = Boolean((await findBwrap()) && (await findGate()) && (await isExecutableFile('/usr/bin/git')));
if (!ready) console.log('bwrap, the exec gate or git is missing: exec-gate SIGKILL test skipped');

const POLICY = `version: 1
root:
  capabilities: ["fs.read:/**", "fs.write:/**", exec]
rules:
  - ask: "exec:git push*"
`;
const CMD = 'echo run >> runs.log && cd repo && $(echo git) push -q';

/** The process's wait as the store holds it (what a SIGKILL leaves for the next daemon). */
function storedWait(home: string, pid: number): string | null {
  const db = new Database(path.join(home, 'aos.db'), { readonly: true, fileMustExist: true });
  try {
    return (
      (db.prepare('SELECT wait FROM processes WHERE pid = ?').get(pid) as { wait: string | null } | undefined)?.wait ??
      null
    );
  } finally {
    db.close();
  }
}

let t: FaultHome | null = null;
afterEach(async () => {
  await t?.dispose();
  t = null;
});

describe.runIf(ready)('SIGKILL while the exec gate waits on a person', () => {
  it('does not run the parked command again: EINTR, the request settled, the push never made', async () => {
    t = await makeFaultHome();
    const policy = path.join(t.home, 'gate-policy.yaml');
    await writeFile(policy, POLICY);
    t.env.AOS_POLICY = policy;
    const workspace = t.env.AOS_WORKSPACE as string;
    makeRepo(workspace);
    const model = await t.tape({
      root: [
        call('EXEC_CMD', { cmd: CMD }),
        { expect: ['"errno":"EINTR"', 'cut by a restart'], reply: call('SYS_EXIT', { code: 0 }) },
      ],
    });
    const client = await t.connect();
    let pid = 0;
    let id = '';
    try {
      pid = (await client.request('spawn', { task: 't', model, name: 'root' })).pid;
      await until(
        async () => (await client.request('approvals', {})).approvals.length === 1,
        20_000,
        "the exec gate's approval request",
      );
      id = (await client.request('approvals', {})).approvals[0]?.id ?? '';
    } finally {
      client.close();
    }
    // Committed as asked mid-run before the kill: that is all the next daemon has to go on.
    await until(
      () => (storedWait(t!.home, pid) ?? '').includes('"during":"run"'),
      10_000,
      'the parked wait in the store',
    );
    expect(await readFile(path.join(workspace, 'runs.log'), 'utf8')).toBe('run\n');
    await t.sigkill();
    await t.start();

    await waitForRows(t.home, (rows) => ['exited', 'killed'].includes(rows.get(pid)?.state ?? ''), {
      timeoutMs: 30_000,
      what: 'the process to end',
    });
    expect(await readFile(path.join(workspace, 'runs.log'), 'utf8')).toBe('run\n');
    expect(remoteHasMain(workspace)).toBe(false);
    const after = await t.connect();
    try {
      const [row] = (await after.request('ps', { all: true })).filter((r) => r.pid === pid);
      expect(row).toMatchObject({ exit_code: 0 });
      expect((await after.request('approvals', {})).approvals).toEqual([]);
      const trail = (await after.request('audit', { pid })).rows.filter((r) => r.approval === id);
      expect(trail.map((r) => r.decision)).toEqual(['ask', 'expired']);
      expect(trail[1]?.reason).toMatch(/cut by a restart/);
    } finally {
      after.close();
    }
  }, 90_000);
});
