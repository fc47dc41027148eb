/**
 * `ask` at the exec boundary (issue 27.1): with `ask: "exec:git push*"`, every way of coming to run
 * `git push` — global options before it, an alias, a shell, a script — parks the process on an
 * approval of that program and argv; a denied push never reaches the remote, an approved one does.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { findGate } from '../../drivers/exec/gate/gate-binary.js';
import { isExecutableFile } from '../../drivers/exec/find-bwrap.js';
import { parsePolicy } from '../../kernel/safety/policy.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';
import { makeRepo, remoteHasMain } from '../helpers/git-repo.js';

const ready = Boolean((await findBwrap()) && (await findGate()) && (await isExecutableFile('/usr/bin/git')));
if (!ready) console.log('bwrap, the exec gate or git is missing: exec-gate ask tests skipped');

const POLICY = parsePolicy(
  'version: 1\nroot: {capabilities: [exec]}\nrules:\n  - ask: "exec:git push*"\n',
  'ask-policy',
).safety;

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const SPELLINGS = [
  'git -C repo push',
  'git -C repo -c user.name=x push origin',
  'git -C repo --no-pager push',
  'git -C repo -c alias.p=push p',
  "bash -c 'cd repo && git push'",
  "printf 'cd repo\\ngit push\\n' > p.sh && chmod +x p.sh && ./p.sh",
  'cd repo && $(echo git) push',
];

describe.runIf(ready)('ask at the exec gate', () => {
  it.each(SPELLINGS)(
    'asks before %j pushes, and a denial keeps the remote untouched',
    async (cmd) => {
      h = await startHarness(
        { root: [call('EXEC_CMD', { cmd }), { expect: '"exit_code"', reply: EXIT }] },
        { safety: POLICY, rootCapabilities: ['exec', 'fs.read:/**', 'fs.write:/**'] },
      );
      makeRepo(h.workspace);
      const pcb = await h.spawn();
      await until(() => h!.kernel.safety.approvals.list(10).length === 1, 20_000, 'an approval request');
      const [request] = h.kernel.safety.approvals.list(10);
      expect(request).toMatchObject({ pid: pcb.pid, call: 'EXEC_CMD' });
      expect(h.kernel.proc(pcb.pid)?.pcb.state).toBe('blocked');
      h.kernel.safety.approvals.deny(request!.id, 'not today', 'socket');
      await h.kernel.waitExit(pcb.pid);
      expect(remoteHasMain(h.workspace)).toBe(false);
      const result = h.results(pcb.pid).find((r) => r.name === 'EXEC_CMD');
      expect(JSON.stringify(result)).toMatch(/refused to run|was not approved/);
    },
    60_000,
  );

  it('lets the push through once a person approves it at the gate', async () => {
    const cmd = "printf 'cd repo && git push -q\\n' > p.sh && bash p.sh";
    h = await startHarness(
      { root: [call('EXEC_CMD', { cmd }), { expect: '"exit_code":0', reply: EXIT }] },
      { safety: POLICY, rootCapabilities: ['exec', 'fs.read:/**', 'fs.write:/**'] },
    );
    makeRepo(h.workspace);
    const pcb = await h.spawn();
    await until(() => h!.kernel.safety.approvals.list(10).length === 1, 20_000, 'an approval request');
    const [request] = h.kernel.safety.approvals.list(10);
    // Asked at the exec: the program and the argv it received, not the line typed.
    expect(request?.args).toMatchObject({ program: '/usr/bin/git', argv: ['git', 'push', '-q'] });
    h.kernel.safety.approvals.approve(request!.id, 'socket');
    expect((await h.kernel.waitExit(pcb.pid)).exitCode).toBe(0);
    expect(remoteHasMain(h.workspace)).toBe(true);
  }, 60_000);

  it('asks for each push a line runs, as it will run, the one the line hid too (issue 46.5)', async () => {
    const cmd = "git -C repo push -q && trap 'git -C repo push -q --force' EXIT";
    h = await startHarness(
      { root: [call('EXEC_CMD', { cmd }), { expect: '"exit_code"', reply: EXIT }] },
      { safety: POLICY, rootCapabilities: ['exec', 'fs.read:/**', 'fs.write:/**'] },
    );
    makeRepo(h.workspace);
    const pcb = await h.spawn();
    await until(() => h!.kernel.safety.approvals.list(10).length === 1, 20_000, "the first push's approval");
    const [first] = h.kernel.safety.approvals.list(10);
    expect(first?.args).toMatchObject({
      cmd,
      program: '/usr/bin/git',
      argv: ['git', '-C', 'repo', 'push', '-q'],
      cwd: '/workspace',
      env: {},
    });
    h.kernel.safety.approvals.approve(first!.id, 'socket');
    await until(
      () => h!.kernel.safety.approvals.list(10).some((r) => r.id !== first!.id),
      20_000,
      "the hidden push's approval",
    );
    const hidden = h.kernel.safety.approvals.list(10).find((r) => r.id !== first!.id);
    expect(hidden?.args).toMatchObject({ argv: ['git', '-C', 'repo', 'push', '-q', '--force'] });
    h.kernel.safety.approvals.deny(hidden!.id, 'not that one', 'socket');
    await h.kernel.waitExit(pcb.pid);
    expect(remoteHasMain(h.workspace)).toBe(true);
  }, 60_000);
});
