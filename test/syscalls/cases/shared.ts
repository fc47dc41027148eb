/**
 * What every syscall's cases file shares: the shape of its cases, the run of one root process on
 * a real kernel (runRoot, for the runner in ../table.test.ts), and the probes the cases verify with.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KernelEvent } from '../../../protocol/events.js';
import type { Pcb } from '../../../sys/types.js';
import type { SupervisedChroma } from '../../../drivers/memory/index.js';
import { type Harness, startHarness, type TapeEntry } from '../../helpers/kernel-harness.js';
import type { SpawnOptions } from '../../../kernel/kernel.js';
import { everything } from '../../drivers/mcp/servers.js';
import { tokenSecrets } from '../../helpers/channel-harness.js';

type ResultEvent = Extract<KernelEvent, { type: 'result' }>;

/** A local HTTP service for NET_FETCH, reachable only because the policy opens its port. */
export let fetchHits = 0;
const web = http.createServer((req, res) => {
  fetchHits++;
  res.setHeader('content-type', 'text/plain');
  res.end(`hello from ${req.url ?? ''}`);
});
await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
const webPort = (web.address() as AddressInfo).port;
export const webUrl = `http://127.0.0.1:${webPort}`;

/** Kernel-side state of the caller, captured at the moment each of its results is emitted. */
export interface Probe {
  name: string;
  timers: number;
  children: number;
  mailbox: number;
}

export interface Outcome {
  h: Harness;
  pcb: Pcb;
  results: ResultEvent[];
  probes: Probe[];
  /** The first result of the syscall under test. */
  subject: ResultEvent;
}

export interface Run {
  /** Replies of the process under test (the root, pid 1). */
  root: TapeEntry[];
  /** Other agents of the tape (children, by name). */
  agents?: Record<string, TapeEntry[]>;
  /** Root capabilities; the harness's ALL_CAPS when absent. */
  caps?: string[];
  setup?: (h: Harness) => Promise<void>;
  /** How the root is spawned (after setup), e.g. on a ladder of tapes. */
  spawn?: (h: Harness) => Partial<SpawnOptions>;
  /** The root's expected exit code (0 means every tape expectation held). */
  exitCode?: number;
  verify: (o: Outcome) => void | Promise<void>;
}

export interface BadArgs {
  /** The spelling to call (the canonical name when absent). */
  name?: string;
  args: Record<string, unknown>;
  /** The field the message must name. */
  field: string;
  /** `unknown`: an extra key (the schemas are strict); `value`: a run-time check names the value. */
  kind: 'missing' | 'type' | 'range' | 'unknown' | 'value';
}

/** One syscall's cases: the default export of cases/<call>.ts. */
export interface SyscallCases {
  happy: Run;
  /** Sent as one reply: every call must fail with EINVAL and nothing may change. */
  einval: { calls: BadArgs[]; nothingHappened?: (o: Outcome) => void | Promise<void> };
  /** null for syscalls any process may make (capability null). */
  eperm: (Run & { needs: string }) | null;
}

let h: Harness | undefined;

/** Closes the kernel of the last runRoot (the runner's afterEach). */
export async function closeRoot(): Promise<void> {
  await h?.close();
  h = undefined;
}

export async function runRoot(name: string, run: Run): Promise<Outcome> {
  h = await startHarness(
    { ...run.agents, root: run.root },
    // Memory is configured for every case; Chroma only starts for the MEM_* ones that get to run.
    // So is the everything MCP server (from npm): it starts only for the MCP_* cases that reach it.
    {
      ...(run.caps ? { rootCapabilities: run.caps } : {}),
      webhookPort: 0,
      netAllowPrivate: [`127.0.0.1:${webPort}`],
      memory: true,
      mcp: { everything: everything() },
      secrets: await tokenSecrets(['tg']),
    },
  );
  const harness = h;
  const probes: Probe[] = [];
  harness.kernel.events.subscribe((e) => {
    if (e.type !== 'result' || e.pid !== 1) return;
    const proc = harness.kernel.proc(1);
    probes.push({
      name: e.name,
      timers: proc?.queues.timers.size ?? -1,
      children: proc?.children.size ?? -1,
      mailbox: proc?.queues.mail.length ?? -1,
    });
  });
  await run.setup?.(harness);
  const pcb = await harness.run(run.spawn?.(harness));
  const results = harness.results(pcb.pid);
  const subject = results.find((r) => r.name === name);
  if (!subject) throw new Error(`no ${name} result for the root; it ended with "${pcb.exitReason}"`);
  return { h: harness, pcb, results, probes, subject };
}

export function workspaceFile(harness: Harness, virtual: string): string {
  return path.join(harness.workspace, virtual);
}

export async function seed(harness: Harness, files: Record<string, string>): Promise<void> {
  for (const [file, content] of Object.entries(files)) {
    const full = workspaceFile(harness, file);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, content);
  }
}

export function msgEvents(harness: Harness): Array<Extract<KernelEvent, { type: 'message' }>> {
  return harness.events.filter((e): e is Extract<KernelEvent, { type: 'message' }> => e.type === 'message');
}

export const states = (harness: Harness, pid: number): string[] =>
  harness.eventsOf(pid, 'state').map((e) => (e.type === 'state' ? `${e.from}>${e.to}` : ''));

export const ok = (name: string): string => `[SYS_RESULT::${name}] {"ok":true`;

/** Memory reads as the test sees it, straight from the kernel's store (root pid 1's tree). */
export function memoryOf(harness: Harness): NonNullable<Harness['kernel']['memory']> {
  const memory = harness.kernel.memory;
  if (!memory) throw new Error('the harness kernel has no memory store');
  return memory;
}

/** Whether the kernel ever started Chroma (refused calls must not). */
export const chromaState = (harness: Harness): string => (memoryOf(harness).endpoint as SupervisedChroma).state;
