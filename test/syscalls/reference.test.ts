/**
 * The syscall reference a process is shown (syscalls/reference.ts): the calls its capabilities
 * allow, whole and exact (argument names from the schemas the dispatcher parses with), the others
 * by name in one line, and the same text for the same set of capabilities.
 */
import { describe, expect, it } from 'vitest';
import type { SyscallContext, SyscallDef } from '../../syscalls/define.js';
import { describeArgs, kindsFor, mayCall, syscallReference } from '../../syscalls/reference.js';
import { SYSCALLS } from '../../syscalls/table.js';
import { CAPABILITY_KINDS } from '../../sys/capabilities.js';
import { buildSystemPrompt } from '../../kernel/context/context.js';
import type { Pcb } from '../../sys/types.js';

const names = (text: string): string[] =>
  text
    .split('\n')
    .filter((line) => /^[A-Z_]+ \{/.test(line))
    .map((line) => line.slice(0, line.indexOf(' ')));
const notYours = (text: string): string[] =>
  (/^Not yours \([^)]*\): (.*)\.$/m.exec(text)?.[1] ?? '').split(', ').filter(Boolean);
const open = SYSCALLS.filter((def) => def.capability === null).map((def) => def.name);

/** Just enough of a call's context for a capability's `of` (a path made absolute, a channel named). */
const ctx = {
  drivers: { fs: { virtualPath: (p: string) => `/${p}` } },
  proc: { channelOf: () => 'tg/1' },
} as unknown as SyscallContext;

describe('syscallReference', () => {
  it('without capabilities given, lists every syscall of the table, each with its exact arguments', () => {
    const text = syscallReference();
    expect(names(text)).toEqual(SYSCALLS.map((def) => def.name));
    for (const def of SYSCALLS) expect(text).toContain(`${def.name} ${describeArgs(def)} -> ${def.returns}`);
    expect(text).not.toContain('Not yours');
  });

  it('is ASCII, as the system prompt around it: one other character makes every copy of a prompt two bytes a character', () => {
    // Each process keeps its prompt (5-9 KB) and the kernel copies it into each request and its first
    // request event: an arrow here once cost an idle process 21.5 KB of heap instead of 16.8 (bench idle).
    const nonAscii = /[^\x00-\x7f]/;
    expect(syscallReference()).not.toMatch(nonAscii);
    expect(syscallReference(['fs', 'net', 'exec', 'ipc', 'spawn'])).not.toMatch(nonAscii);
    const pcb = { pid: 7, name: 'agent', role: '', cwd: '/work', ppid: 1, capabilities: ['fs', 'ipc'] };
    const limits = { maxTurns: 100, maxTokens: 1000, maxCost: 2, maxWallS: 60 };
    expect(buildSystemPrompt({ ...pcb, limits } as unknown as Pcb)).not.toMatch(nonAscii);
  });

  it('shows a process the calls its capabilities allow and those every process may make; names the rest once', () => {
    const text = syscallReference(['fs.read:/data/**', 'ipc']);
    expect(names(text)).toEqual(
      SYSCALLS.filter(
        (d) => d.capability === null || ['FS_READ', 'FS_LIST', 'SEND_MSG', 'RECV_MSG'].includes(d.name),
      ).map((d) => d.name),
    );
    expect(notYours(text)).toEqual(SYSCALLS.map((d) => d.name).filter((n) => !names(text).includes(n)));
    expect(notYours(text)).toContain('EXEC_CMD');
    expect(text).toContain('fails EPERM');
  });

  it('with no capabilities at all: only the calls that need none', () => {
    const text = syscallReference([]);
    expect(names(text)).toEqual(open);
    expect(notYours(text)).toHaveLength(SYSCALLS.length - open.length);
  });

  it('says what a call needs where a pattern limits it, not where the process holds every subject', () => {
    const fsRead = (text: string): string => text.split('\n').find((l) => l.startsWith('  Read a file')) ?? '';
    expect(fsRead(syscallReference(['fs.read:/data/**']))).toContain('Needs "fs.read:<path>"');
    expect(fsRead(syscallReference(['fs.read:/**']))).not.toContain('Needs');
    // Held bare but not with unit: SPAWN_AGENT still says what `unit` asks.
    expect(syscallReference(['spawn'])).toContain('Needs "spawn (unit:<name> with unit)"');
    expect(syscallReference(['spawn', 'unit:**'])).not.toContain('Needs "spawn');
  });

  it('the same set in any order, with repeats or spaces, is the same text; a different set is not', () => {
    const a = syscallReference(['exec', 'fs.read:/**', 'thread:**']);
    expect(syscallReference([' thread:**', 'fs.read:/**', 'exec', 'exec'])).toBe(a);
    expect(syscallReference(['fs.read:/**', 'thread:**'])).not.toBe(a);
  });

  it('two sets that one separator would join alike get their own text (a pattern may hold a newline)', () => {
    const joined = syscallReference(['fs.read:/a\nexec']);
    const apart = syscallReference(['fs.read:/a', 'exec']);
    expect(names(joined)).not.toContain('EXEC_CMD');
    expect(names(apart)).toContain('EXEC_CMD');
  });

  it('a call made with either of two kinds is shown with either: mem or mem.shared, spawn or unit:<name>', () => {
    for (const caps of [['mem'], ['mem.shared']]) expect(names(syscallReference(caps))).toContain('MEM_WRITE');
    for (const caps of [['spawn'], ['unit:nightly']]) expect(names(syscallReference(caps))).toContain('SPAWN_AGENT');
    expect(names(syscallReference(['model:gemini:*']))).not.toContain('SPAWN_AGENT');
  });
});

describe('kindsFor', () => {
  it('every gated syscall names known capability kinds; a call that needs none names none', () => {
    for (const def of SYSCALLS) {
      const kinds = kindsFor(def);
      if (def.capability === null) expect(kinds).toBeNull();
      else {
        expect(kinds?.length, def.name).toBeGreaterThan(0);
        for (const kind of kinds ?? []) expect(CAPABILITY_KINDS as readonly string[], def.name).toContain(kind);
      }
    }
  });

  it('every capability the dispatcher may ask of a call is of a kind the reference counts for it', () => {
    // Were one missing, a process holding only that kind would be told it cannot make a call it can.
    const variants = [false, true].flatMap((shared) =>
      [undefined, 'nightly'].map((unit) => ({
        path: 'a',
        url: 'https://example.com/x',
        server: 's',
        tool: 't',
        key: 'client:acme',
        to: 'inbound',
        shared,
        ...(unit === undefined ? {} : { unit }),
      })),
    );
    for (const def of SYSCALLS) {
      const capability = def.capability;
      if (capability === null) continue;
      const asked =
        typeof capability === 'string'
          ? [capability]
          : variants.map((args) => (capability as Exclude<SyscallDef['capability'], string | null>).of(args, ctx));
      for (const needed of asked) {
        const kind = needed.split(':')[0] ?? '';
        expect(kindsFor(def), `${def.name} asks ${needed}`).toContain(kind);
        expect(mayCall(def, [needed]), `${def.name} with ${needed}`).toBe(true);
        expect(mayCall(def, []), def.name).toBe(false);
      }
    }
  });
});
