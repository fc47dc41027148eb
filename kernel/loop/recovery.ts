/**
 * Crash recovery: rebuild the process table from the store and put every process that had not
 * ended back where it was — ready ones in the run queue, blocked and sleeping ones parked with
 * the time they had left, messages and timers in place. A call that had started and not finished
 * is reported to the model as interrupted (turn.ts), never silently run again. A process whose
 * kill was asked (and acknowledged) before the restart is ended with it, never resumed (kill.ts).
 *
 * A turn that keeps crashing the kernel is not replayed blindly forever: each crash is charged to
 * the process that was running (the one named by the daemon's crash handler, else every process in
 * flight), and after `param.maxTurnCrashes` in the same turn the next start ends that process.
 */
import type { Mailboxes } from '../ipc/mailboxes.js';
import type { Webhooks } from '../ipc/webhooks.js';
import type { LoopHost } from './host.js';
import { param } from '../../sys/param.js';
import { Proc } from '../proc/proc.js';
import type { Entry } from '../proc/proc-types.js';
import { parseReply, resumeTurn } from './turn.js';
import { isEnded } from '../../sys/types.js';
import { REQUEST_SEQ_KEY } from '../ipc/webhooks.js';
import { persist } from '../proc/proc-runtime.js';
import { storedTranscript, TurnState, turnOf } from './turn-state.js';
import type { TurnRuntime } from './turn-types.js';
import { finish, makeReady } from '../proc/lifecycle.js';
import { armWallTimer } from '../proc/budgets.js';
import type { ProcessRecord } from '../store/api.js';
import { sweepHalfWrites } from '../upkeep/half-writes.js';
import type { LogLevel } from '../proc/api.js';

/** What recovery rebuilds: the process table, the mailboxes and timers, the webhook routes. */
export interface RecoveryHost extends LoopHost {
  readonly mailboxes: Mailboxes;
  readonly webhooks: Webhooks;
  /** The workspace: swept for half-made writes after an unclean stop. */
  readonly fs: { readonly root: string };
  log(level: LogLevel, message: string): void;
}

/** Meta keys: '1' while a kernel runs (a clean stop writes '0'); the pid the last crash was charged to. */
export const RUNNING_KEY = 'kernel_running';
export const CRASH_SUSPECT_KEY = 'crash_suspect';

/** The model's context: after a compaction, the summary row first, then the rows kept verbatim. */
async function loadContext(kernel: RecoveryHost, proc: Proc): Promise<Entry[]> {
  const start = turnOf(proc).context;
  if (!start) return storedTranscript(kernel.store, proc.pcb);
  const rows = await storedTranscript(kernel.store, proc.pcb, Math.min(start.summarySeq, ...start.keptSeqs));
  const bySeq = new Map(rows.map((r) => [r.seq, r]));
  const ordered = [start.summarySeq, ...start.keptSeqs].map((seq) => bySeq.get(seq)).filter((r) => r !== undefined);
  return [...ordered, ...rows.filter((r) => r.seq > start.summarySeq)];
}

/** Ended processes stay in the store, not in the table: their totals are summed once, here. */
async function countArchived(kernel: RecoveryHost): Promise<void> {
  const a = kernel.table.archived;
  for (const t of await kernel.store.processes.endedTotals()) {
    a[t.state] += t.n;
    a.promptTokens += t.prompt;
    a.outputTokens += t.output;
    a.cost += t.cost;
  }
}

/** The reply's blocks and the results so far: the reply is a transcript row, the results rows of their own. */
async function restorePending(kernel: RecoveryHost, proc: Proc): Promise<void> {
  const state = turnOf(proc);
  const stored = state.takeStoredPending();
  if (!stored) return;
  if ('blocks' in stored) {
    state.setPending(stored);
    return;
  }
  const reply = (await kernel.store.transcripts.row(proc.pid, stored.replySeq)) ?? '';
  state.setPending({
    ...stored,
    reply,
    blocks: parseReply(reply),
    lines: await kernel.store.transcripts.results(proc.pid),
  });
}

