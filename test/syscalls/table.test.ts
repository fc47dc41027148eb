/**
 * Table-driven tests of every syscall in SYSCALLS, each through a real kernel on an inline replay
 * tape: a happy case, bad arguments (EINVAL naming the field), and a missing capability (EPERM,
 * and nothing happened). Adding a syscall without an entry in `cases` fails the first test.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../kernel/wire/events.js';
import type { Pcb } from '../../kernel/types.js';
import { findBwrap } from '../../drivers/exec/index.js';
import { idForKey, type SupervisedChroma, treeNamespace } from '../../drivers/memory/index.js';
import { SYSCALLS } from '../../syscalls/table.js';
import { ALL_CAPS, call, EXIT, type Harness, startHarness, type TapeEntry } from '../helpers/kernel-harness.js';
import { everything } from '../drivers/mcp/servers.js';

type ResultEvent = Extract<KernelEvent, { type: 'result' }>;

const bwrap = await findBwrap();
if (!bwrap) console.warn('bwrap not installed: EXEC_CMD happy case checks the ENOSYS error instead');

/** A local HTTP service for NET_FETCH, reachable only because the policy opens its port. */
let fetchHits = 0;
const web = http.createServer((req, res) => {
  fetchHits++;
  res.setHeader('content-type', 'text/plain');
  res.end(`hello from ${req.url ?? ''}`);
});
await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
const webPort = (web.address() as AddressInfo).port;
const webUrl = `http://127.0.0.1:${webPort}`;

/** Kernel-side state of the caller, captured at the moment each of its results is emitted. */
interface Probe {
  name: string;
  timers: number;
  children: number;
  mailbox: number;
}

interface Outcome {
  h: Harness;
  pcb: Pcb;
  results: ResultEvent[];
  probes: Probe[];
  /** The first result of the syscall under test. */
  subject: ResultEvent;
}

interface Run {
  /** Replies of the process under test (the root, pid 1). */
  root: TapeEntry[];
  /** Other agents of the tape (children, by name). */
  agents?: Record<string, TapeEntry[]>;
  /** Root capabilities; the harness's ALL_CAPS when absent. */
  caps?: string[];
  setup?: (h: Harness) => Promise<void>;
  /** The root's expected exit code (0 means every tape expectation held). */
  exitCode?: number;
  verify: (o: Outcome) => void | Promise<void>;
}

interface BadArgs {
  /** The spelling to call (the canonical name when absent). */
  name?: string;
  args: Record<string, unknown>;
  /** The field the message must name. */
  field: string;
  /** `unknown`: an extra key (the schemas are strict); `value`: a run-time check names the value. */
  kind: 'missing' | 'type' | 'range' | 'unknown' | 'value';
}

interface SyscallCases {
  happy: Run;
  /** Sent as one reply: every call must fail with EINVAL and nothing may change. */
  einval: { calls: BadArgs[]; nothingHappened?: (o: Outcome) => void | Promise<void> };
  /** null for syscalls any process may make (capability null). */
  eperm: (Run & { needs: string }) | null;
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function runRoot(name: string, run: Run): Promise<Outcome> {
  h = await startHarness(
    { ...run.agents, root: run.root },
    // Memory is configured for every case; Chroma only starts for the MEM_* ones that get to run.
    // So is the everything MCP server (from npm): it starts only for the MCP_* cases that reach it.
    { ...(run.caps ? { rootCapabilities: run.caps } : {}), webhookPort: 0, netAllowPrivate: [`127.0.0.1:${webPort}`], memory: true, mcp: { everything: everything() } },
  );
  const harness = h;
  const probes: Probe[] = [];
  harness.kernel.events.subscribe((e) => {
    if (e.type !== 'result' || e.pid !== 1) return;
    const proc = harness.kernel.proc(1);
    probes.push({ name: e.name, timers: proc?.timers.size ?? -1, children: proc?.children.size ?? -1, mailbox: proc?.mailbox.length ?? -1 });
  });
  await run.setup?.(harness);
  const pcb = await harness.run();
  const results = harness.results(pcb.pid);
  const subject = results.find((r) => r.name === name);
  if (!subject) throw new Error(`no ${name} result for the root; it ended with "${pcb.exitReason}"`);
  return { h: harness, pcb, results, probes, subject };
}

function workspaceFile(harness: Harness, virtual: string): string {
  return path.join(harness.workspace, virtual);
}

async function seed(harness: Harness, files: Record<string, string>): Promise<void> {
  for (const [file, content] of Object.entries(files)) {
    const full = workspaceFile(harness, file);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, content);
  }
}

function msgEvents(harness: Harness): Array<Extract<KernelEvent, { type: 'message' }>> {
  return harness.events.filter((e): e is Extract<KernelEvent, { type: 'message' }> => e.type === 'message');
}

const states = (harness: Harness, pid: number): string[] =>
  harness.eventsOf(pid, 'state').map((e) => (e.type === 'state' ? `${e.from}>${e.to}` : ''));

const ok = (name: string): string => `[SYS_RESULT::${name}] {"ok":true`;

/** Memory reads as the test sees it, straight from the kernel's store (root pid 1's tree). */
function memoryOf(harness: Harness): NonNullable<Harness['kernel']['memory']> {
  const memory = harness.kernel.memory;
  if (!memory) throw new Error('the harness kernel has no memory store');
  return memory;
}

/** Whether the kernel ever started Chroma (refused calls must not). */
const chromaState = (harness: Harness): string => (memoryOf(harness).endpoint as SupervisedChroma).state;

interface Hit {
  id: string;
  text: string;
  score: number;
  metadata: Record<string, unknown>;
}

/** Responses to the requests the SYS_WEBHOOK_REPLY happy case sends to its own webhook. */
const webhookResponses: Array<Promise<Response>> = [];

