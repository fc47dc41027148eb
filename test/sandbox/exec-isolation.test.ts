/**
 * EXEC_CMD isolation through the kernel: the host's files, the kernel's environment and the control
 * files in AOS_HOME are out of reach, and nothing outside /workspace can be written. When bwrap is
 * missing, EXEC_CMD must refuse with the fix named, never run on the host.
 */
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findBwrap } from '../../drivers/exec/index.js';
import { auditAndClose, call, EXIT, outcome, startWorld, tag, type Layout, valueOf, type World } from './world.js';

const bwrap = await findBwrap();
if (!bwrap) console.log('bwrap not installed: EXEC_CMD isolation tests are skipped (only the ENOSYS refusal runs)');

let w: World | undefined;
afterEach(async () => {
  const world = w;
  w = undefined;
  await auditAndClose(world);
});

interface ExecRun {
  stdout: string;
  stderr: string;
  exit_code: number | null;
  timed_out: boolean;
}

/** Run one command as the root's only call and return what came back (after checking it reached the model). */
async function execOnce(cmd: (l: Layout) => string, timeoutS = 3): Promise<ExecRun> {
  w = await startWorld((l) => ({
    root: [
      call('EXEC_CMD', { cmd: cmd(l), timeout_s: timeoutS }),
      { expect: '[SYS_RESULT::EXEC_CMD] {"ok":true', reply: EXIT },
    ],
  }));
  const pcb = await w.run();
  expect(pcb.exitReason, 'the EXEC_CMD result reached the model').toBe('exited');
  const value = valueOf(w.resultsOf(pcb.pid, 'EXEC_CMD')[0]);
  return {
    stdout: String(value.stdout),
    stderr: String(value.stderr),
    exit_code: value.exit_code as number | null,
    timed_out: value.timed_out === true,
  };
}

describe('EXEC_CMD without bubblewrap', () => {
  it('fails with ENOSYS naming `apt-get install -y bubblewrap`, and runs nothing', async () => {
    vi.stubEnv('AOS_BWRAP', 'none');
    const marker = `ran-on-host-${tag()}`;
    w = await startWorld({
      root: [
        call('EXEC_CMD', { cmd: `touch ${marker}; echo $AOS_TEST_SECRET` }),
        { expect: '"errno":"ENOSYS"', reply: EXIT },
      ],
    });
    const pcb = await w.run();
    const result = w.resultsOf(pcb.pid, 'EXEC_CMD')[0];
    expect(outcome(result)).toBe('ENOSYS');
    expect(result?.message).toContain('apt-get install -y bubblewrap');
    expect(existsSync(`${w.workspace}/${marker}`)).toBe(false);
    expect(existsSync(marker)).toBe(false);
  });
});

describe.skipIf(!bwrap)('EXEC_CMD cannot see the host', () => {
  it('cat <secret host path> fails', async () => {
    const run = await execOnce((l) => `cat ${l.secretPath}; echo "exit=$?"`);
    expect(run.stdout).toBe('exit=1\n');
    expect(run.stderr).toContain('No such file');
  });

  it('cat /proc/1/root<secret> and /proc/self/root<secret> fail', async () => {
    const run = await execOnce(
      (l) =>
        `cat /proc/1/root${l.secretPath} /proc/self/root${l.secretPath} /proc/1/cwd/../${l.secretName}; echo "exit=$?"`,
    );
    expect(run.stdout).toBe('exit=1\n');
  });

  // One walk of the sandbox's whole tree (its /usr alone holds ~140,000 entries here: 1-4 s on an
  // idle machine, three walks took 6 s): its time limit is about correctness, not speed, so it is
  // generous, and a run cut short says so instead of reading as a finding.
  it('find / -name <secret name> finds nothing', async () => {
    const run = await execOnce(
      (l) =>
        `find / \\( -name '${l.secretName}' -o -name 'policy.yaml' -o -name 'aos.db*' \\) -print 2>/dev/null; echo end`,
      60,
    );
    expect(run.timed_out, 'find / was cut short by its time limit').toBe(false);
    expect(run.stdout).toBe('end\n');
  }, 120_000);

  it('ls /root /home /work and / show nothing of the host', async () => {
    const run = await execOnce(() => 'ls -A /root /home /work /tmp /mnt /srv 2>&1; echo ---; ls -A /');
    const [missing, root] = run.stdout.split('---\n');
    for (const dir of ['/root', '/home', '/work', '/mnt', '/srv']) expect(missing).toContain(`cannot access '${dir}'`);
    expect(missing).not.toMatch(/main|shared|\.ssh|\.aos/);
    expect((root ?? '').trim().split('\n').sort()).toEqual(
      expect.arrayContaining(['dev', 'etc', 'proc', 'tmp', 'usr', 'workspace']),
    );
    expect(root).not.toMatch(/home|root|work\b|sys\b|mnt|srv|opt|var/);
  });

  it('/etc holds no host secrets (no shadow, ssl keys, tool configs)', async () => {
    const run = await execOnce(
      () => 'ls -A /etc; echo ---; cat /etc/shadow /etc/gshadow /etc/npmrc /etc/gitconfig 2>&1 | head -5',
    );
    const [listing, reads] = run.stdout.split('---\n');
    expect(listing).not.toMatch(/shadow|ssl|ssh|npmrc|gitconfig|sudoers|machine-id/);
    expect(reads).toMatch(/No such file/);
  });
});

