/**
 * The exec corpus through the real sandbox (issue 27). Three runs of every spelling, each on its
 * own victim file: with no rule (the control: the spelling really deletes here, or the case is
 * broken), through a real kernel under `deny: "exec:rm *"` (nothing is deleted, and a program the
 * rule does not name still runs), and through the exec gate alone, without the command line's
 * first check (the gate is the guarantee, not the parser). The control and the gate-alone runs
 * take the cases eight to a sandbox, each in a subshell of its own.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { findGate } from '../../drivers/exec/gate/gate-binary.js';
import { isExecutableFile } from '../../drivers/exec/find-bwrap.js';
import { runSandboxed } from '../../drivers/exec/run-sandboxed.js';
import { Approvals } from '../../kernel/safety/approvals.js';
import { execGateFor } from '../../kernel/safety/exec-gate-policy.js';
import { parsePolicy } from '../../kernel/safety/policy.js';
import type { Proc } from '../../kernel/proc/proc.js';
import type { AuditTrail } from '../../kernel/store/audit.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';
import { makeTempDir, removeDir, TEST_LIMITS } from '../drivers/exec/exec-helpers.js';
import { execCorpus, type ExecCase } from './exec-corpus.js';

const ready = Boolean((await findBwrap()) && (await findGate()));
if (!ready) console.log('bwrap or the exec gate is missing: the exec corpus is skipped');

const POLICY = parsePolicy(
  'version: 1\nroot: {capabilities: [exec]}\nrules:\n  - deny: "exec:rm *"\n',
  'corpus-policy',
);

async function installed(name: string): Promise<boolean> {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin']) if (await isExecutableFile(path.join(dir, name))) return true;
  return false;
}

async function usable(cases: ExecCase[]): Promise<ExecCase[]> {
  const out: ExecCase[] = [];
  for (const c of cases) if ((await Promise.all((c.needs ?? []).map(installed))).every(Boolean)) out.push(c);
  return out;
}

/** Run `work` over `items`, `width` at a time. */
async function pool<T>(items: T[], width: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i] as T, i);
      }
    }),
  );
}

const victim = (run: string, i: number): string => `${run}-victim-${i}`;

/** Cases in batches of BATCH, each in a subshell of its own: one sandbox run per batch. */
const BATCH = 8;
function batches(cases: ExecCase[], names: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < cases.length; i += BATCH) {
    out.push(
      cases
        .slice(i, i + BATCH)
        .map((c, j) => `(\n${c.cmd(names[i + j] as string)}\n)`)
        .join('\n'),
    );
  }
  return out;
}

async function plant(dir: string, names: string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all(names.map((name) => writeFile(path.join(dir, name), 'precious')));
}

function survivors(dir: string, names: string[]): boolean[] {
  return names.map((name) => existsSync(path.join(dir, name)));
}

describe.runIf(ready)('the exec corpus', () => {
  let cases: ExecCase[] = [];
  let ws: string;
  beforeAll(async () => {
    cases = await usable(execCorpus());
    ws = await makeTempDir('aos-corpus-');
  });
  afterAll(async () => {
    await removeDir(ws);
  });

  it('holds at least 200 spellings, and each one deletes its victim when no rule stands in the way', async () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    const names = cases.map((_c, i) => victim('control', i));
    await plant(ws, names);
    await pool(batches(cases, names), 2, async (cmd) => {
      await runSandboxed({ cmd, workspace: ws, limits: { ...TEST_LIMITS, wallTimeoutMs: 30_000 } });
    });
    const broken = cases.filter((_c, i) => survivors(ws, names)[i]).map((c) => c.name);
    expect(broken, 'spellings that do not delete even without a rule').toEqual([]);
  }, 120_000);

  it('deletes nothing through a real kernel under deny: "exec:rm *", and still runs what the rule does not name', async () => {
    const names = cases.map((_c, i) => victim('kernel', i));
    const agents: Record<string, string[]> = {};
    const lanes = 4;
    cases.forEach((c, i) => {
      const lane = `w${i % lanes}`;
      (agents[lane] ??= []).push(call('EXEC_CMD', { cmd: c.cmd(names[i] as string) }));
    });
    for (const lane of Object.keys(agents))
      agents[lane]?.push(call('EXEC_CMD', { cmd: `ls ${names[0]} && echo control-ran` }), EXIT);
    let h: Harness | null = null;
    try {
      h = await startHarness(agents, {
        safety: POLICY.safety,
        rootCapabilities: ['exec', 'fs.read:/**', 'fs.write:/**'],
      });
      await plant(h.workspace, names);
      const pcbs = await Promise.all(Object.keys(agents).map((name) => h!.spawn({ name })));
      for (const pcb of pcbs) expect((await h.kernel.waitExit(pcb.pid)).exitCode).toBe(0);
      const deleted = cases.filter((_c, i) => !survivors(h!.workspace, names)[i]).map((c) => c.name);
      expect(deleted, 'spellings that deleted their victim under the deny rule').toEqual([]);
      for (const pcb of pcbs) {
        const last = h
          .results(pcb.pid)
          .filter((r) => r.name === 'EXEC_CMD')
          .at(-1);
        expect(JSON.stringify(last)).toContain('control-ran');
      }
    } finally {
      await h?.close();
    }
  }, 180_000);

  it('deletes nothing through the exec gate alone, without the first check', async () => {
    const names = cases.map((_c, i) => victim('gate', i));
    await plant(ws, names);
    const audit = { record: () => undefined } as unknown as AuditTrail;
    const approvals = { request: () => Promise.resolve({ approved: false, reason: 'no' }) } as unknown as Approvals;
    const host = { policy: POLICY.safety, audit, approvals };
    await pool(batches(cases, names), 2, async (cmd) => {
      const gate = execGateFor(host, { pid: 1 } as Proc, { cmd });
      await runSandboxed({
        cmd,
        workspace: ws,
        limits: { ...TEST_LIMITS, wallTimeoutMs: 30_000 },
        ...(gate ? { gate } : {}),
      });
    });
    const deleted = cases.filter((_c, i) => !survivors(ws, names)[i]).map((c) => c.name);
    expect(deleted, 'spellings that got past the gate').toEqual([]);
    const control = await runSandboxed({
      cmd: 'ls / >/dev/null && echo ok',
      workspace: ws,
      limits: TEST_LIMITS,
      gate: execGateFor(host, { pid: 1 } as Proc, { cmd: 'ls' })!,
    });
    expect(control.stdout).toBe('ok\n');
  }, 120_000);
});