const cases: Record<string, SyscallCases> = {
  FS_READ: {
    happy: {
      setup: (harness) => seed(harness, { 'a.txt': 'hello' }),
      root: [
        `${call('FS_READ', { path: 'a.txt' })}\n${call('FS_READ', { path: '/a.txt', offset: 1, length: 2 })}`,
        { expect: [ok('FS_READ'), '"content":"hello"', '"content":"el"'], reply: EXIT },
      ],
      verify: ({ results }) => {
        expect(results[0]?.value).toEqual({ path: '/a.txt', content: 'hello', encoding: 'utf8', size: 5, offset: 0, bytes: 5, truncated: false });
        expect(results[1]?.value).toEqual({ path: '/a.txt', content: 'el', encoding: 'utf8', size: 5, offset: 1, bytes: 2, truncated: true });
      },
    },
    einval: {
      calls: [
        { args: {}, field: 'path', kind: 'missing' },
        { args: { path: 7 }, field: 'path', kind: 'type' },
        { args: { path: '' }, field: 'path', kind: 'range' },
        { args: { path: 'a.txt', length: 0 }, field: 'length', kind: 'range' },
        { args: { path: 'a.txt', offset: -1 }, field: 'offset', kind: 'range' },
        { args: { path: 'a.txt', encoding: 'utf8' }, field: 'encoding', kind: 'unknown' },
        { args: { path: 'a\u0000b.txt' }, field: 'path', kind: 'value' },
      ],
    },
    eperm: {
      needs: 'fs.read:/secret/key.txt',
      caps: ['fs.read:/pub/**', 'fs.write:/**'],
      setup: (harness) => seed(harness, { 'secret/key.txt': 'TOP SECRET', 'pub/ok.txt': 'fine' }),
      root: [call('FS_READ', { path: 'secret/key.txt' }), { expect: '"errno":"EPERM"', reply: call('FS_READ', { path: 'pub/ok.txt' }) }, { expect: '"content":"fine"', reply: EXIT }],
      verify: ({ h: harness, subject }) => {
        expect(subject.value).toBeUndefined();
        // The secret reached neither a result nor any prompt the model saw.
        expect(JSON.stringify(harness.events)).not.toContain('TOP SECRET');
      },
    },
  },

  FS_WRITE: {
    happy: {
      root: [
        `${call('FS_WRITE', { path: 'out/a.txt', content: 'hi' })}\n${call('FS_WRITE', { path: '/out/a.txt', content: ' there', append: true })}`,
        { expect: [ok('FS_WRITE'), '"bytes":2', '"bytes":6'], reply: EXIT },
      ],
      verify: async ({ h: harness, results }) => {
        expect(results[0]?.value).toEqual({ path: '/out/a.txt', bytes: 2 });
        expect(results[1]?.value).toEqual({ path: '/out/a.txt', bytes: 6 });
        expect(await readFile(workspaceFile(harness, 'out/a.txt'), 'utf8')).toBe('hi there');
      },
    },
    einval: {
      calls: [
        { args: { content: 'x' }, field: 'path', kind: 'missing' },
        { args: { path: 'w.txt' }, field: 'content', kind: 'missing' },
        { args: { path: 'w.txt', content: 5 }, field: 'content', kind: 'type' },
        { args: { path: 'w.txt', content: 'x', append: 'yes' }, field: 'append', kind: 'type' },
        { args: { path: 'w.txt', content: 'x', mode: 420 }, field: 'mode', kind: 'unknown' },
      ],
      nothingHappened: ({ h: harness }) => {
        expect(existsSync(workspaceFile(harness, 'w.txt'))).toBe(false);
      },
    },
    eperm: {
      needs: 'fs.write:/x.txt',
      caps: ['fs.read:/**', 'fs.write:/out/**'],
      root: [call('FS_WRITE', { path: 'x.txt', content: 'nope' }), { expect: '"errno":"EPERM"', reply: EXIT }],
      verify: ({ h: harness }) => {
        expect(existsSync(workspaceFile(harness, 'x.txt'))).toBe(false);
      },
    },
  },

  FS_LIST: {
    happy: {
      setup: (harness) => seed(harness, { 'a.txt': 'hello', 'd/b.txt': 'b' }),
      root: [`${call('FS_LIST')}\n${call('FS_LIST', { path: 'd' })}`, { expect: [ok('FS_LIST'), '"name":"b.txt"'], reply: EXIT }],
      verify: ({ results }) => {
        expect(results[0]?.value).toEqual({
          path: '/',
          entries: [
            { name: 'a.txt', type: 'file', size: 5 },
            { name: 'd', type: 'dir', size: 0 },
          ],
          truncated: false,
        });
        expect(results[1]?.value).toEqual({ path: '/d', entries: [{ name: 'b.txt', type: 'file', size: 1 }], truncated: false });
      },
    },
    einval: {
      calls: [
        { args: { path: 5 }, field: 'path', kind: 'type' },
        { args: { path: '/', recursive: true }, field: 'recursive', kind: 'unknown' },
        { args: { dir: '/' }, field: 'dir', kind: 'unknown' },
      ],
    },
    eperm: {
      needs: 'fs.read:/',
      caps: ['fs.write:/**'],
      setup: (harness) => seed(harness, { 'hidden-name.txt': 'x' }),
      root: [call('FS_LIST'), { expect: '"errno":"EPERM"', reply: EXIT }],
      verify: ({ h: harness, subject }) => {
        expect(subject.value).toBeUndefined();
        expect(JSON.stringify(harness.events)).not.toContain('hidden-name');
      },
    },
  },

  SPAWN_AGENT: {
    happy: {
      root: [
        call('SPAWN_AGENT', { role: 'worker', task: 'do the thing', name: 'w1' }),
        { expect: [ok('SPAWN_AGENT'), '"pid":2'], reply: call('WAIT', { pid: 2, timeout_s: 5 }) },
        { expect: '"exit_code":0', reply: EXIT },
      ],
      agents: { w1: [{ expect: ['[TASK (from your parent, pid 1)]', 'do the thing'], reply: EXIT }] },
      verify: ({ h: harness, subject }) => {
        expect(subject.value).toEqual({ pid: 2 });
        const child = harness.kernel.pcb(2);
        expect(child).toMatchObject({ ppid: 1, name: 'w1', role: 'worker', task: 'do the thing', exitCode: 0 });
        // No permissions listed: the child holds all of its parent's.
        expect(child?.capabilities).toEqual(ALL_CAPS);
      },
    },
    einval: {
      calls: [
        { args: {}, field: 'role', kind: 'missing' },
        { args: { role: 5 }, field: 'role', kind: 'type' },
        { args: { role: 'w', name: 'bad name!' }, field: 'name', kind: 'range' },
        { args: { role: 'w', priority: 99 }, field: 'priority', kind: 'range' },
        { args: { role: 'w', pipe_to: 'child' }, field: 'pipe_to', kind: 'type' },
        { args: { role: 'w', permissions: 'exec' }, field: 'permissions', kind: 'type' },
        { args: { role: 'w', timeout: 5 }, field: 'timeout', kind: 'unknown' },
        // A capability string the kernel does not know is refused, not silently dropped.
        { args: { role: 'w', permissions: ['root'] }, field: 'root', kind: 'value' },
        { args: { role: 'w', model: 'gemini' }, field: 'provider:model', kind: 'value' },
        { args: { role: 'w', model: 'claude:opus' }, field: 'unknown model provider "claude"', kind: 'value' },
      ],
      nothingHappened: ({ h: harness, probes }) => {
        expect(harness.kernel.list()).toHaveLength(1);
        expect(probes.every((p) => p.children === 0)).toBe(true);
      },
    },
    eperm: {
      needs: 'spawn',
      caps: ['fs.read:/**', 'ipc'],
      root: [call('SPAWN_AGENT', { role: 'worker' }), { expect: '"errno":"EPERM"', reply: EXIT }],
      agents: { worker: [EXIT] },
      verify: ({ h: harness, probes }) => {
        expect(harness.kernel.list().map((p) => p.pid)).toEqual([1]);
        expect(probes[0]?.children).toBe(0);
        expect(harness.events.some((e) => e.pid === 2)).toBe(false);
      },
    },
  },

  WAIT: {
    happy: {
      root: [
        call('SPAWN_AGENT', { role: 'worker' }),
        call('WAIT', { pid: 2, timeout_s: 5 }),
        { expect: [ok('WAIT'), '"exit_code":7', '"output":"done"'], reply: EXIT },
      ],
      agents: { worker: [call('SYS_EXIT', { code: 7, result: 'done' })] },
      verify: ({ subject }) => {
        expect(subject.value).toEqual({ pid: 2, name: 'worker', exit_code: 7, reason: 'exited with code 7', output: 'done' });
      },
    },
    einval: {
      calls: [
        { args: { pid: '2' }, field: 'pid', kind: 'type' },
        { args: { pid: 0 }, field: 'pid', kind: 'range' },
        { args: { pid: 1.5 }, field: 'pid', kind: 'type' },
        { args: { timeout_s: 0 }, field: 'timeout_s', kind: 'range' },
        { args: { timeout_s: 24 * 3600 + 1 }, field: 'timeout_s', kind: 'range' },
        { args: { child: 2 }, field: 'child', kind: 'unknown' },
      ],
    },
    // WAIT has no capability: any process may wait for its own children.
    eperm: null,
  },

  SEND_MSG: {
    happy: {
      root: [
        call('SPAWN_AGENT', { role: 'worker' }),
        call('SEND_MSG', { to_pid: 2, content: 'hello worker' }),
        { expect: ok('SEND_MSG'), reply: call('WAIT', { pid: 2, timeout_s: 5 }) },
        { expect: '"output":"got hello worker"', reply: EXIT },
      ],
      agents: {
        worker: [call('RECV_MSG', { timeout_s: 5 }), { expect: ['"from_pid":1', '"content":"hello worker"'], reply: call('SYS_EXIT', { result: 'got hello worker' }) }],
      },
      verify: ({ h: harness, subject }) => {
        expect(subject.value).toEqual({ ok: true });
        expect(msgEvents(harness).filter((e) => e.channel === 'msg')).toMatchObject([{ from_pid: 1, to_pid: 2, content: 'hello worker' }]);
      },
    },
    einval: {
      calls: [
        { args: { to_pid: 1 }, field: 'content', kind: 'missing' },
        { args: { content: 'x' }, field: 'to_pid', kind: 'missing' },
        { args: { to_pid: '1', content: 'x' }, field: 'to_pid', kind: 'type' },
        { args: { to_pid: 0, content: 'x' }, field: 'to_pid', kind: 'range' },
        { args: { to_pid: 1, content: { text: 'x' } }, field: 'content', kind: 'type' },
        { args: { to_pid: 1, content: 'x', urgent: true }, field: 'urgent', kind: 'unknown' },
      ],
      nothingHappened: ({ h: harness, probes }) => {
        expect(msgEvents(harness)).toEqual([]);
        expect(probes.every((p) => p.mailbox === 0)).toBe(true);
      },
    },
    eperm: {
      needs: 'ipc',
      caps: ['spawn'],
      root: [
        call('SPAWN_AGENT', { role: 'worker' }),
        call('SEND_MSG', { to_pid: 2, content: 'should not arrive' }),
        { expect: '"errno":"EPERM"', reply: call('WAIT', { pid: 2, timeout_s: 5 }) },
        EXIT,
      ],
      agents: { worker: [call('SLEEP', { seconds: 0.1 }), EXIT] },
      verify: ({ h: harness }) => {
        harness.kernel.store.flush();
        expect(harness.kernel.store.loadMessages().filter((m) => m.to_pid === 2)).toEqual([]);
        expect(msgEvents(harness)).toEqual([]);
        expect(harness.eventsOf(2, 'prompt').map((e) => (e.type === 'prompt' ? e.text : '')).join('\n')).not.toContain('should not arrive');
      },
    },
  },

  RECV_MSG: {
    happy: {
      root: [
        call('SPAWN_AGENT', { role: 'worker' }),
        call('RECV_MSG', { timeout_s: 5 }),
        { expect: [ok('RECV_MSG'), '"content":"hi parent"'], reply: EXIT },
      ],
      agents: { worker: [call('SEND_MSG', { to_pid: 1, content: 'hi parent' }), EXIT] },
      verify: ({ subject }) => {
        expect(subject.value).toEqual({ messages: [{ from_pid: 2, content: 'hi parent', ts: expect.any(String) }] });
        const { messages } = subject.value as { messages: Array<{ ts: string }> };
        expect(Number.isNaN(Date.parse(messages[0]?.ts ?? ''))).toBe(false);
      },
    },
    einval: {
      calls: [
        { args: { timeout_s: 0 }, field: 'timeout_s', kind: 'range' },
        { args: { timeout_s: '5' }, field: 'timeout_s', kind: 'type' },
        { args: { timeout_s: 24 * 3600 + 1 }, field: 'timeout_s', kind: 'range' },
        { args: { from: 1 }, field: 'from', kind: 'unknown' },
      ],
      nothingHappened: ({ h: harness }) => {
        expect(states(harness, 1)).not.toContain('running>blocked');
      },
    },
    eperm: {
      needs: 'ipc',
      caps: [],
      root: [call('RECV_MSG', { timeout_s: 3600 }), { expect: '"errno":"EPERM"', reply: EXIT }],
      verify: ({ h: harness }) => {
        // Refused before it could park: it never blocked waiting for the hour.
        expect(states(harness, 1)).not.toContain('running>blocked');
      },
    },
  },

  SYS_WRITE_STDOUT: {
    happy: {
      root: [call('SYS_WRITE_STDOUT', { text: 'hello\n' }), { expect: ok('SYS_WRITE_STDOUT'), reply: call('SYS_EXIT', {}) }],
      verify: ({ h: harness, pcb, subject }) => {
        expect(subject.value).toEqual({ ok: true, piped_to: null });
        expect(msgEvents(harness)).toMatchObject([{ from_pid: 1, to_pid: 0, channel: 'stdout', content: 'hello\n' }]);
        // Without a SYS_EXIT result, WAIT's output is the captured stdout.
        expect(pcb.output).toBe('hello\n');
      },
    },
    einval: {
      calls: [
        { args: {}, field: 'text', kind: 'missing' },
        { args: { text: 5 }, field: 'text', kind: 'type' },
        { args: { text: 'x'.repeat(64 * 1024 + 1) }, field: 'text', kind: 'range' },
        { args: { text: 'x', stream: 'stderr' }, field: 'stream', kind: 'unknown' },
      ],
      nothingHappened: ({ h: harness, pcb }) => {
        expect(msgEvents(harness)).toEqual([]);
        expect(pcb.output).toBeNull();
      },
    },
    // Every process has a stdout.
    eperm: null,
  },

  SYS_READ_STDIN: {
    happy: {
      root: [
        call('SPAWN_AGENT', { role: 'producer', pipe_to: 'parent' }),
        call('SYS_READ_STDIN', { timeout_s: 5 }),
        { expect: [ok('SYS_READ_STDIN'), '"text":"line 1\\n"'], reply: EXIT },
      ],
      agents: { producer: [call('SYS_WRITE_STDOUT', { text: 'line 1\n' }), { expect: '"piped_to":1', reply: EXIT }] },
      verify: ({ subject }) => {
        expect(subject.value).toEqual({ text: 'line 1\n' });
      },
    },
    einval: {
      calls: [
        { args: { timeout_s: -1 }, field: 'timeout_s', kind: 'range' },
        { args: { timeout_s: '1' }, field: 'timeout_s', kind: 'type' },
        { args: { wait: true }, field: 'wait', kind: 'unknown' },
      ],
      nothingHappened: ({ h: harness }) => {
        expect(states(harness, 1)).not.toContain('running>blocked');
      },
    },
    // Every process has a stdin.
    eperm: null,
  },

  SLEEP: {
    happy: {
      root: [`${call('SLEEP', { seconds: 0.02 })}\n${call('SLEEP', { seconds: 0 })}`, { expect: [ok('SLEEP'), '"slept":0.02', '"slept":0'], reply: EXIT }],
      verify: ({ h: harness, results }) => {
        expect(results.slice(0, 2).map((r) => r.value)).toEqual([{ slept: 0.02 }, { slept: 0 }]);
        // Only the non-zero sleep parks.
        expect(states(harness, 1).filter((s) => s === 'running>sleeping')).toHaveLength(1);
      },
    },
    einval: {
      calls: [
        { args: {}, field: 'seconds', kind: 'missing' },
        { args: { seconds: '1' }, field: 'seconds', kind: 'type' },
        { args: { seconds: -1 }, field: 'seconds', kind: 'range' },
        { args: { seconds: 24 * 3600 + 1 }, field: 'seconds', kind: 'range' },
        { args: { seconds: 1, reason: 'nap' }, field: 'reason', kind: 'unknown' },
      ],
      nothingHappened: ({ h: harness }) => {
        expect(states(harness, 1)).not.toContain('running>sleeping');
      },
    },
    // Sleeping spends nothing: anyone may.
    eperm: null,
  },

  EXEC_CMD: {
    happy: {
      root: [call('EXEC_CMD', { cmd: 'echo made > made.txt && cat made.txt && pwd' }), EXIT],
      verify: async ({ h: harness, subject }) => {
        if (!bwrap) {
          expect(subject).toMatchObject({ ok: false, errno: 'ENOSYS' });
          expect(subject.message).toContain('apt-get install -y bubblewrap');
          return;
        }
        expect(subject.value).toMatchObject({ stdout: 'made\n/workspace\n', exit_code: 0, truncated: false, timed_out: false });
        expect(await readFile(workspaceFile(harness, 'made.txt'), 'utf8')).toBe('made\n');
      },
    },
    einval: {
      calls: [
        { args: {}, field: 'cmd', kind: 'missing' },
        { args: { cmd: 5 }, field: 'cmd', kind: 'type' },
        { args: { cmd: '' }, field: 'cmd', kind: 'range' },
        { args: { cmd: 'true', timeout_s: 0 }, field: 'timeout_s', kind: 'range' },
        { args: { cmd: 'true', env: {} }, field: 'env', kind: 'unknown' },
      ],
    },
    eperm: {
      needs: 'exec',
      caps: ['fs.read:/**', 'fs.write:/**'],
      root: [call('EXEC_CMD', { cmd: 'echo x > leaked.txt' }), { expect: '"errno":"EPERM"', reply: EXIT }],
      verify: ({ h: harness }) => {
        expect(existsSync(workspaceFile(harness, 'leaked.txt'))).toBe(false);
      },
    },
  },

  NET_FETCH: {
    happy: {
      caps: [...ALL_CAPS, 'net.fetch:127.0.0.1'],
      root: [call('NET_FETCH', { url: `${webUrl}/page` }), { expect: [ok('NET_FETCH'), 'hello from /page'], reply: EXIT }],
      verify: ({ subject }) => {
        expect(subject.value).toMatchObject({ status: 200, body: 'hello from /page', truncated: false, content_type: 'text/plain' });
      },
    },
    einval: {
      calls: [
        { args: {}, field: 'url', kind: 'missing' },
        { args: { url: 42 }, field: 'url', kind: 'type' },
        { args: { url: 'http://x', headers: { a: 1 } }, field: 'headers.a', kind: 'type' },
        { args: { url: 'http://x', method: 'POST' }, field: 'method', kind: 'unknown' },
      ],
    },
    eperm: {
      needs: 'net.fetch:127.0.0.1',
      caps: [...ALL_CAPS, 'net.fetch:*.example.org'],
      root: [call('NET_FETCH', { url: `${webUrl}/secret` }), { expect: '"errno":"EPERM"', reply: EXIT }],
      verify: () => {
        expect(fetchHits).toBe(1);
      },
    },
  },

  MEM_WRITE: {
    happy: {
      root: [
        [
          call('MEM_WRITE', { text: 'the deploy key is in vault', key: 'deploy', metadata: { topic: 'ops', prio: 2, urgent: true } }),
          call('MEM_WRITE', { value: 'the seed spells text as value' }),
          call('MEM_WRITE', { text: 'the deploy key moved to the HSM', key: 'deploy' }),
        ].join('\n'),
        { expect: [ok('MEM_WRITE'), `"id":"${idForKey('deploy')}"`, '"id":"m-'], reply: EXIT },
      ],
      verify: async ({ h: harness, results }) => {
        expect(results[0]?.value).toEqual({ id: idForKey('deploy') });
        expect(results[1]?.value).toEqual({ id: expect.stringMatching(/^m-[0-9a-f-]{36}$/) });
        // The same key: the same memory, replaced.
        expect(results[2]?.value).toEqual(results[0]?.value);
        const hits = await memoryOf(harness).read(treeNamespace(1), { query: 'deploy key', k: 10 });
        expect(hits.map((hit) => hit.text)).toEqual(['the deploy key moved to the HSM', 'the seed spells text as value']);
        expect(hits[0]?.metadata).toEqual({ key: 'deploy', pid: 1, ts: expect.any(String) });
        expect(Number.isNaN(Date.parse(String(hits[0]?.metadata.ts)))).toBe(false);
      },
    },
    einval: {
      calls: [
        { args: {}, field: 'text', kind: 'missing' },
        { args: { text: 5 }, field: 'text', kind: 'type' },
        { args: { text: '' }, field: 'text', kind: 'range' },
        { args: { text: 'x'.repeat(32 * 1024 + 1) }, field: 'text', kind: 'range' },
        { args: { text: 'x', key: '' }, field: 'key', kind: 'range' },
        { args: { text: 'x', metadata: { nested: { a: 1 } } }, field: 'metadata.nested', kind: 'type' },
        { args: { text: 'x', metadata: { tags: ['a', 'b'] } }, field: 'metadata.tags', kind: 'type' },
        // The kernel's own fields cannot be forged.
        { args: { text: 'x', metadata: { pid: 99 } }, field: 'metadata.pid', kind: 'value' },
        { args: { text: 'x', metadata: { $where: 'a' } }, field: 'metadata.$where', kind: 'value' },
        { args: { text: 'x', shared: 'yes' }, field: 'shared', kind: 'type' },
        { args: { text: 'x', ttl: 60 }, field: 'ttl', kind: 'unknown' },
      ],
      nothingHappened: ({ h: harness }) => {
        expect(chromaState(harness)).toBe('idle');
      },
    },
    eperm: {
      needs: 'mem',
      caps: ['fs.read:/**'],
      root: [call('MEM_WRITE', { text: 'nope' }), { expect: '"errno":"EPERM"', reply: EXIT }],
      verify: ({ h: harness }) => {
        expect(chromaState(harness)).toBe('idle');
      },
    },
  },

  MEM_READ: {
    happy: {
      setup: async (harness) => {
        await memoryOf(harness).write(treeNamespace(1), [
          { text: 'Alice prefers green tea in the morning', metadata: { topic: 'people' } },
          { text: 'The CI build fails when a semicolon is missing in parser.ts', metadata: { topic: 'ci' } },
          { text: 'Deploys happen on Fridays after the release review', metadata: { topic: 'ops' } },
          { text: 'Bob drinks tea, never coffee', metadata: { topic: 'people' } },
        ]);
      },
      root: [
        [call('MEM_READ', { query: 'why does the CI build fail?', k: 2 }), call('MEM_READ', { q: 'tea', where: { topic: 'people' } })].join('\n'),
        { expect: [ok('MEM_READ'), 'semicolon'], reply: EXIT },
      ],
      verify: ({ results }) => {
        const first = (results[0]?.value as { hits: Hit[] }).hits;
        expect(first).toHaveLength(2);
        expect(first[0]).toMatchObject({ text: 'The CI build fails when a semicolon is missing in parser.ts', metadata: { topic: 'ci' } });
        expect(first[0]?.id).toMatch(/^m-/);
        for (const hit of first) expect(hit.score).toBeGreaterThanOrEqual(0);
        expect(first[0]?.score).toBeLessThanOrEqual(1);
        expect(first[0]?.score).toBeGreaterThan(first[1]?.score ?? 1);
        const second = (results[1]?.value as { hits: Hit[] }).hits;
        expect(second.map((hit) => hit.metadata.topic)).toEqual(['people', 'people']);
      },
    },
    einval: {
      calls: [
        { args: {}, field: 'query', kind: 'missing' },
        { args: { query: 5 }, field: 'query', kind: 'type' },
        { args: { query: 'x', k: 0 }, field: 'k', kind: 'range' },
        { args: { query: 'x', k: 51 }, field: 'k', kind: 'range' },
        { args: { query: 'x', k: 'five' }, field: 'k', kind: 'type' },
        { args: { query: 'x', where: { topic: { $regex: 'a' } } }, field: 'where.topic.$regex', kind: 'value' },
        { args: { query: 'x', where: { prio: { $gt: 'high' } } }, field: 'where.prio.$gt', kind: 'value' },
        { args: { query: 'x', where: { $or: {} } }, field: 'where.$or', kind: 'value' },
        // No argument names another tree's memory.
        { args: { query: 'x', namespace: 'aos-tree-2' }, field: 'namespace', kind: 'unknown' },
      ],
      nothingHappened: ({ h: harness }) => {
        expect(chromaState(harness)).toBe('idle');
      },
    },
    eperm: {
      needs: 'mem.shared',
      caps: ['mem'],
      root: [call('MEM_READ', { query: 'the global memory', shared: true }), { expect: '"errno":"EPERM"', reply: EXIT }],
      verify: ({ h: harness, subject }) => {
        expect(subject.value).toBeUndefined();
        expect(chromaState(harness)).toBe('idle');
      },
    },
  },

  SYS_SCHEDULE: {
    happy: {
      root: [call('SYS_SCHEDULE', { seconds: 60, prompt: 'tick', repeat: true }), { expect: [ok('SYS_SCHEDULE'), '"timer_id":"t1"'], reply: EXIT }],
      verify: ({ h: harness, subject, probes }) => {
        expect(subject.value).toEqual({ timer_id: 't1' });
        expect(probes[0]?.timers).toBe(1);
        // Exiting cancels the process's timers, in memory and in the store.
        expect(harness.kernel.proc(1)?.timers.size ?? 0).toBe(0);
        harness.kernel.store.flush();
        expect(harness.kernel.store.loadTimers().filter((t) => t.pid === 1)).toEqual([]);
      },
    },
    einval: {
      calls: [
        { args: { prompt: 'x' }, field: 'seconds', kind: 'missing' },
        { args: { seconds: 0.5, prompt: 'x' }, field: 'seconds', kind: 'range' },
        { args: { seconds: 1 }, field: 'prompt', kind: 'missing' },
        { args: { seconds: 1, prompt: '' }, field: 'prompt', kind: 'range' },
        { args: { seconds: 1, prompt: 'x', repeat: 'yes' }, field: 'repeat', kind: 'type' },
        { args: { seconds: 1, prompt: 'x', cron: '* * * * *' }, field: 'cron', kind: 'unknown' },
      ],
      nothingHappened: ({ probes }) => {
        expect(probes.every((p) => p.timers === 0)).toBe(true);
      },
    },
    eperm: {
      needs: 'timer',
      caps: ['fs.read:/**'],
      root: [call('SYS_SCHEDULE', { seconds: 1, prompt: 'tick' }), { expect: '"errno":"EPERM"', reply: EXIT }],
      verify: ({ probes }) => {
        expect(probes[0]?.timers).toBe(0);
      },
    },
  },

  SYS_REGISTER_WEBHOOK: {
    happy: {
      caps: [...ALL_CAPS, 'webhook'],
      root: [
        [call('SYS_REGISTER_WEBHOOK', { path: 'gh/push' }), call('SYS_REGISTER_WEBHOOK', { path: 'gh/push' })].join('\n'),
        { expect: [ok('SYS_REGISTER_WEBHOOK'), '"webhook_id":1'], reply: EXIT },
      ],
      verify: ({ results }) => {
        expect(results[0]?.value).toEqual({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/hooks\/[\w-]{32}\/gh\/push$/), webhook_id: 1 });
        // The same path twice: the same URL.
        expect(results[1]?.value).toEqual(results[0]?.value);
      },
    },
    einval: {
      calls: [
        { args: {}, field: 'path', kind: 'missing' },
        { args: { path: 7 }, field: 'path', kind: 'type' },
        { args: { path: '../x' }, field: 'path', kind: 'range' },
        { args: { path: 'a/../b' }, field: 'path', kind: 'range' },
        { args: { path: 'x', method: 'POST' }, field: 'method', kind: 'unknown' },
      ],
    },
    eperm: {
      needs: 'webhook',
      root: [call('SYS_REGISTER_WEBHOOK', { path: 'x' }), { expect: '"errno":"EPERM"', reply: EXIT }],
      verify: ({ subject }) => {
        expect(subject.value).toBeUndefined();
      },
    },
  },

  SYS_WEBHOOK_REPLY: {
    happy: {
      caps: [...ALL_CAPS, 'webhook'],
      setup: async (harness) => {
        harness.kernel.events.subscribe((e) => {
          if (e.type === 'result' && e.name === 'SYS_REGISTER_WEBHOOK' && e.ok) {
            webhookResponses.push(fetch((e.value as { url: string }).url, { method: 'POST', body: 'ping' }));
          }
        });
      },
      root: [
        call('SYS_REGISTER_WEBHOOK', { path: 'ping' }),
        call('RECV_MSG', { timeout_s: 5 }),
        { expect: ['[EVENT::WEBHOOK]', '"request_id":"w1"', '"body":"ping"'], reply: call('SYS_WEBHOOK_REPLY', { request_id: 'w1', status: 202, body: 'pong' }) },
        { expect: ok('SYS_WEBHOOK_REPLY'), reply: EXIT },
      ],
      verify: async ({ subject }) => {
        expect(subject.value).toEqual({ ok: true });
        const res = await webhookResponses[0];
        expect(res?.status).toBe(202);
        expect(await res?.text()).toBe('pong');
      },
    },
    einval: {
      calls: [
        { args: {}, field: 'request_id', kind: 'missing' },
        { args: { request_id: 1 }, field: 'request_id', kind: 'type' },
        { args: { request_id: 'w1', status: 99 }, field: 'status', kind: 'range' },
        { args: { request_id: 'w1', body: 5 }, field: 'body', kind: 'type' },
        { args: { request_id: 'w1', headers: {} }, field: 'headers', kind: 'unknown' },
      ],
    },
    eperm: {
      needs: 'webhook',
      root: [call('SYS_WEBHOOK_REPLY', { request_id: 'w1' }), { expect: '"errno":"EPERM"', reply: EXIT }],
      verify: ({ subject }) => {
        expect(subject.value).toBeUndefined();
      },
    },
  },

  SYS_RESULT_READ: {
    happy: {
      root: [
        `${call('FS_WRITE', { path: 'r.txt', content: 'hello world' })}\n${call('FS_READ', { path: 'r.txt' })}`,
        call('SYS_RESULT_READ', { turn: 0, seq: 1, field: 'content', offset: 6 }),
        { expect: [ok('SYS_RESULT_READ'), '"content":"world"'], reply: EXIT },
      ],
      verify: ({ subject }) => {
        expect(subject.value).toEqual({ turn: 0, seq: 1, name: 'FS_READ', field: 'content', offset: 6, length: 5, total: 11, content: 'world', next_offset: null });
      },
    },
    einval: {
      calls: [
        { args: { seq: 0 }, field: 'turn', kind: 'missing' },
        { args: { turn: '0', seq: 0 }, field: 'turn', kind: 'type' },
        { args: { turn: 0, seq: -1 }, field: 'seq', kind: 'range' },
        { args: { turn: 0, seq: 0, length: 0 }, field: 'length', kind: 'range' },
        { args: { turn: 0, seq: 0, field: '' }, field: 'field', kind: 'range' },
        { args: { turn: 0, seq: 0, pid: 2 }, field: 'pid', kind: 'unknown' },
      ],
    },
    // It names only the caller's own results (no argument reaches another process's): anyone may.
    eperm: null,
  },

  MCP_CALL: {
    happy: {
      caps: [...ALL_CAPS, 'mcp:everything/echo'],
      root: [call('MCP_CALL', { server: 'everything', tool: 'echo', arguments: { message: 'hi' } }), { expect: [ok('MCP_CALL'), 'Echo: hi'], reply: EXIT }],
      verify: ({ subject }) => {
        expect(subject.value).toEqual({ truncated: false, content: [{ type: 'text', text: 'Echo: hi' }] });
      },
    },
    einval: {
      calls: [
        { args: { tool: 'echo' }, field: 'server', kind: 'missing' },
        { args: { server: 5, tool: 'echo' }, field: 'server', kind: 'type' },
        { args: { server: 'everything', tool: 'echo', arguments: 'hi' }, field: 'arguments', kind: 'type' },
        { args: { server: 'everything', tool: 'echo', timeout_s: 0 }, field: 'timeout_s', kind: 'range' },
        { args: { server: 'everything', tool: 'echo', env: {} }, field: 'env', kind: 'unknown' },
      ],
      nothingHappened: ({ h: harness }) => {
        expect(harness.kernel.mcp?.servers.get('everything').state).toBe('stopped');
      },
    },
    eperm: {
      needs: 'mcp:everything/get-sum',
      caps: [...ALL_CAPS, 'mcp:other/*'],
      root: [call('MCP_CALL', { server: 'everything', tool: 'get-sum', arguments: { a: 1, b: 2 } }), { expect: '"errno":"EPERM"', reply: EXIT }],
      verify: ({ h: harness }) => {
        expect(harness.kernel.mcp?.servers.get('everything').state).toBe('stopped');
      },
    },
  },

  MCP_LIST: {
    happy: {
      caps: [...ALL_CAPS, 'mcp:everything/echo'],
      root: [call('MCP_LIST', {}), { expect: [ok('MCP_LIST'), '"name":"echo"'], reply: EXIT }],
      verify: ({ subject }) => {
        const tools = (subject.value as { tools: Array<{ server: string; name: string }> }).tools;
        expect(tools.map((t) => `${t.server}/${t.name}`)).toEqual(['everything/echo']);
      },
    },
    einval: {
      calls: [
        { args: { server: 5 }, field: 'server', kind: 'type' },
        { args: { server: '' }, field: 'server', kind: 'range' },
        { args: { pid: 1 }, field: 'pid', kind: 'unknown' },
      ],
    },
    // It lists only the tools the caller's mcp: capabilities cover (none without one): anyone may.
    eperm: null,
  },

  SYS_EXIT: {
    happy: {
      exitCode: 3,
      root: [call('SYS_EXIT', { code: 3, result: 'the answer' })],
      verify: ({ pcb, subject }) => {
        expect(subject.value).toEqual({ exiting: true, code: 3 });
        expect(pcb).toMatchObject({ state: 'exited', exitCode: 3, exitReason: 'exited with code 3', output: 'the answer' });
        expect(pcb.counters.turns).toBe(1);
      },
    },
    einval: {
      calls: [
        { args: { code: 256 }, field: 'code', kind: 'range' },
        { args: { code: -1 }, field: 'code', kind: 'range' },
        { args: { code: '0' }, field: 'code', kind: 'type' },
        { args: { code: 1.5 }, field: 'code', kind: 'type' },
        { args: { result: 5 }, field: 'result', kind: 'type' },
        { args: { code: 0, reason: 'done' }, field: 'reason', kind: 'unknown' },
      ],
      nothingHappened: ({ pcb }) => {
        // None of the bad exits ended the process: it went on to the tape's final EXIT.
        expect(pcb.counters.turns).toBe(2);
        expect(pcb.exitCode).toBe(0);
      },
    },
    // Any process may end itself.
    eperm: null,
  },
};

