/**
 * Bounded context (MemGPT's lesson): when a process's context nears its budget the model is
 * warned; when it gets closer, the older turns are replaced by a summary and the newest ones stay
 * verbatim — as many as fit a share of the budget, counted in tokens, not messages. The store keeps
 * the whole transcript; prompt size per turn stops growing with the number of turns.
 *
 * The compaction interceptor's `prepare` stage (model-chain.ts): before a turn's request is built.
 * Installed for a process whose context has reached the warning mark (model-chain.ts, its table):
 * below it there is nothing to warn of or compact, and a turn runs none of this file. The summary
 * is a model request of its own, through the chain (summary-call.ts). The turn's request itself is
 * fitted to the budget in turn.ts.
 */
import type { ModelDriver, ModelMessage } from '../../drivers/llm/types.js';
import { estimateTokens, tokensToChars } from '../context/context-budget.js';
import { taskMessage } from '../context/context.js';
import type { LoopHost } from './host.js';
import type { ModelInterceptor } from './host.js';
import { summaryCall } from './summary-call.js';
import type { Lease } from '../sched/model-pool.js';
import { param } from '../../sys/param.js';
import { holdsFrame, withholdFrames } from '../../sys/outside-data.js';
import type { Proc } from '../proc/proc.js';
import type { Entry } from '../proc/proc-types.js';
import { persist } from '../proc/proc-runtime.js';
import { amendTranscript, appendTranscript, turnOf } from './turn-state.js';

export { estimateTokens } from '../context/context-budget.js';

const summarizer = (
  chars: number,
): string => `You compress an agent's working history. Write a faithful summary of the conversation so far
for the agent itself to continue from: the task, what was done (syscalls and their important
results: file paths, pids, ids, numbers, errors), what was learned, and what remains to do.
Plain text, no syscalls, at most ${chars} characters.`;

/** The summary's size: a share of the budget, and never more than compactSummaryChars. */
export function summaryChars(budget: number): number {
  return Math.min(param.compactSummaryChars, tokensToChars(budget * param.compactSummaryShare));
}

/** The system prompt counts against the budget: asked for first (at a process's first turn, built then). */
export function contextCompaction(kernel: LoopHost): ModelInterceptor {
  return {
    prepare: (turn) => {
      const system = turn.system();
      if (typeof system !== 'string')
        return system.then((text) => manageContext(kernel, turn.proc, text, turn.driver, turn.lease));
      return manageContext(kernel, turn.proc, system, turn.driver, turn.lease) || null;
    },
  };
}

/**
 * Warn, or compact, before the next inference. Returns a promise (true once it compacted) only
 * when it compacts: a turn that needs neither awaits nothing.
 */
function manageContext(
  kernel: LoopHost,
  proc: Proc,
  system: string,
  driver: ModelDriver,
  lease: Lease,
): Promise<boolean> | false {
  const budget = proc.pcb.limits.contextTokens;
  const state = turnOf(proc);
  const used = estimateTokens(system, state.transcript);
  if (used >= budget * param.contextCompactAt) return compact(kernel, proc, driver, lease, used, budget);
  if (used >= budget * param.contextWarnAt && !state.contextWarned) {
    state.warnedOfContext();
    const last = state.transcript[state.transcript.length - 1];
    const warning = `[KERNEL] Your context is at ${Math.round((used / budget) * 100)}% of its budget (about ${used} of ${budget} tokens). Soon the older turns will be replaced by a summary: keep what you must not lose in files.`;
    if (last?.role === 'user') amendTranscript(kernel.store, proc, `${last.text}\n${warning}`);
    persist(kernel.store, proc);
  }
  return false;
}

/**
 * Where the verbatim tail starts: the newest messages within `keepChars`, starting with a model
 * reply — and at least the latest reply with the kernel message after it, which the model has not seen.
 */
export function splitPoint(transcript: readonly ModelMessage[], keepChars: number): number {
  let cut = transcript.length;
  let kept = 0;
  while (cut > 1 && kept + (transcript[cut - 1]?.text.length ?? 0) <= keepChars)
    kept += transcript[--cut]?.text.length ?? 0;
  while (cut < transcript.length && transcript[cut]?.role !== 'model') cut++;
  if (cut < transcript.length) return cut;
  let latest = transcript.length - 1;
  while (latest > 0 && transcript[latest]?.role !== 'model') latest--;
  return Math.max(1, latest);
}

