/**
 * Resource attacks through EXEC_CMD: each must come back to the model as a result, leave nothing
 * running, and never starve the kernel — another agent's turns go on and the event loop keeps ticking.
 */
import { randomInt } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/index.js';
import { createSandboxCgroup } from '../../drivers/exec/sandbox-cgroup.js';
import { param } from '../../sys/param.js';
import type { Pcb } from '../../sys/types.js';
import {
  auditAndClose,
  call,
  EXIT,
  exists,
  outcome,
  processesWith,
  startWorld,
  type TapeEntry,
  valueOf,
  watchEventLoop,
  type World,
} from './world.js';

const bwrap = await findBwrap();
if (!bwrap) console.log('bwrap not installed: EXEC_CMD resource attacks are skipped');

// A total memory cap needs a writable memory cgroup (aos running as root); ask the driver itself.
const probe = bwrap ? await createSandboxCgroup({ maxPids: 8, maxMemoryBytes: 64 * 1024 * 1024 }) : null;
const memoryCgroup = probe?.memoryCapped === true;
await probe?.remove();
if (bwrap && !memoryCgroup)
  console.log('no writable memory cgroup here: the sandbox caps memory per process only (total-memory case skipped)');

let w: World | undefined;
afterEach(async () => {
  const world = w;
  w = undefined;
  await auditAndClose(world);
});

/** A unique number for `sleep`, so process scans cannot mistake another suite's sleeps for ours. */
const uniqueSeconds = (): string => `30.${randomInt(100_000, 999_999)}`;

/** Five turns of file I/O, each checked by the tape: the "second agent" that must not starve. */
function workerTape(): TapeEntry[] {
  const turns: TapeEntry[] = [call('FS_WRITE', { path: 'worker/0.txt', content: 'w0' })];
  for (let i = 1; i < 5; i++) {
    turns.push({
      expect: '"ok":true',
      reply: [
        call('FS_WRITE', { path: `worker/${i}.txt`, content: `w${i}` }),
        call('FS_READ', { path: `worker/${i - 1}.txt` }),
      ].join('\n'),
    });
  }
  turns.push({ expect: '"content":"w3"', reply: EXIT });
  return turns;
}

/** The latest kernel message the process's model was shown. */
function lastPrompt(world: World, pid: number): string {
  const prompts = world.events.filter((e) => e.pid === pid && e.type === 'prompt');
  const last = prompts.at(-1);
  return last?.type === 'prompt' ? last.text : '';
}

function indexOfResult(world: World, pid: number, name: string): number {
  return world.events.findIndex((e) => e.pid === pid && e.type === 'result' && e.name === name);
}

async function untilCallStarts(world: World, pid: number, name: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!world.events.some((e) => e.pid === pid && e.type === 'syscall' && e.name === name)) {
    if (Date.now() > deadline) throw new Error(`${name} never started`);
    await sleep(10);
  }
}

/** Runs the attacker's EXEC_CMD and, while it runs, a worker agent; returns both and the worst event-loop gap. */
async function underAttack(
  cmd: string,
  timeoutS: number,
): Promise<{ attacker: Pcb; worker: Pcb; maxGapMs: number; exec: Record<string, unknown> }> {
  w = await startWorld({
    attacker: [
      call('EXEC_CMD', { cmd, timeout_s: timeoutS }),
      { expect: '[SYS_RESULT::EXEC_CMD] {"ok":true', reply: EXIT },
    ],
    worker: workerTape(),
  });
  const watch = watchEventLoop();
  const attacker = await w.spawn('attacker');
  await untilCallStarts(w, attacker.pid, 'EXEC_CMD');
  await sleep(200); // let the attack get going
  const worker = await w.run('worker');
  const attackerEnd = await w.kernel.waitExit(attacker.pid);
  const maxGapMs = watch.stop();
  const exec = valueOf(w.resultsOf(attacker.pid, 'EXEC_CMD')[0]);
  return { attacker: attackerEnd, worker, maxGapMs, exec };
}