function messageMatcher(bad: BadArgs): string {
  if (bad.kind === 'unknown') return `"${bad.field}"`;
  if (bad.kind === 'value') return bad.field;
  return `${bad.field}: `;
}

describe('the syscall table', () => {
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
      expect({ name: def.name, capabilityIsNull: def.capability === null }).toEqual({ name: def.name, capabilityIsNull: nullCase });
    }
    expect(
      SYSCALLS.filter((def) => def.capability === null)
        .map((def) => def.name)
        .sort(),
    ).toEqual(['MCP_LIST', 'SLEEP', 'SYS_EXIT', 'SYS_READ_STDIN', 'SYS_RESULT_READ', 'SYS_WRITE_STDOUT', 'WAIT']);
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
      const outcome = await runRoot(name, { root: [reply, { expect: `[SYS_RESULT::${name}] {"ok":false,"errno":"EINVAL"`, reply: EXIT }], verify: () => {} });
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

describe('seed spellings and aliases', () => {
  it('SEND_MSG takes pid/to + message', async () => {
    h = await startHarness({
      root: [
        [call('SEND_MSG', { pid: 1, message: 'a' }), call('SEND_MSG', { to: 1, message: 'b' }), call('RECV_MSG', { timeout_s: 1 })].join('\n'),
        { expect: ['"content":"a"', '"content":"b"'], reply: EXIT },
      ],
    });
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(0);
    const results = h.results(pcb.pid);
    expect(results.slice(0, 2).map((r) => r.value)).toEqual([{ ok: true }, { ok: true }]);
    expect(results[2]?.value).toMatchObject({ messages: [{ from_pid: 1, content: 'a' }, { from_pid: 1, content: 'b' }] });
  });

  it('SLEEP takes duration and duration_s, and SYS_SLEEP is SLEEP', async () => {
    h = await startHarness({
      root: [[call('SLEEP', { duration: 0.01 }), call('SLEEP', { duration_s: 0.01 }), call('SYS_SLEEP', { seconds: 0 })].join('\n'), EXIT],
    });
    const pcb = await h.run();
    expect(h.results(pcb.pid).slice(0, 3).map((r) => [r.name, r.value])).toEqual([
      ['SLEEP', { slept: 0.01 }],
      ['SLEEP', { slept: 0.01 }],
      ['SLEEP', { slept: 0 }],
    ]);
  });

  it('SYS_EXIT takes exit_code', async () => {
    h = await startHarness({ root: [call('SYS_EXIT', { exit_code: 4 })] });
    const pcb = await h.run();
    expect(pcb).toMatchObject({ exitCode: 4, exitReason: 'exited with code 4' });
  });

  it('EXIT is SYS_EXIT, with status and output', async () => {
    h = await startHarness({ root: [call('EXIT', { status: 2, output: 'partial' })] });
    const pcb = await h.run();
    expect(pcb).toMatchObject({ exitCode: 2, output: 'partial' });
    expect(h.results(pcb.pid)[0]?.name).toBe('SYS_EXIT');
  });

  it('SPAWN_AGENT takes capabilities for permissions, and SPAWN is SPAWN_AGENT', async () => {
    h = await startHarness({
      root: [
        [call('SPAWN_AGENT', { role: 'reader', capabilities: ['fs.read:/**', 'net.fetch:x.com'] }), call('SPAWN', { role: 'writer', permissions: ['fs.write:/out/**'] })].join('\n'),
        call('WAIT', { pid: 2 }),
        call('WAIT', { pid: 3 }),
        EXIT,
      ],
      reader: [EXIT],
      writer: [EXIT],
    });
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(0);
    expect(h.results(pcb.pid).slice(0, 2).map((r) => [r.name, r.value])).toEqual([
      ['SPAWN_AGENT', { pid: 2 }],
      ['SPAWN_AGENT', { pid: 3 }],
    ]);
    // net.fetch is not the parent's, so it is dropped.
    expect(h.kernel.pcb(2)?.capabilities).toEqual(['fs.read:/**']);
    expect(h.kernel.pcb(3)?.capabilities).toEqual(['fs.write:/out/**']);
  });

  it('SPAWN_AGENT refuses both capabilities and permissions at once (the alias stays an unknown key)', async () => {
    h = await startHarness({ root: [call('SPAWN_AGENT', { role: 'w', capabilities: ['ipc'], permissions: ['ipc'] }), EXIT] });
    const pcb = await h.run();
    expect(h.results(pcb.pid)[0]).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(h.results(pcb.pid)[0]?.message).toContain('"capabilities"');
    expect(h.kernel.list()).toHaveLength(1);
  });

  it('FS_LS is FS_LIST; stdout, stdin, wait and schedule aliases resolve to their canonical names', async () => {
    h = await startHarness({
      root: [
        [
          call('FS_LS'),
          call('WRITE_STDOUT', { content: 'a' }),
          call('STDOUT', { data: 'b' }),
          call('READ_STDIN', { timeout_s: 0.01 }),
          call('STDIN', { timeout_s: 0.01 }),
          call('WAIT_PID', {}),
          call('WAITPID', {}),
          call('SCHEDULE', { seconds: 60, prompt: 'p' }),
        ].join('\n'),
        { expect: ['[SYS_RESULT::FS_LIST] {"ok":true', '[SYS_RESULT::SYS_WRITE_STDOUT] {"ok":true'], reply: EXIT },
      ],
    });
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(0);
    expect(h.results(pcb.pid).slice(0, 8).map((r) => [r.name, r.errno ?? 'ok'])).toEqual([
      ['FS_LIST', 'ok'],
      ['SYS_WRITE_STDOUT', 'ok'],
      ['SYS_WRITE_STDOUT', 'ok'],
      ['SYS_READ_STDIN', 'ETIMEDOUT'],
      ['SYS_READ_STDIN', 'ETIMEDOUT'],
      ['WAIT', 'ECHILD'],
      ['WAIT', 'ECHILD'],
      ['SYS_SCHEDULE', 'ok'],
    ]);
    expect(pcb.output).toBe('ab');
  });

  it('names are case-insensitive, aliases included', async () => {
    h = await startHarness({
      root: [
        [call('fs_write', { path: 'c.txt', content: 'case' }), call('fs_read', { path: 'c.txt' }), call('Fs_List'), call('fs_ls')].join('\n'),
        { expect: ['[SYS_RESULT::FS_READ] {"ok":true', '"content":"case"'], reply: call('sys_exit', { code: 0 }) },
      ],
    });
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(0);
    expect(h.results(pcb.pid).map((r) => [r.name, r.ok])).toEqual([
      ['FS_WRITE', true],
      ['FS_READ', true],
      ['FS_LIST', true],
      ['FS_LIST', true],
      ['SYS_EXIT', true],
    ]);
  });
});

describe('timers and blocking calls', () => {
  it('a timer that fires during a blocking call interrupts it with EINTR', async () => {
    h = await startHarness({
      root: [
        `${call('SYS_SCHEDULE', { seconds: 1, prompt: 'check the queue' })}\n${call('SLEEP', { seconds: 30 })}`,
        { expect: ['[SYS_RESULT::SLEEP] {"ok":false,"errno":"EINTR"', '[EVENT::TIMER]', 'check the queue'], reply: EXIT },
      ],
    });
    expect((await h.run()).exitCode).toBe(0);
  });

  // A timer that fires while the process is not parked must not be a lost wakeup.
  it('a timer that fired while the model was thinking still interrupts the blocking call that follows', async () => {
    h = await startHarness({
      root: [
        call('SYS_SCHEDULE', { seconds: 1, prompt: 'wake up' }),
        // The timer fires at ~1 s, in the middle of this 1.2 s inference.
        { delay_ms: 1200, reply: call('RECV_MSG', { timeout_s: 1 }) },
        EXIT,
      ],
    });
    const pcb = await h.run();
    const recv = h.results(pcb.pid).find((r) => r.name === 'RECV_MSG');
    expect(recv?.errno).toBe('EINTR');
  });
});

describe('workspace paths', () => {
  const escapes = ['../outside.txt', 'a/../../outside.txt', '/..', '%2e%2e/outside.txt', '..\\outside.txt', 'a/%252e%252e/../x'];

  it('refuses .. escapes with EACCES (not EPERM), even for a process that holds the capability for everything', async () => {
    const reply = escapes
      .flatMap((p) => [call('FS_READ', { path: p }), call('FS_WRITE', { path: p, content: 'escaped' }), call('FS_LIST', { path: p })])
      .join('\n');
    h = await startHarness({ root: [reply, { expect: '"errno":"EACCES"', reply: EXIT }] });
    await writeFile(path.join(h.dir, 'outside.txt'), 'HOST FILE');
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(0);
    const results = h.results(pcb.pid).slice(0, escapes.length * 3);
    expect(results).toHaveLength(escapes.length * 3);
    for (const result of results) {
      expect(result, JSON.stringify(result)).toMatchObject({ ok: false, errno: 'EACCES' });
      expect(result.message).toContain('escapes the workspace');
    }
    // The host file next to the workspace was neither read nor overwritten.
    expect(await readFile(path.join(h.dir, 'outside.txt'), 'utf8')).toBe('HOST FILE');
    expect(JSON.stringify(h.events)).not.toContain('HOST FILE');
  });

  it('gives EACCES for an escape before checking capabilities (a process without fs caps still sees EACCES)', async () => {
    h = await startHarness({ root: [`${call('FS_READ', { path: '../x' })}\n${call('FS_WRITE', { path: '../x', content: 'x' })}`, EXIT] }, { rootCapabilities: [] });
    const pcb = await h.run();
    expect(h.results(pcb.pid).slice(0, 2).map((r) => r.errno)).toEqual(['EACCES', 'EACCES']);
  });

  it('reads /etc/passwd from the workspace (ENOENT), never the host file', async () => {
    h = await startHarness({
      root: [
        call('FS_READ', { path: '/etc/passwd' }),
        { expect: '"errno":"ENOENT"', reply: call('FS_WRITE', { path: '/etc/passwd', content: 'workspace passwd' }) },
        call('FS_READ', { path: '/etc/passwd' }),
        { expect: '"content":"workspace passwd"', reply: EXIT },
      ],
    });
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(0);
    const [first, , third] = h.results(pcb.pid);
    expect(first).toMatchObject({ ok: false, errno: 'ENOENT' });
    expect(first?.message).toContain('/etc/passwd');
    expect(third).toMatchObject({ ok: true, value: { path: '/etc/passwd', content: 'workspace passwd' } });
    expect(await readFile(path.join(h.workspace, 'etc/passwd'), 'utf8')).toBe('workspace passwd');
    expect(JSON.stringify(h.events)).not.toMatch(/root:x:0:0/);
  });
});
