/**
 * `aos fork <pid> --turn N` (issue 35): a new root process that begins where another was at turn N
 * — its context is the origin's rows up to that turn's prompt, referred to and not copied (the
 * fork's PCB names them: pcb.fork), so its first prompt is exactly the origin's turn-N prompt —
 * and the workspace put back as it was then through the rollback journal (refused, naming the
 * file, when a later process changed it). What the origin did before turn N is not done again.
 * `model` switches the model from there; `append` adds a message to that first prompt.
 */
import { AosError } from '../sys/errno.js';
import { isEnded, type ForkOrigin, type Pcb } from '../sys/types.js';
import type { KernelEvent } from '../protocol/events.js';
import { Proc } from './proc/proc.js';
import type { ContextStart, Entry } from './proc/proc-types.js';
import { storedTranscript } from './proc/transcript.js';
import { rollbackProcess, type RollbackHost } from './safety/rollback.js';
import type { SpawnOptions } from './proc/spawn.js';
import type { AuditInput, KernelStore } from './store/api.js';

export interface ForkRequest {
  pid: number;
  turn: number;
  model?: string;
  append?: string;
  /** Where a relative model path (a replay tape) is resolved: the caller's directory. */
  cwd?: string;
}

export interface ForkAnswer {
  pcb: Pcb;
  from: number;
  turn: number;
  /** The workspace files put back as they were at the turn. */
  files: Array<{ path: string; action: 'restored' | 'removed' }>;
}

export interface ForkHost {
  readonly store: KernelStore;
  readonly safety: RollbackHost;
  history(pid: number): KernelEvent[];
  spawn(options: SpawnOptions): Promise<Pcb>;
  audit(input: AuditInput): void;
}

/** The origin as stored: its PCB and what its runtime says of its context (a live or an ended process). */
function originOf(k: ForkHost, pid: number): Proc {
  k.store.flush();
  const record = k.store.processes.get(pid);
  if (!record) throw new AosError('ESRCH', `no such process ${pid}`);
  return Proc.fromRecord(record);
}

/** The transcript row the prompt of turn `turn` ends with (what the model was about to see). */
function promptSeq(k: ForkHost, origin: Proc, turn: number): number {
  const prompts = k.history(origin.pid).filter((e): e is Extract<KernelEvent, { type: 'prompt' }> => e.type === 'prompt');
  const prompt = prompts.find((e) => e.turn === turn);
  if (prompt?.transcript_seq === undefined) {
    const turns = prompts.map((e) => e.turn);
    throw new AosError('ENOENT', `process ${origin.pid} has no turn ${turn}${turns.length ? ` (its turns are ${Math.min(...turns)} to ${Math.max(...turns)})` : ' (it never asked its model)'}`);
  }
  return prompt.transcript_seq;
}

/** The context the origin's model was given at that row: after a compaction, its summary and kept rows first. */
function contextAt(rows: Entry[], context: ContextStart | null, cutoff: number, origin: Proc, turn: number): Entry[] {
  if (!context) return rows.filter((r) => r.seq <= cutoff);
  if (context.summarySeq > cutoff) {
    throw new AosError('EINVAL', `process ${origin.pid}'s context was compacted after turn ${turn}: a fork begins at a turn after its last compaction (its rows before are only a summary now)`);
  }
  const bySeq = new Map(rows.map((r) => [r.seq, r]));
  const head = [context.summarySeq, ...context.keptSeqs].map((seq) => bySeq.get(seq)).filter((r): r is Entry => r !== undefined);
  return [...head, ...rows.filter((r) => r.seq > context.summarySeq && r.seq <= cutoff)];
}

/** The rows a fork refers to: its origin's own segments up to `through`, then the origin's own rows. */
function segmentsOf(origin: Proc, through: number): ForkOrigin['segments'] {
  const out: Array<{ pid: number; through: number }> = [];
  for (const s of origin.pcb.fork?.segments ?? []) {
    if ((out.at(-1)?.through ?? -1) >= through) break;
    out.push({ pid: s.pid, through: Math.min(s.through, through) });
  }
  // Rows past the origin's referred ones are its own (a fork's seqs go on from where it branched).
  return (out.at(-1)?.through ?? -1) >= through ? out : [...out, { pid: origin.pid, through }];
}

export async function forkProcess(k: ForkHost, request: ForkRequest): Promise<ForkAnswer> {
  const origin = originOf(k, request.pid);
  const { pcb } = origin;
  if (!isEnded(pcb.state)) throw new AosError('EBUSY', `process ${pcb.pid} is still running (${pcb.state}): a fork puts its files back as they were at turn ${request.turn}, which would pull them from under it — stop it first (aos stop ${pcb.pid})`);
  const cutoff = promptSeq(k, origin, request.turn);
  const entries = contextAt(await storedTranscript(k.store, pcb), origin.context, cutoff, origin, request.turn);
  const last = entries.at(-1);
  if (!last || last.role !== 'user') throw new AosError('EIO', `process ${pcb.pid}'s transcript does not end in a prompt at turn ${request.turn}`);
  const append = request.append?.trim() ? `${last.text}\n\n${request.append.trim()}` : null;
  // With a message added, the prompt is the fork's own row (the origin's is referred to up to the row before).
  const through = append === null ? cutoff : cutoff - 1;
  const own = append === null ? entries : entries.slice(0, -1);
  const files = await rollbackProcess(k.safety, pcb.pid, request.turn);
  const forked = await k.spawn({
    task: pcb.task,
    name: pcb.name,
    role: pcb.role,
    model: request.model ?? pcb.model,
    capabilities: pcb.capabilities,
    maxTurns: pcb.limits.maxTurns,
    ...(pcb.limits.maxTokens === null ? {} : { maxTokens: pcb.limits.maxTokens }),
    ...(pcb.limits.maxCost === null ? {} : { maxCost: pcb.limits.maxCost }),
    ...(pcb.limits.maxWallS === null ? {} : { maxWallS: pcb.limits.maxWallS }),
    contextTokens: pcb.limits.contextTokens,
    ...(request.cwd ? { cwd: request.cwd } : {}),
    workdir: pcb.cwd,
    ...(pcb.unit === null ? {} : { unit: pcb.unit }),
    ...(pcb.threads?.length ? { attach: pcb.threads } : {}),
    fork: { origin: { pid: pcb.pid, turn: request.turn, segments: segmentsOf(origin, through) }, entries: own, context: origin.context, append },
  });
  k.audit({ pid: forked.pid, call: 'FORK', subject: `${pcb.pid}@${request.turn}`, decision: 'allow', rule: null, decided_by: 'person', reason: `forked from process ${pcb.pid} at turn ${request.turn}${request.model ? ` on ${request.model}` : ''}; ${files.length} file(s) put back` });
  return { pcb: forked, from: pcb.pid, turn: request.turn, files };
}
