/**
 * Crash recovery: rebuild the process table from the store and put every process that had not
 * ended back where it was — ready ones in the run queue, blocked and sleeping ones parked with
 * the time they had left, messages and timers in place. A call that had started and not finished
 * is reported to the model as interrupted (turn.ts), never silently run again.
 */
import type { Kernel } from './kernel.js';
import { Proc } from './proc.js';
import { resumeTurn } from './turn.js';
import { isEnded } from './types.js';
import { REQUEST_SEQ_KEY } from './webhooks.js';

/** The model's context: after a compaction, the summary row first, then the rows kept verbatim. */
function loadContext(kernel: Kernel, proc: Proc): Proc['transcript'] {
  const start = proc.context;
  if (!start) return kernel.store.loadTranscript(proc.pid);
  const rows = kernel.store.loadTranscript(proc.pid, Math.min(start.summarySeq, ...start.keptSeqs));
  const bySeq = new Map(rows.map((r) => [r.seq, r]));
  const ordered = [start.summarySeq, ...start.keptSeqs].map((seq) => bySeq.get(seq)).filter((r) => r !== undefined);
  return [...ordered, ...rows.filter((r) => r.seq > start.summarySeq)];
}

/** Ended processes stay in the store, not in the table: their totals are summed once, here. */
function countArchived(kernel: Kernel, loaded: ReturnType<Kernel['store']['loadResumable']>): void {
  const a = kernel.archived;
  for (const t of kernel.store.endedTotals()) {
    a[t.state] += t.n;
    a.promptTokens += t.prompt;
    a.outputTokens += t.output;
    a.cost += t.cost;
  }
  for (const r of loaded) {
    if (r.state !== 'exited' && r.state !== 'killed') continue;
    a[r.state]--;
    a.promptTokens -= r.prompt_tokens;
    a.outputTokens -= r.output_tokens;
    a.cost -= r.cost;
  }
}

export function recover(kernel: Kernel): void {
  const { store } = kernel;
  const records = store.loadResumable();
  const maxPid = records.reduce((max, r) => Math.max(max, r.pid), 0);
  kernel.nextPid = Math.max(Number(store.meta('next_pid') ?? 1), maxPid + 1);
  countArchived(kernel, records);
  kernel.webhooks.restore(store.loadWebhooks(), Number(store.meta(REQUEST_SEQ_KEY) ?? 0));
  if (records.length === 0) return;

  const procs = records.map((record) => Proc.fromRecord(record));
  for (const proc of procs) {
    proc.transcript = loadContext(kernel, proc);
    proc.nextSeq = proc.transcript.reduce((max, e) => Math.max(max, e.seq), -1) + 1;
    kernel.adopt(proc);
    kernel.armWallTimer(proc);
  }
  for (const proc of procs) kernel.proc(proc.pcb.ppid)?.children.add(proc.pid);

  kernel.mailboxes.resumeIds(store.maxMessageId());
  for (const m of store.loadMessages()) {
    const target = kernel.proc(m.to_pid);
    if (!target || isEnded(target.pcb.state)) continue;
    if (m.channel === 'msg') target.mailbox.push({ id: m.id, from_pid: m.from_pid, content: m.content, ts: m.ts });
    else target.stdin.push({ id: m.id, text: m.content });
  }
  for (const t of store.loadTimers()) {
    const proc = kernel.proc(t.pid);
    if (proc && !isEnded(proc.pcb.state)) {
      kernel.mailboxes.arm(proc, { id: t.id, handle: null, fireAt: t.fire_at, intervalMs: t.interval_ms, prompt: t.prompt });
    }
  }

  // Next tick, so whoever created the kernel has subscribed to its events before turns restart.
  setImmediate(() => {
    for (const proc of procs) {
      if (isEnded(proc.pcb.state) || kernel.closing) continue;
      const { state } = proc.pcb;
      kernel.events.emit({ type: 'state', pid: proc.pid, from: state, to: state, reason: 'recovered after a kernel restart' });
      if (proc.pending) void resumeTurn(kernel, proc);
      else kernel.makeReady(proc);
    }
  });
}