/** Charge a crash to the turn the process was in; true when it has now crashed the kernel too often there. */
function chargeCrash(proc: Proc): boolean {
  const state = turnOf(proc);
  const at = `${proc.pcb.counters.turns}:${state.pending?.next ?? '-'}`;
  return state.chargeCrash(at) >= param.maxTurnCrashes;
}

/** The processes a crash is charged to, after an unclean stop (none after a clean one). */
async function crashCulprits(kernel: RecoveryHost, procs: readonly Proc[], unclean: boolean): Promise<Proc[]> {
  const { store } = kernel;
  if (!unclean) return [];
  const suspect = Number((await store.meta(CRASH_SUSPECT_KEY)) || 0);
  if (suspect > 0) return procs.filter((p) => p.pid === suspect);
  return procs.filter((p) => p.pcb.state === 'running');
}

async function restoreChildren(kernel: RecoveryHost, procs: readonly Proc[]): Promise<void> {
  const ours = new Set(procs.map((p) => p.pid));
  for (const proc of procs) kernel.table.get(proc.pcb.ppid)?.adoptChild(proc.pid);
  for (const { pid, ppid } of await kernel.store.processes.unreapedChildren())
    if (ours.has(ppid)) kernel.table.get(ppid)?.adoptChild(pid);
  for (const proc of procs) for (const pid of proc.legacyReaped) proc.forgetChild(pid);
}

/** A stored process: its PCB and queues (proc.ts), and the loop's part — its turn's state — from the same row. */
function restoreProc(record: ProcessRecord): Proc {
  const proc = Proc.fromRecord(record);
  proc.holdTurn(TurnState.restored(JSON.parse(record.runtime) as Partial<TurnRuntime>));
  return proc;
}

/** These stored processes into the table, with their contexts, pending calls and children. */
async function restoreProcs(kernel: RecoveryHost, records: readonly ProcessRecord[]): Promise<Proc[]> {
  const procs = records.map(restoreProc);
  for (const proc of procs) {
    turnOf(proc).restoreTranscript(await loadContext(kernel, proc));
    await restorePending(kernel, proc);
    kernel.table.add(proc);
    armWallTimer(kernel, proc);
  }
  await restoreChildren(kernel, procs);
  return procs;
}

/** Messages, stdin and timers in flight to these processes (all of them: null), delivered and armed again. */
async function restoreMail(kernel: RecoveryHost, only: ReadonlySet<number> | null): Promise<void> {
  const { store } = kernel;
  const orphaned: number[] = [];
  for (const m of await store.mail.messages()) {
    if (only && !only.has(m.to_pid)) continue;
    const target = kernel.table.get(m.to_pid);
    if (!target || isEnded(target.pcb.state)) {
      orphaned.push(m.id);
      continue;
    }
    if (m.channel === 'msg') target.queues.deliver({ id: m.id, from_pid: m.from_pid, content: m.content, ts: m.ts });
    else target.queues.feedStdin({ id: m.id, text: m.content });
  }
  store.mail.deleteMessages(orphaned);
  for (const t of await store.mail.timers()) {
    if (only && !only.has(t.pid)) continue;
    const proc = kernel.table.get(t.pid);
    if (proc && !isEnded(proc.pcb.state)) {
      kernel.mailboxes.arm(proc, {
        id: t.id,
        handle: null,
        fireAt: t.fire_at,
        intervalMs: t.interval_ms,
        prompt: t.prompt,
        taint: t.taint ?? null,
      });
    }
  }
}

