/**
 * Table-driven tests of every syscall in SYSCALLS, each through a real kernel on an inline replay
 * tape: a happy case, bad arguments (EINVAL naming the field), and a missing capability (EPERM,
 * and nothing happened). The cases are one file per syscall, cases/<call>.ts (FS_READ: fs-read.ts),
 * default-exporting its SyscallCases; a syscall without one, or a file naming none, fails the first tests.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SYSCALLS } from '../../syscalls/table.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';
import { type BadArgs, closeRoot, runRoot, type SyscallCases } from './cases/shared.js';

const casesUrl = new URL('./cases/', import.meta.url);
const fileOf = (name: string): string => `${name.toLowerCase().replaceAll('_', '-')}.ts`;
const files = readdirSync(fileURLToPath(casesUrl)).filter((file) => file.endsWith('.ts') && file !== 'shared.ts');
const cases: Record<string, SyscallCases> = {};
for (const file of files) {
  const name = file.slice(0, -'.ts'.length).toUpperCase().replaceAll('-', '_');
  cases[name] = ((await import(new URL(file, casesUrl).href)) as { default: SyscallCases }).default;
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  await closeRoot();
});

function messageMatcher(bad: BadArgs): string {
  if (bad.kind === 'unknown') return `"${bad.field}"`;
  if (bad.kind === 'value') return bad.field;
  return `${bad.field}: `;
}

describe('the syscall table', () => {
  it('has a cases file for every syscall in the table', () => {
    const missing = SYSCALLS.filter((def) => !files.includes(fileOf(def.name))).map(
      (def) => `${def.name} (cases/${fileOf(def.name)})`,
    );
    expect(missing, 'syscalls without a cases file').toEqual([]);
  });

  it('has no cases file that names no syscall in the table', () => {
    const strays = files.filter((file) => !SYSCALLS.some((def) => fileOf(def.name) === file));
    expect(strays, 'cases files naming no syscall (cases/<call>.ts, e.g. fs-read.ts for FS_READ)').toEqual([]);
  });

  it('has happy, EINVAL and EPERM cases for every syscall (and nothing else)', () => {
    expect(Object.keys(cases).sort()).toEqual(SYSCALLS.map((def) => def.name).sort());
    for (const def of SYSCALLS) {
      const entry = cases[def.name];
      expect(entry?.happy, def.name).toBeDefined();
      expect(entry?.einval.calls.length, def.name).toBeGreaterThan(0);
      expect(entry?.eperm, def.name).toBeDefined();
    }
  });

  it('has a null capability exactly where the table says `eperm: null`', () => {
    for (const def of SYSCALLS) {
      const nullCase = cases[def.name]?.eperm === null;
      expect({ name: def.name, capabilityIsNull: def.capability === null }).toEqual({
        name: def.name,
        capabilityIsNull: nullCase,
      });
    }
    expect(
      SYSCALLS.filter((def) => def.capability === null)
        .map((def) => def.name)
        .sort(),
    ).toEqual([
      'HISTORY_SEARCH',
      'MCP_LIST',
      'SKILL_OPEN',
      'SLEEP',
      'SYS_ESCALATE',
      'SYS_EXIT',
      'SYS_READ_STDIN',
      'SYS_RESULT_READ',
      'SYS_WRITE_STDOUT',
      'THREAD_LIST',
      'WAIT',
    ]);
  });

  it('each EINVAL case covers a missing or mistyped field and an unknown key', () => {
    for (const def of SYSCALLS) {
      const kinds = new Set(cases[def.name]?.einval.calls.map((c) => c.kind));
      expect(kinds.has('unknown'), def.name).toBe(true);
      expect(kinds.has('missing') || kinds.has('type'), def.name).toBe(true);
    }
  });
});

for (const def of SYSCALLS) {
  const name = def.name;
  const entry = (): SyscallCases => {
    const found = cases[name];
    if (!found) throw new Error(`no cases for ${name}`);
    return found;
  };

  describe(name, () => {
    it('happy: the result is ok and has the documented shape', async () => {
      const run = entry().happy;
      const outcome = await runRoot(name, run);
      expect(outcome.pcb.exitReason).not.toMatch(/replay/);
      expect(outcome.pcb.exitCode).toBe(run.exitCode ?? 0);
      expect(outcome.subject).toMatchObject({ ok: true, name });
      expect(outcome.subject.errno).toBeUndefined();
      await run.verify(outcome);
    });

    it('einval: bad arguments fail with EINVAL naming the field, and change nothing', async () => {
      const { calls, nothingHappened } = entry().einval;
      const reply = calls.map((bad) => call(bad.name ?? name, bad.args)).join('\n');
      const outcome = await runRoot(name, {
        root: [reply, { expect: `[SYS_RESULT::${name}] {"ok":false,"errno":"EINVAL"`, reply: EXIT }],
        verify: () => {},
      });
      expect(outcome.pcb.exitCode).toBe(0);
      const mine = outcome.results.slice(0, calls.length);
      expect(mine).toHaveLength(calls.length);
      for (const [i, bad] of calls.entries()) {
        const result = mine[i];
        const label = `${name} ${JSON.stringify(bad.args).slice(0, 80)}`;
        expect(result?.name, label).toBe(name);
        expect(result?.ok, label).toBe(false);
        expect(result?.errno, label).toBe('EINVAL');
        expect(result?.message, label).toContain(messageMatcher(bad));
        if (bad.kind !== 'value') expect(result?.message, label).toContain(`bad arguments for ${name}`);
      }
      await nothingHappened?.(outcome);
    });

    const eperm = cases[name]?.eperm;
    if (eperm === null) {
      it('eperm: null — any process may call it, even one holding no capability', () => {
        expect(def.capability).toBeNull();
      });
    } else {
      it('eperm: without the capability the call fails with EPERM and nothing happens', async () => {
        const run = entry().eperm;
        if (!run) throw new Error('unreachable');
        const outcome = await runRoot(name, run);
        expect(outcome.pcb.exitCode).toBe(0);
        expect(outcome.subject).toMatchObject({ ok: false, errno: 'EPERM' });
        expect(outcome.subject.message).toContain(`needs capability "${run.needs}"`);
        await run.verify(outcome);
      });
    }
  });
}

describe('capability-free syscalls', () => {
  it('all run for a process that holds no capability at all (no EPERM)', async () => {
    const reply = [
      call('WAIT', {}),
      call('SYS_WRITE_STDOUT', { text: 'x' }),
      call('SYS_READ_STDIN', { timeout_s: 0.01 }),
      call('SLEEP', { seconds: 0 }),
      call('SYS_RESULT_READ', { turn: 0, seq: 3, field: 'slept' }),
      call('SYS_EXIT', { code: 5 }),
    ].join('\n');
    h = await startHarness({ root: [reply] }, { rootCapabilities: [] });
    const pcb = await h.run();
    expect(h.results(pcb.pid).map((r) => [r.name, r.errno ?? 'ok'])).toEqual([
      ['WAIT', 'ECHILD'],
      ['SYS_WRITE_STDOUT', 'ok'],
      ['SYS_READ_STDIN', 'ETIMEDOUT'],
      ['SLEEP', 'ok'],
      ['SYS_RESULT_READ', 'ok'],
      ['SYS_EXIT', 'ok'],
    ]);
    expect(pcb.exitCode).toBe(5);
  });
});
