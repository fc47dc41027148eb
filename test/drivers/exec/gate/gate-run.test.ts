import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecGate, GatedExec } from '../../../../sys/driver-api.js';
import { findBwrap } from '../../../../drivers/exec/find-bwrap.js';
import { findGate } from '../../../../drivers/exec/gate/gate-binary.js';
import { runSandboxed } from '../../../../drivers/exec/run-sandboxed.js';
import { makeTempDir, removeDir, TEST_LIMITS } from '../exec-helpers.js';

const bwrap = await findBwrap();
const gateBinary = await findGate();
const ready = Boolean(bwrap && gateBinary);
if (!ready) console.log('bwrap or the exec gate is missing: exec gate tests skipped');

/** A gate that refuses rm and records every question it was asked. */
function denyRm(): ExecGate & { asked: GatedExec[] } {
  const asked: GatedExec[] = [];
  return {
    asked,
    programs: ['rm'],
    decide(exec) {
      asked.push(exec);
      return exec.programs.includes('rm') || exec.how === 'written'
        ? { allow: false, message: 'no rm here' }
        : { allow: true };
    },
  };
}

describe.runIf(ready)('the exec gate', () => {
  let ws: string;
  beforeAll(async () => {
    ws = await makeTempDir('aos-gate-');
  });
  afterAll(async () => {
    await removeDir(ws);
  });

  const run = (cmd: string, gate: ExecGate) => runSandboxed({ cmd, workspace: ws, limits: TEST_LIMITS, gate });

  it('refuses rm however it is reached, and lets everything else run', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e']) await writeFile(path.join(ws, name), name);
    const gate = denyRm();
    const result = await run(
      [
        'rm a',
        "python3 -c \"import os; os.execv('/bin/rm', ['rm', 'b'])\"",
        'cp /bin/rm zap && ./zap c',
        'ln -sf /bin/rm lnk && ./lnk d',
        "printf '#!/bin/rm\\n' > s.sh && chmod +x s.sh && ./s.sh e",
        'echo still-here',
      ].join('; '),
      gate,
    );
    for (const name of ['a', 'b', 'c', 'd', 'e']) expect(existsSync(path.join(ws, name)), name).toBe(true);
    expect(result.stdout).toContain('still-here');
    expect(result.stderr).toContain('aos: refused to run /usr/bin/rm: no rm here');
    expect(result.refused?.length).toBe(5);
    expect(gate.asked.find((e) => e.path.endsWith('/zap'))).toMatchObject({ how: 'copy', programs: ['rm'] });
  });

  it('runs commands no rule names without asking', async () => {
    const gate = denyRm();
    const result = await run('ls / > /dev/null && echo $((6 * 7)) && cat /etc/passwd > /dev/null', gate);
    expect(result.exit_code).toBe(0);
    expect(result.stdout).toContain('42');
    expect(gate.asked).toEqual([]);
  });

  it('holds the sandbox to its rlimits, which the gate sets in place of prlimit', async () => {
    const result = await run('ulimit -t; ulimit -n; ulimit -u; ulimit -f; ulimit -c', denyRm());
    const blocks = (bytes: number): string => String(Math.floor(bytes / 1024));
    expect(result.stdout.split('\n').slice(0, 5)).toEqual([
      String(TEST_LIMITS.cpuSeconds),
      String(TEST_LIMITS.maxOpenFiles),
      String(TEST_LIMITS.maxProcesses),
      blocks(TEST_LIMITS.maxFileBytes),
      '0',
    ]);
  });

  it('stops the wall clock while the kernel decides', async () => {
    const gate: ExecGate = {
      programs: ['rm'],
      decide: () => new Promise((resolve) => setTimeout(() => resolve({ allow: true }), 1500)),
    };
    const result = await runSandboxed({
      cmd: 'rm -f nothing-here; echo done',
      workspace: ws,
      limits: { ...TEST_LIMITS, wallTimeoutMs: 1000 },
      gate,
    });
    expect(result.timed_out).toBe(false);
    expect(result.stdout).toBe('done\n');
  });

  it('names a program the agent wrote as written, not as the word typed', async () => {
    const gate = denyRm();
    const result = await run('cp /bin/true mytrue && printf x >> mytrue && ./mytrue; echo rc=$?', gate);
    expect(result.stdout).toMatch(/rc=137/);
    expect(gate.asked.at(-1)).toMatchObject({ how: 'written', programs: [] });
  });

  it('keeps the gate out of reach: no tracing, no stolen fds, no notifier of its own', async () => {
    const result = await run(
      `python3 - <<'EOF'
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
print('ptrace', libc.ptrace(16, os.getppid(), 0, 0), ctypes.get_errno())
print('seccomp-listener', libc.syscall(317, 1, 8, 0), ctypes.get_errno())
EOF`,
      denyRm(),
    );
    expect(result.stdout).toContain('ptrace -1 1');
    expect(result.stdout).toContain('seccomp-listener -1 1');
  });
});