/** Next tick (whoever created the kernel has subscribed to its events by then): each process on from where it was. */
function resumeAll(kernel: RecoveryHost, procs: readonly Proc[], reason: string, doomed: ReadonlySet<Proc>): void {
  setImmediate(() => {
    for (const proc of procs) {
      if (isEnded(proc.pcb.state) || kernel.closing) continue;
      const { state } = proc.pcb;
      kernel.events.emit({ type: 'state', pid: proc.pid, from: state, to: state, reason });
      if (proc.killRequested) {
        // Asked (and acknowledged) before the restart, not yet carried out: nothing of the process runs again.
        const { state: end, code, reason: why } = proc.killRequested;
        finish(kernel, proc, end, code, why);
      } else if (doomed.has(proc)) {
        const { crash } = turnOf(proc);
        const [turn] = (crash?.at ?? '0').split(':');
        const message = `kernel error: the kernel crashed ${crash?.count ?? 0} times while this process was in turn ${turn}; it was ended instead of running that turn again`;
        kernel.events.emit({ type: 'error', pid: proc.pid, message });
        finish(kernel, proc, 'exited', 1, message);
      } else if (turnOf(proc).pending) void resumeTurn(kernel, proc);
      else {
        // Paused on a budget before the restart: its next turn reserves again (and is paused again if still spent).
        if (proc.pcb.wait?.kind === 'budget') proc.waitOver();
        makeReady(kernel, proc);
      }
    }
  });
}

export async function recover(kernel: RecoveryHost): Promise<void> {
  const { store } = kernel;
  const unclean = (await store.meta(RUNNING_KEY)) === '1';
  // Before any process runs again: what a kernel that stopped mid-write left half-made.
  if (unclean) await sweepHalfWrites(kernel, kernel.fs.root);
  const records = await store.processes.live();
  await countArchived(kernel);
  kernel.webhooks.restore(await store.mail.webhooks(), Number((await store.meta(REQUEST_SEQ_KEY)) ?? 0));
  const procs = await restoreProcs(kernel, records);
  const doomed = new Set((await crashCulprits(kernel, procs, unclean)).filter((proc) => chargeCrash(proc)));
  for (const proc of procs) persist(kernel.store, proc);
  store.setMeta(RUNNING_KEY, '1');
  store.setMeta(CRASH_SUSPECT_KEY, '');
  store.flush();
  await restoreMail(kernel, null);
  if (procs.length > 0) resumeAll(kernel, procs, 'recovered after a kernel restart', doomed);
}

/**
 * A tree moved into this kernel's store from a node declared dead (kernel/cluster adoption):
 * every process of it that had not ended goes on here from where it was, as after a restart — a
 * call that had started there and not finished is reported interrupted, never run again; its
 * ended ones count among this kernel's ended processes.
 */
export async function adoptProcesses(kernel: RecoveryHost, pids: readonly number[], reason: string): Promise<Proc[]> {
  const { store } = kernel;
  const records = (await Promise.all(pids.map((pid) => store.processes.get(pid)))).filter(
    (r): r is ProcessRecord => r !== undefined,
  );
  const a = kernel.table.archived;
  for (const r of records) {
    if (r.state !== 'exited' && r.state !== 'killed') continue;
    a[r.state] += 1;
    a.promptTokens += r.prompt_tokens;
    a.outputTokens += r.output_tokens;
    a.cost += r.cost;
  }
  const ours = new Set(pids);
  kernel.webhooks.restore(
    (await store.mail.webhooks()).filter((w) => ours.has(w.pid)),
    0,
  );
  const procs = await restoreProcs(
    kernel,
    records.filter((r) => r.state !== 'exited' && r.state !== 'killed' && !kernel.table.get(r.pid)),
  );
  for (const proc of procs) persist(store, proc);
  store.flush();
  await restoreMail(kernel, ours);
  if (procs.length > 0) resumeAll(kernel, procs, reason, new Set());
  return procs;
}

/** The daemon is dying of an error raised while working for `pid`: the next start charges the crash to it alone. */
export function noteCrash(
  host: { readonly closing: boolean; readonly store: LoopHost['store'] },
  pid: number | null,
): void {
  if (pid === null || host.closing) return;
  host.store.setMeta(CRASH_SUSPECT_KEY, pid);
  host.store.flush();
}
