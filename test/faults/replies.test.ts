/**
 * What a model (or a tape) brings cannot stop the daemon: arguments nested 10,000 deep, 10,000 calls
 * in one reply, a reply near the tape's size cap, and tapes that are FIFOs, devices or too large.
 * The daemon keeps its pid and keeps answering throughout.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonLines } from '../helpers/cli.js';
import { psDirect } from '../helpers/kernel-probe.js';
import { call, type FaultHome, makeFaultHome } from './fault-home.js';

let t: FaultHome | null = null;
afterEach(async () => {
  await t?.dispose();
  t = null;
});

async function tapeOf(home: FaultHome, replies: string[]): Promise<string> {
  const file = path.join(home.home, `tape-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, YAML.stringify({ agents: { root: replies } }, { lineWidth: 0 }));
  return `replay:${file}`;
}

describe('replies that once broke the kernel', () => {
  it('runs deep, wide and large replies to the end without the daemon restarting', async () => {
    t = await makeFaultHome();
    await t.start();
    const daemon = await t.daemonPid();
    const deep = `[SYS_CALL::FS_READ] {"path": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const wide = `${call('FS_LIST', { path: '/' })}\n`.repeat(10_000);
    const large = `${'a long stretch of prose from a chatty model '.repeat(15_000)}\n${call('SYS_WRITE_STDOUT', { text: 'still here' })}`;
    for (const [reply, expected] of [
      [deep, 'nest deeper than 32 levels'],
      [wide, '9968 more after the first 32 were not run'],
      [large, '"ok":true'],
    ] as const) {
      const model = await tapeOf(t, [
        reply,
        { expect: expected, reply: call('SYS_EXIT', { code: 0 }) } as unknown as string,
      ]);
      const run = await t.cli(['spawn', 'x', '--model', model, '--json'], { timeoutMs: 60_000 });
      expect(run.code, `${expected}: ${run.stderr}`).toBe(0);
      expect(jsonLines(run.stdout).at(-1)).toMatchObject({ type: 'state', to: 'exited', code: 0 });
    }
    expect(await t.daemonPid()).toBe(daemon);
  }, 120_000);
});

describe('tapes that are not files', () => {
  it('refuses a FIFO, a device and an oversized tape at once, while another process keeps running', async () => {
    t = await makeFaultHome();
    const sleeper = await t.tape({ root: [call('SLEEP', { seconds: 0.5 }), call('SYS_EXIT', { code: 0 })] });
    const running = await t.cli(['spawn', 's', '--model', sleeper, '--detach', '--json']);
    const pid = (JSON.parse(running.stdout) as { pid: number }).pid;
    const fifo = path.join(t.home, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const big = path.join(t.home, 'big.yaml');
    await writeFile(big, `agents:\n  root:\n    - "${'x'.repeat(2 * 1024 * 1024)}"\n`);
    for (const [file, message] of [
      [fifo, /not a regular file/],
      ['/dev/zero', /not a regular file/],
      [big, /larger than the \d+ byte limit/],
    ] as const) {
      const run = await t.cli(['spawn', 'x', '--model', `replay:${file}`, '--detach'], { timeoutMs: 20_000 });
      expect(run.code, file).toBe(1);
      expect(run.stderr, file).toMatch(message);
    }
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (await psDirect(t.home, true)).find((r) => r.pid === pid)?.state !== 'exited') {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await psDirect(t.home, true)).find((r) => r.pid === pid)).toMatchObject({ state: 'exited', exit_code: 0 });
  }, 60_000);
});