function expectWorkerUnharmed(world: World, worker: Pcb, attacker: Pcb, maxGapMs: number): void {
  expect(worker.exitReason, "the worker's five turns all completed").toBe('exited');
  expect(attacker.exitReason, "the attack's result reached the model").toBe('exited');
  expect(world.resultsOf(worker.pid, 'FS_WRITE').map(outcome)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  expect(maxGapMs, 'longest event-loop stall (ms)').toBeLessThan(1000);
}

describe.skipIf(!bwrap)('process, CPU and output attacks leave the kernel responsive', () => {
  it(
    "fork bomb plus a busy loop: contained, timed out, another agent's turns complete meanwhile",
    { timeout: 20_000 },
    async () => {
      const marker = `bomb${randomInt(1e9)}`;
      const { attacker, worker, maxGapMs, exec } = await underAttack(
        `: ${marker}; :(){ :|:& };:; while :; do :; done`,
        2,
      );
      expectWorkerUnharmed(w as World, worker, attacker, maxGapMs);
      expect(exec.timed_out).toBe(true);
      expect(exec.duration_ms).toBeLessThan(4000);
      // The worker finished while the bomb was still going (its turns were not queued behind it).
      const world = w as World;
      expect(indexOfResult(world, worker.pid, 'SYS_EXIT')).toBeLessThan(indexOfResult(world, attacker.pid, 'EXEC_CMD'));
      await sleep(300);
      expect(await processesWith(marker)).toEqual([]);
    },
  );

  it('output flood (`yes`): cut at the cap, stopped early, marked truncated', { timeout: 20_000 }, async () => {
    const { attacker, worker, maxGapMs, exec } = await underAttack('yes', 3);
    expectWorkerUnharmed(w as World, worker, attacker, maxGapMs);
    expect(exec.truncated).toBe(true);
    expect(Buffer.byteLength(String(exec.stdout))).toBeLessThanOrEqual(param.execMaxOutputBytes);
    expect(exec.timed_out).toBe(false);
    // The model is told too: its copy of the result is clipped, but not before the flags.
    expect(lastPrompt(w as World, attacker.pid)).toContain('"truncated":true');
  });

  it('binary flood (`cat /dev/zero | head -c 100M`) and a stderr flood are cut too', { timeout: 20_000 }, async () => {
    w = await startWorld({
      root: [
        [
          call('EXEC_CMD', { cmd: 'cat /dev/zero | head -c 100M', timeout_s: 3 }),
          call('EXEC_CMD', { cmd: 'yes stderr >&2', timeout_s: 3 }),
        ].join('\n'),
        // NULs are escaped as six characters each: the model's copy is clipped, the flags come first.
        { expect: '"truncated":true', reply: EXIT },
      ],
    });
    const pcb = await w.run();
    expect(pcb.exitReason).toBe('exited');
    const [zeros, errs] = w.resultsOf(pcb.pid, 'EXEC_CMD').map(valueOf);
    expect(zeros?.truncated).toBe(true);
    expect(Buffer.byteLength(String(zeros?.stdout))).toBeLessThanOrEqual(param.execMaxOutputBytes);
    expect(zeros?.duration_ms).toBeLessThan(3000);
    expect(errs?.truncated).toBe(true);
    expect(Buffer.byteLength(String(errs?.stderr))).toBeLessThanOrEqual(param.execMaxOutputBytes);
  });
});

describe.skipIf(!bwrap)('memory, file-descriptor and disk bombs', () => {
  it('one process asking for 3 GiB is refused', { timeout: 20_000 }, async () => {
    w = await startWorld({
      root: [
        call('EXEC_CMD', { cmd: "python3 -c \"x = b'\\x01' * (3 * 1024 ** 3); print('HELD')\"", timeout_s: 5 }),
        { expect: '"ok":true', reply: EXIT },
      ],
    });
    const pcb = await w.run();
    const exec = valueOf(w.resultsOf(pcb.pid, 'EXEC_CMD')[0]);
    expect(exec.stdout).not.toContain('HELD');
    expect(String(exec.stderr) + String(exec.signal)).toMatch(/MemoryError|SIGKILL/);
  });

  it.skipIf(!memoryCgroup)(
    'many processes cannot together hold more memory than the sandbox limit',
    { timeout: 30_000 },
    async () => {
      // Four processes of 450 MiB each, every one under the 1 GiB per-process limit: 1.8 GiB together.
      // The whole sandbox gets 1 GiB plus its two 64 MiB scratch tmpfs and 64 MiB of plumbing: room for two.
      // Each holds its memory for 4 s, longer than the allocations take, so the survivors held it at once.
      const holder = "import time; x = b'\\x01' * (450 * 1024 * 1024); time.sleep(4)";
      const cmd = `for i in 1 2 3 4; do python3 -c "${holder}" & done; for j in $(jobs -p); do wait $j && echo SURVIVED; done; echo done`;
      w = await startWorld({ root: [call('EXEC_CMD', { cmd, timeout_s: 20 }), { expect: 'done', reply: EXIT }] });
      const pcb = await w.run();
      const exec = valueOf(w.resultsOf(pcb.pid, 'EXEC_CMD')[0]);
      const survivors = String(exec.stdout)
        .split('\n')
        .filter((line) => line === 'SURVIVED').length;
      expect(survivors, `${survivors} processes held 450 MiB each to the end`).toBeLessThanOrEqual(2);
    },
  );

  it('fd bomb stops at the open-files limit', { timeout: 20_000 }, async () => {
    const script = [
      'import os',
      'fds = []',
      'try:',
      '    while True: fds.append(os.open("/dev/null", os.O_RDONLY))',
      'except OSError as e: print("STOPPED", len(fds), e.errno)',
    ].join('\n');
    w = await startWorld({
      root: [call('EXEC_CMD', { cmd: `python3 -c '${script}'`, timeout_s: 5 }), { expect: 'STOPPED', reply: EXIT }],
    });
    const pcb = await w.run();
    const exec = valueOf(w.resultsOf(pcb.pid, 'EXEC_CMD')[0]);
    const match = /STOPPED (\d+) (\d+)/.exec(String(exec.stdout));
    expect(Number(match?.[1])).toBeLessThanOrEqual(param.execMaxOpenFiles);
    expect(match?.[2]).toBe('24'); // EMFILE
  });

  it(
    'disk bomb: `head -c 1G /dev/zero > big` stops at the file-size cap; /tmp is capped too',
    { timeout: 30_000 },
    async () => {
      w = await startWorld({
        root: [
          call('EXEC_CMD', {
            cmd: 'head -c 1G /dev/zero > big; echo "exit=$?"; head -c 1G /dev/zero > /tmp/big 2>/dev/null; stat -c "%s" big /tmp/big',
            timeout_s: 10,
          }),
          { expect: 'exit=', reply: EXIT },
        ],
      });
      const pcb = await w.run();
      const exec = valueOf(w.resultsOf(pcb.pid, 'EXEC_CMD')[0]);
      expect(exec.stdout).toMatch(/exit=(153|1)\n/); // 128 + SIGXFSZ, or a write error
      const sizes = String(exec.stdout).split('\n').slice(1, 3).map(Number);
      for (const size of sizes) expect(size).toBeLessThanOrEqual(param.execMaxFileBytes);
      expect((await fsp.stat(path.join(w.workspace, 'big'))).size).toBeLessThanOrEqual(param.execMaxFileBytes);
    },
  );
});

describe.skipIf(!bwrap)('nothing outlives the call', () => {
  it('nohup, setsid and disowned background jobs are gone when EXEC_CMD returns', { timeout: 20_000 }, async () => {
    const seconds = uniqueSeconds();
    const cmd =
      `nohup sleep ${seconds} >/dev/null 2>&1 & setsid sleep ${seconds} >/dev/null 2>&1 & ` +
      `(sleep 2; touch /workspace/late) >/dev/null 2>&1 & disown; echo started`;
    w = await startWorld({ root: [call('EXEC_CMD', { cmd, timeout_s: 3 }), { expect: 'started', reply: EXIT }] });
    const pcb = await w.run();
    const exec = valueOf(w.resultsOf(pcb.pid, 'EXEC_CMD')[0]);
    expect(exec.duration_ms).toBeLessThan(2000);
    expect(await processesWith(seconds)).toEqual([]);
    await sleep(3000);
    expect(await exists(path.join(w.workspace, 'late'))).toBe(false);
    expect(await processesWith(seconds)).toEqual([]);
  });

  it(
    'kill during EXEC_CMD `sleep 30`: the process ends killed and no sandbox process remains',
    { timeout: 20_000 },
    async () => {
      const seconds = uniqueSeconds();
      w = await startWorld({ root: [call('EXEC_CMD', { cmd: `sleep ${seconds}`, timeout_s: 60 }), EXIT] });
      const pcb = await w.spawn();
      await untilCallStarts(w, pcb.pid, 'EXEC_CMD');
      const deadline = Date.now() + 3000;
      while ((await processesWith(`sleep ${seconds}`)).length === 0) {
        if (Date.now() > deadline) throw new Error('the sandbox never started');
        await sleep(20);
      }
      w.kernel.kill(pcb.pid);
      // Ended by the kill, not by the sleep (longer than the test's timeout); not timed by the clock.
      const ended = await w.kernel.waitExit(pcb.pid);
      expect(ended.state).toBe('killed');
      expect(await processesWith(seconds)).toEqual([]);
      expect(await childrenOf(process.pid)).toEqual([]);
    },
  );
});

/** Direct children of `pid` that are sandbox plumbing (bwrap, the cgroup launcher shell, prlimit). */
async function childrenOf(pid: number): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fsp.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await fsp.readFile(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && /bwrap|prlimit|sh$|sleep/.test(comm)) found.push(`${entry} ${comm}`);
    } catch {
      // gone
    }
  }
  return found;
}