describe('without the gate binary', () => {
  it('refuses a run that needs it, naming how to build it', async () => {
    const previous = process.env.AOS_EXEC_GATE;
    process.env.AOS_EXEC_GATE = 'none';
    const { forgetGate } = await import('../../../../drivers/exec/gate/gate-binary.js');
    forgetGate();
    try {
      const ws = await makeTempDir('aos-gate-');
      await expect(
        runSandboxed({ cmd: 'true', workspace: ws, limits: TEST_LIMITS, gate: denyRm() }),
      ).rejects.toMatchObject({ code: 'ENOSYS', message: expect.stringContaining('npm run build') });
      await removeDir(ws);
    } finally {
      if (previous === undefined) delete process.env.AOS_EXEC_GATE;
      else process.env.AOS_EXEC_GATE = previous;
      forgetGate();
    }
  });
});

describe.runIf(ready)('a secret run', () => {
  it('names the program it refused, whatever it is (issue 46.10: it was named with an empty path)', async () => {
    const ws = await makeTempDir('aos-gate-secret-');
    try {
      // sh is listed; ls, a system program nothing names, is what it starts.
      const result = await runSandboxed({
        cmd: 'unused',
        workspace: ws,
        limits: TEST_LIMITS,
        secret: { argv: ['sh', '-c', 'ls /'], env: {}, programs: ['sh'] },
      });
      expect(result.refused?.[0]?.path).toMatch(/\/ls$/);
      expect(result.stderr).toMatch(/aos: refused to run \/\S*ls: /);
    } finally {
      await removeDir(ws);
    }
  });
});

describe('naming what the gate stopped', () => {
  it('reads a binfmt interpreter and the loader as runners that name nothing, and busybox by its applet', async () => {
    const { describeExec } = await import('../../../../drivers/exec/gate/gate-session.js');
    const file = (name: string, p: string) => ({
      kinds: new Set(['X' as const]),
      name,
      names: [name],
      path: p,
      dev: 1n,
      ino: 1n,
      size: 1n,
    });
    const files = [
      file('ld.so', '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'),
      file('binfmt', '/usr/bin/qemu-aarch64-static'),
      file('busybox', '/usr/bin/busybox'),
    ];
    const q = (prog: number, argv: string[]) => ({
      q: 1,
      prog,
      how: 'runner' as const,
      path: files[prog]!.path,
      truncated: false,
      argv,
    });
    expect(describeExec(q(0, ['ld.so', '/bin/rm', 'x']), files)).toMatchObject({ how: 'loader', programs: [] });
    expect(describeExec(q(1, ['/workspace/rm-arm64', 'x']), files)).toMatchObject({ how: 'loader', programs: [] });
    expect(describeExec(q(2, ['busybox', 'rm', 'x']), files)).toMatchObject({
      how: 'runner',
      programs: ['rm'],
      argv: ['rm', 'x'],
    });
    expect(describeExec(q(2, ['rm', 'x']), files)).toMatchObject({
      how: 'runner',
      programs: ['rm'],
      argv: ['rm', 'x'],
    });
  });
});
