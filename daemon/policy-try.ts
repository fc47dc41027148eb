/**
 * The runs `aos policy check --against` tries a candidate policy on (issue 52.3), gathered for the
 * kernel's pure evaluator (kernel/safety/policy-try.ts): a recorded process and its descendants —
 * each call from its events, with what happened to it and what the process held — every process
 * started since a time, or a replay tape, its calls read out of each reply by the kernel's own ABI
 * parser, what happened being the policy in force's decision (a tape holds no decisions).
 */
import path from 'node:path';
import { createHash } from 'node:crypto';
import { readTapeFile } from '../drivers/llm/tape-file.js';
import { parseTape } from '../drivers/llm/replay-tape.js';
import {
  callsOf,
  parsePolicy,
  tryCalls,
  wouldDecide,
  type CallDecision,
  type KernelApi,
  type Maker,
  type Policy,
  type RecordedCall,
} from '../kernel/api.js';
import type { ParsedParamsOf, ResultOf } from '../protocol/protocol.js';
import { parseSyscalls } from '../sys/abi/parser.js';
import { AosError } from '../sys/errno.js';
import { param } from '../sys/param.js';

type Tried = { call: RecordedCall; before: CallDecision; maker: Maker };

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The candidate read as the policy file it would become: EINVAL naming the line when it is not one. */
export function readCandidate(text: string, file: string): Policy {
  return parsePolicy(text, file);
}

/** Every pid of the runs asked for: each given process with its descendants, and those started since `since`. */
async function pidsOf(kernel: KernelApi, params: ParsedParamsOf<'policy_try'>): Promise<number[]> {
  const pids = new Set<number>();
  for (const pid of params.pids ?? []) {
    if (!kernel.pcb(pid) && !kernel.endedPcb(pid)) throw new AosError('ESRCH', `no such process ${pid}`);
    for (const row of await kernel.tree(pid, { tree: true })) pids.add(row.pid);
  }
  if (params.since !== undefined) {
    const since = Date.parse(params.since);
    if (!Number.isFinite(since)) throw new AosError('EINVAL', `since: not a time: ${params.since}`);
    for (const row of await kernel.processes({ all: true })) if (row.created_at >= since) pids.add(row.pid);
  }
  return [...pids].sort((a, b) => a - b);
}

/** A recorded process's calls, each with what happened and what it held. */
async function processCalls(kernel: KernelApi, pid: number): Promise<Tried[]> {
  const pcb = kernel.pcb(pid) ?? kernel.endedPcb(pid);
  if (!pcb) return [];
  const maker: Maker = { capabilities: pcb.capabilities, cwd: pcb.cwd };
  // The exec gate's refusals of programs a line started are on the audit trail alone.
  const audit = kernel.safety.audit.list({ pid, limit: param.auditMaxRows });
  return callsOf(await kernel.store.events.of([pid]), audit).map((c) => ({ ...c, maker }));
}

const PARSE_LIMITS = {
  maxBlocks: param.maxSyscallsPerReply,
  maxArgsBytes: param.maxSyscallArgsBytes,
  maxArgsDepth: param.maxSyscallArgsDepth,
  maxLeadInChars: param.maxSyscallLeadInChars,
};

/** A tape's calls, per agent and reply, each with the policy in force's decision as what happened. */
async function tapeCalls(kernel: KernelApi, file: string): Promise<Tried[]> {
  const tape = parseTape(await readTapeFile(file, param.replayMaxTapeBytes), file);
  const maker: Maker = { capabilities: kernel.rootCaps.list, cwd: '/' };
  const out: Tried[] = [];
  for (const [agent, entries] of tape.agents) {
    entries.forEach((entry, turn) => {
      for (const block of parseSyscalls(entry.reply, PARSE_LIMITS)) {
        if (!block.ok) continue;
        const call: RecordedCall = {
          pid: null,
          agent: `${path.basename(file)}:${agent}`,
          turn,
          seq: block.index,
          name: block.name,
          args: block.args,
        };
        out.push({ call, before: wouldDecide(kernel.safety.policy, maker, call), maker });
      }
    });
  }
  return out;
}

/** The candidate tried on every run asked for: the answer of `policy_try`. */
export async function tryPolicy(
  kernel: KernelApi,
  params: ParsedParamsOf<'policy_try'>,
  file: string,
  candidate: Policy,
): Promise<ResultOf<'policy_try'>> {
  if (!params.pids?.length && params.since === undefined && !params.tapes?.length)
    throw new AosError('EINVAL', 'nothing to try the policy on: name processes (pids), a time (since) or tapes');
  await kernel.store.flushed();
  const runs: Array<{ source: string; calls: number }> = [];
  const notes: string[] = [];
  const all: Tried[] = [];
  const take = (source: string, calls: Tried[]): void => {
    const room = param.policyTryMaxCalls - all.length;
    if (calls.length > room)
      notes.push(
        `${source}: only its first ${Math.max(0, room)} calls were tried (${param.policyTryMaxCalls} at most)`,
      );
    const kept = calls.slice(0, Math.max(0, room));
    all.push(...kept);
    runs.push({ source, calls: kept.length });
  };
  // Past the limit, a run is not read at all: `--since 100y` on a long-lived store does not load every event it holds.
  let unread = 0;
  for (const pid of await pidsOf(kernel, params)) {
    if (all.length >= param.policyTryMaxCalls) unread++;
    else take(`process ${pid}`, await processCalls(kernel, pid));
  }
  for (const tape of params.tapes ?? []) {
    const at = path.resolve(params.cwd ?? process.cwd(), tape);
    if (all.length >= param.policyTryMaxCalls) unread++;
    else take(`tape ${at}`, await tapeCalls(kernel, at));
  }
  if (unread) notes.push(`${unread} more runs were not read: ${param.policyTryMaxCalls} calls at most are tried`);
  // A process keeps the capabilities it was spawned with; a tape's calls would be a new root's, under the candidate's.
  const candidateMaker = (maker: Maker): Maker =>
    maker.capabilities === kernel.rootCaps.list ? { ...maker, capabilities: candidate.rootCapabilities } : maker;
  const report = tryCalls(all, candidate.safety, (text) => kernel.safety.shown(text), candidateMaker);
  if (
    report.rows.length <
    all.length - (report.counts.same ?? 0) - (report.counts.taint ?? 0) - (report.counts.unknown ?? 0)
  )
    notes.push(`only the first ${param.policyTryMaxRows} differences are listed; all are counted`);
  if (report.counts.taint)
    notes.push(
      `${report.counts.taint} calls were decided by the taint policy: not tried again (what a process had read is its run's)`,
    );
  if (candidate.safety.taint?.enabled) notes.push("the candidate's taint: section is not tried on past runs");
  return {
    file,
    sha256: sha256(params.text),
    runs,
    calls: report.calls,
    counts: report.counts,
    rows: report.rows,
    notes,
  };
}