describe.skipIf(!bwrap)("EXEC_CMD cannot read the kernel's environment", () => {
  it('env and $AOS_TEST_SECRET are clean', async () => {
    const run = await execOnce(() => 'env; echo "secret=[$AOS_TEST_SECRET]"');
    expect(run.stdout).toContain('secret=[]');
    expect(run.stdout).not.toMatch(/AOS_TEST_SECRET=|NODE_|VITEST|npm_/);
  });

  it('/proc/self/environ is clean', async () => {
    const run = await execOnce(() => "cat /proc/self/environ | tr '\\0' '\\n'; echo end");
    expect(run.stdout).toContain('PATH=');
    expect(run.stdout).not.toContain('AOS_TEST_SECRET');
  });

  it("/proc/*/environ of every visible process (bwrap's pid 1 included) is clean", async () => {
    const run = await execOnce(
      () => "for f in /proc/[0-9]*/environ; do echo \"== $f\"; tr '\\0' '\\n' < $f; done 2>&1; echo end",
    );
    expect(run.stdout).toContain('== /proc/1/environ');
    expect(run.stdout).not.toContain('AOS_TEST_SECRET');
  });

  it("the kernel's process is not visible at all: only the sandbox's own few pids exist", async () => {
    const run = await execOnce(
      () =>
        'ls -d /proc/[0-9]* | wc -l; cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\\0" " "; echo; ps -eo pid,comm 2>&1 | tail -n +2',
    );
    const [count = '999'] = run.stdout.split('\n');
    expect(Number(count)).toBeLessThan(10);
    expect(run.stdout).not.toMatch(/vitest|node |tsx/);
    expect(run.stdout).not.toContain(String(process.pid));
  });

  it("/proc/1/fd leads to no kernel file (no store, no policy, no socket of the kernel's)", async () => {
    const run = await execOnce(() => 'ls -l /proc/[0-9]*/fd/ 2>&1; cat /proc/1/fd/* 2>&1 | head -c 2000; echo end');
    expect(run.stdout).not.toMatch(/aos\.db|policy\.yaml|tape\.yaml|kernel\.sock/);
  });
});

describe.skipIf(!bwrap)('EXEC_CMD cannot write outside /workspace', () => {
  it('touch /usr/x, /etc/x, /x, /bin/x, /proc/x and /workspace/../x all fail', async () => {
    const name = `aos-sbx-${tag()}`;
    const run = await execOnce(
      () =>
        `for p in /usr/${name} /etc/${name} /${name} /bin/${name} /proc/${name} /workspace/../${name} /dev/${name}; do touch "$p" 2>/dev/null && echo "WROTE $p"; done; echo end`,
    );
    expect(run.stdout).toBe('end\n');
    for (const dir of ['/usr', '/etc', '/bin', '/']) expect(existsSync(`${dir}/${name}`)).toBe(false);
  });

  it('the policy and the store in AOS_HOME are unreachable: not found, not writable', async () => {
    const run = await execOnce(
      (l) =>
        `echo 'root: {capabilities: [exec, "net.fetch:*"]}' > ../policy.yaml 2>/dev/null && echo WROTE1; ` +
        `echo x > ${l.policyPath} 2>/dev/null && echo WROTE2; echo x > /policy.yaml 2>/dev/null && echo WROTE3; ` +
        `rm -f ${l.storePath} ../aos.db 2>/dev/null; ls -A .. /workspace/..; echo end`,
    );
    expect(run.stdout).not.toMatch(/WROTE|aos\.db|policy\.yaml/);
    expect(run.stdout).toContain('end');
    // afterEach checks the policy's bytes; the store still works: the kernel wrote and reads it.
    expect((await w!.kernel.history(1)).length).toBeGreaterThan(3);
  });

  it("FS_WRITE cannot reach the policy or the store either; /policy.yaml is the workspace's own", async () => {
    w = await startWorld((l) => ({
      root: [
        [
          call('FS_WRITE', { path: '../policy.yaml', content: 'version: 1' }),
          call('FS_WRITE', { path: '../aos.db', content: 'garbage' }),
          call('FS_WRITE', { path: '%2e%2e/policy.yaml', content: 'version: 1' }),
          call('FS_WRITE', { path: l.policyPath, content: 'version: 1' }),
          call('FS_WRITE', { path: '/policy.yaml', content: 'version: 1' }),
        ].join('\n'),
        { expect: '"errno":"EACCES"', reply: EXIT },
      ],
    }));
    const pcb = await w.run();
    expect(w.results(pcb.pid).slice(0, 5).map(outcome)).toEqual(['EACCES', 'EACCES', 'EACCES', 'ok', 'ok']);
    expect(existsSync(`${w.workspace}/policy.yaml`)).toBe(true);
    expect((await w.kernel.history(pcb.pid)).length).toBeGreaterThan(3);
  });
});