async function compact(
  kernel: LoopHost,
  proc: Proc,
  driver: ModelDriver,
  lease: Lease,
  used: number,
  budget: number,
): Promise<boolean> {
  const state = turnOf(proc);
  const transcript = state.transcript;
  // A tainted process's compaction is a fresh window (issue 49, docs/policy.md): the outside content
  // is withheld from its summary (each frame named by its source), and so is every reply the model
  // wrote since the first of it came in — the kernel cannot tell the model's words from what it
  // copied (an order restated in each reply) — and nothing from then on is kept verbatim: the
  // context holds none of it after, and its taint ends.
  const tag = proc.taint.tainted && !proc.taint.sticky ? proc.taint.tag : null;
  const since = tag === null ? -1 : transcript.findIndex((e) => holdsFrame(e.text, tag));
  const cut = since >= 0 ? transcript.length : splitPoint(transcript, tokensToChars(budget * param.compactKeepShare));
  // Only the previous summary (or the task) would be summarised: nothing to gain.
  if (cut <= 1) return false;
  const older = transcript.slice(0, cut);
  const kept = transcript.slice(cut);
  const summarised = tag ? older.map((e, i) => ({ ...e, text: withheld(e, tag, since >= 0 && i >= since) })) : older;
  const summary = await summarize(kernel, proc, driver, lease, summarised, budget);
  const count = (state.context?.count ?? 0) + 1;
  const text = `${taskMessage(proc.pcb)}
[KERNEL] Your context was compacted (${count}×, at about ${used} of ${budget} tokens): the ${older.length} earlier messages are replaced by this summary. The full transcript is kept by the kernel.
[SUMMARY] ${summary}`;
  appendTranscript(kernel.store, proc, 'user', text);
  const summaryEntry = state.transcript[state.transcript.length - 1] as Entry;
  state.compacted([summaryEntry, ...kept], { summarySeq: summaryEntry.seq, keptSeqs: kept.map((e) => e.seq), count });
  // Ended only when the outside content was found (a frame) and nothing from it on is kept: content
  // that came in unframed (a binary body, mail noted as it was delivered and still unread, a task
  // written from a tainted parent's context) cannot be told from the rest, so its taint holds.
  const untainted =
    tag !== null &&
    since >= 0 &&
    !kept.some((e) => holdsFrame(e.text, tag)) &&
    proc.taint.end(new Date().toISOString());
  persist(kernel.store, proc);
  kernel.events.emit({
    type: 'state',
    pid: proc.pid,
    from: proc.pcb.state,
    to: proc.pcb.state,
    reason: `context compacted: ${older.length} messages (about ${used} tokens) summarised, ${kept.length} kept${untainted ? '; no outside content is left in it: its taint ended' : ''}`,
  });
  return true;
}

/** What a tainted process's summary is made from of one message: outside content named, never shown. */
function withheld(entry: Entry, tag: string, afterOutside: boolean): string {
  if (!afterOutside || entry.role !== 'model') return withholdFrames(entry.text, tag);
  const calls = [...entry.text.matchAll(/\[SYS_CALL::([A-Z_]{1,40})\]/g)].map((m) => m[1]);
  return `[a reply written while the context held outside content, withheld${calls.length ? `: it called ${calls.join(', ')}` : ''}]`;
}

async function summarize(
  kernel: LoopHost,
  proc: Proc,
  driver: ModelDriver,
  lease: Lease,
  older: readonly Entry[],
  budget: number,
): Promise<string> {
  const chars = summaryChars(budget);
  // A replay tape scripts only the agent's replies: summarise it here, without a model.
  if (driver.id.startsWith('replay:')) return extractiveSummary(older, chars);
  const system = summarizer(chars);
  const asked: ModelMessage[] = older.map(({ role, text }) => ({ role, text }));
  const instruction = '\n\n[KERNEL] Summarise everything above now, as instructed.';
  const last = asked[asked.length - 1];
  if (last?.role === 'user') last.text = `${last.text}${instruction}`;
  else asked.push({ role: 'user', text: instruction.trim() });
  // The summariser's request is a request like any other: within the budget, on the lease, paid by the process.
  const reply = await summaryCall(kernel, 'compaction', { proc, driver, lease }, system, asked);
  return reply ? reply.text.slice(0, chars) : extractiveSummary(older, chars);
}

/** Without a model: the calls made and the latest results, cut to size. */
export function extractiveSummary(older: readonly ModelMessage[], chars: number = param.compactSummaryChars): string {
  const calls = new Map<string, number>();
  for (const m of older) {
    if (m.role !== 'model') continue;
    for (const match of m.text.matchAll(/\[SYS_CALL::([A-Za-z_]+)\]/g)) {
      const name = (match[1] ?? '').toUpperCase();
      calls.set(name, (calls.get(name) ?? 0) + 1);
    }
  }
  const made = [...calls].map(([name, n]) => `${name}×${n}`).join(', ') || 'none';
  // Outside content a tainted context held is named (never shown), wherever it was.
  const named = older.flatMap((m) => m.text.match(/\(outside data [^()\n]{0,220} withheld from this summary\)/g) ?? []);
  const outside = named.length ? ` ${[...new Set(named)].slice(0, 5).join(' ')}.` : '';
  const results = older
    .filter((m) => m.role === 'user')
    .slice(-3)
    .map((m) => m.text.slice(0, 600))
    .join('\n');
  return `(extractive: no model summary) ${older.length} messages; syscalls made: ${made}.${outside} Latest kernel messages before this point:\n${results}`.slice(
    0,
    chars,
  );
}
