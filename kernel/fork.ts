/**
 * `aos fork <pid> --turn N` (issue 35): a new root process that begins where another was at turn N
 * — its context is the origin's rows up to that turn's prompt, referred to and not copied (the
 * fork's PCB names them: pcb.fork), so its first prompt is exactly the origin's turn-N prompt —
 * and the workspace put back as it was then through the rollback journal (refused, naming the
 * file, when a later process changed it). What the origin did before turn N is not done again.
 * `model` switches the model from there; `append` adds a message to that first prompt.
 */
import { AosError } from '../sys/errno.js';
import { holdsFrame } from '../sys/outside-data.js';
import type { TaintSourceKind } from '../sys/taint.js';
import { isEnded, type ForkOrigin, type Pcb } from '../sys/types.js';
import type { KernelEvent } from '../protocol/events.js';
import { Proc } from './proc/proc.js';
import type { ContextStart, Entry } from './proc/proc-types.js';
import { storedContext, storedTranscript } from './loop/turn-state.js';
import { rollbackProcess, type RollbackHost } from './safety/rollback.js';
import type { SpawnOptions } from './proc/spawn-options.js';
import type { AuditInput, JournalEntry, KernelStore } from './store/api.js';

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
  /** The journal to put files back; `tainted` notes a source of a process's taint (while the policy tracks it). */
  readonly safety: RollbackHost & {
    tainted?(pid: number, source: TaintSourceKind, detail: string, excerpt: string, sticky?: boolean): void;
  };
  readonly table?: { get(pid: number): Proc | undefined };
  history(pid: number, options?: { tree?: boolean }): Promise<KernelEvent[]>;
  spawn(options: SpawnOptions): Promise<Pcb>;
  isLive(pid: number): boolean;
  /** Open a model (a ladder's every rung) as a spawn would, or throw why not. */
  loadModel(model: string, cwd: string | undefined): Promise<void>;
  audit(input: AuditInput): void;
}

/** The origin as stored: its PCB and what its runtime says of its context (a live or an ended process). */
async function originOf(k: ForkHost, pid: number): Promise<{ origin: Proc; context: ContextStart | null }> {
  await k.store.flushed();
  const record = await k.store.processes.get(pid);
  if (!record) throw new AosError('ESRCH', `no such process ${pid}`);
  return { origin: Proc.fromRecord(record), context: storedContext(record) };
}

/** The transcript row the prompt of turn `turn` ends with (what the model was about to see), and when it was shown. */
async function promptOf(k: ForkHost, origin: Proc, turn: number): Promise<{ seq: number; at: number; turn: number }> {
  const prompts = (await k.history(origin.pid)).filter(
    (e): e is Extract<KernelEvent, { type: 'prompt' }> => e.type === 'prompt',
  );
  const prompt = prompts.find((e) => e.turn === turn);
  if (prompt?.transcript_seq === undefined) {
    const turns = prompts.map((e) => e.turn);
    throw new AosError(
      'ENOENT',
      `process ${origin.pid} has no turn ${turn}${turns.length ? ` (its turns are ${Math.min(...turns)} to ${Math.max(...turns)})` : ' (it never asked its model)'}`,
    );
  }
  return { seq: prompt.transcript_seq, at: Date.parse(prompt.ts), turn };
}

/**
 * Whether a descendant's change came after the origin's turn-N prompt: by its time, and in the same
 * millisecond by the order of the tree's events (its turn's prompt before or after that one).
 */
async function madeAfter(
  k: Pick<ForkHost, 'history'>,
  pid: number,
  prompt: { at: number; turn: number },
): Promise<(entry: JournalEntry) => boolean> {
  const tree = await k.history(pid, { tree: true });
  const order = new Map<string, number>();
  tree.forEach((e, i) => e.type === 'prompt' && !order.has(`${e.pid}:${e.turn}`) && order.set(`${e.pid}:${e.turn}`, i));
  const at = order.get(`${pid}:${prompt.turn}`) ?? -1;
  return (entry) =>
    entry.ts > prompt.at || (entry.ts === prompt.at && (order.get(`${entry.pid}:${entry.turn}`) ?? -1) > at);
}

/**
 * `aos rollback <pid> --turn N`'s cut for the process's descendants (rollback.ts `after`): their
 * changes made after its turn-N prompt, whatever their own turn numbers; undefined when it has no
 * such turn (rollback then goes by turn numbers alone).
 */
export async function descendantsAfterTurn(
  k: Pick<ForkHost, 'history'>,
  pid: number,
  turn: number,
): Promise<((entry: JournalEntry) => boolean) | undefined> {
  const prompt = (await k.history(pid)).find(
    (e): e is Extract<KernelEvent, { type: 'prompt' }> => e.type === 'prompt' && e.turn === turn,
  );
  return prompt ? madeAfter(k, pid, { at: Date.parse(prompt.ts), turn }) : undefined;
}

/** `aos rollback <pid> [--turn N]`: from a turn on, its children's changes placed by when they were made, not by their turn numbers. */
export async function rollbackFrom(
  k: Pick<ForkHost, 'history' | 'safety'>,
  pid: number,
  turn: number | undefined,
): ReturnType<typeof rollbackProcess> {
  const after = turn ? await descendantsAfterTurn(k, pid, turn) : undefined;
  return rollbackProcess(k.safety, pid, turn ?? 0, after ? { after } : {});
}

/** Every row of a fork's context must be there: an origin removed since (aos rm) leaves a hole no fork begins with. */
function checkWhole(entries: Entry[], context: ContextStart | null, cutoff: number, pid: number): void {
  if (context) return;
  const seen = new Set(entries.map((e) => e.seq));
  for (let seq = 0; seq <= cutoff; seq++) {
    if (!seen.has(seq))
      throw new AosError(
        'ENOENT',
        `process ${pid}'s context at that turn is no longer whole (transcript row ${seq} is gone: a process it was forked from was removed with aos rm)`,
      );
  }
}

/** The context the origin's model was given at that row: after a compaction, its summary and kept rows first. */
function contextAt(rows: Entry[], context: ContextStart | null, cutoff: number, origin: Proc, turn: number): Entry[] {
  if (!context) return rows.filter((r) => r.seq <= cutoff);
  if (context.summarySeq > cutoff) {
    throw new AosError(
      'EINVAL',
      `process ${origin.pid}'s context was compacted after turn ${turn}: a fork begins at a turn after its last compaction (its rows before are only a summary now)`,
    );
  }
  const bySeq = new Map(rows.map((r) => [r.seq, r]));
  const head = [context.summarySeq, ...context.keptSeqs]
    .map((seq) => bySeq.get(seq))
    .filter((r): r is Entry => r !== undefined);
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

/**
 * A fork whose context holds the origin's outside content starts tainted, as the origin was (issue
 * 49): its frames keep the origin's tag, which the fork takes so its compaction finds them, and the
 * origin's sources (or, when its taint has ended since, the origin itself) are its own.
 */
function forkTaint(k: ForkHost, origin: Proc, entries: Entry[], pid: number, turn: number): void {
  const fork = k.table?.get(pid);
  if (!fork || !origin.taint.framed) return;
  const tag = origin.taint.tag;
  if (!entries.some((e) => holdsFrame(e.text, tag))) return;
  fork.taint.adopt(tag);
  const sticky = origin.taint.sticky;
  const sources = origin.taint.sources;
  if (sources.length === 0)
    k.safety.tainted?.(
      pid,
      'parent',
      `process ${origin.pid} (forked at turn ${turn}: outside content in its context)`,
      '',
      sticky,
    );
  for (const s of sources) k.safety.tainted?.(pid, s.source, s.detail, s.excerpt, sticky);
}

export async function forkProcess(k: ForkHost, request: ForkRequest): Promise<ForkAnswer> {
  const { origin, context } = await originOf(k, request.pid);
  const { pcb } = origin;
  if (!isEnded(pcb.state))
    throw new AosError(
      'EBUSY',
      `process ${pcb.pid} is still running (${pcb.state}): a fork puts its files back as they were at turn ${request.turn}, which would pull them from under it — stop it first (aos stop ${pcb.pid})`,
    );
  // Its children too: SYS_EXIT leaves them running, and their files are put back with its own.
  const running = (await k.store.processes.subtree(pcb.pid)).find((p) => p !== pcb.pid && k.isLive(p));
  if (running !== undefined)
    throw new AosError(
      'EBUSY',
      `process ${pcb.pid}'s descendant ${running} is still running: its files would be pulled from under it — stop it first (aos stop ${pcb.pid})`,
    );
  const prompt = await promptOf(k, origin, request.turn);
  const cutoff = prompt.seq;
  const entries = contextAt(await storedTranscript(k.store, pcb), context, cutoff, origin, request.turn);
  checkWhole(entries, context, cutoff, pcb.pid);
  const last = entries.at(-1);
  if (!last || last.role !== 'user')
    throw new AosError('EIO', `process ${pcb.pid}'s transcript does not end in a prompt at turn ${request.turn}`);
  const append = request.append?.trim() ? `${last.text}\n\n${request.append.trim()}` : null;
  // With a message added, the prompt is the fork's own row (the origin's is referred to up to the row before).
  const through = append === null ? cutoff : cutoff - 1;
  const own = append === null ? entries : entries.slice(0, -1);
  // What can refuse the fork is asked before any file moves: the model opens (a name no provider has, a missing key).
  await k.loadModel(request.model ?? pcb.model, request.cwd);
  const files = await rollbackProcess(k.safety, pcb.pid, request.turn, {
    after: await madeAfter(k, pcb.pid, prompt),
    keep: true,
  });
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
    fork: {
      origin: { pid: pcb.pid, turn: request.turn, segments: segmentsOf(origin, through) },
      entries: own,
      context,
      append,
    },
  });
  forkTaint(k, origin, entries, forked.pid, request.turn);
  k.audit({
    pid: forked.pid,
    call: 'FORK',
    subject: `${pcb.pid}@${request.turn}`,
    decision: 'allow',
    rule: null,
    decided_by: 'person',
    reason: `forked from process ${pcb.pid} at turn ${request.turn}${request.model ? ` on ${request.model}` : ''}; ${files.length} file(s) put back`,
  });
  return { pcb: forked, from: pcb.pid, turn: request.turn, files };
}
