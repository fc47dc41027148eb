/**
 * Bounded context (MemGPT's lesson): when a process's context nears its budget the model is
 * warned; when it gets closer, the older turns are replaced by a summary made by the model and
 * the recent turns stay verbatim. The store keeps the whole transcript; prompt size per turn
 * stops growing with the number of turns.
 */
import type { ModelDriver, ModelMessage } from '../drivers/llm/types.js';
import { taskMessage } from './context.js';
import type { Kernel } from './kernel.js';
import type { Lease } from './model-pool.js';
import { param } from './param.js';
import type { Entry, Proc } from './proc.js';

const SUMMARIZER = `You compress an agent's working history. Write a faithful summary of the conversation so far
for the agent itself to continue from: the task, what was done (syscalls and their important
results: file paths, pids, ids, numbers, errors), what was learned, and what remains to do.
Plain text, no syscalls, at most ${param.compactSummaryChars} characters.`;

/**
 * Tokens the context would take, estimated at 4 characters per token. Used only to decide when
 * to compact — never for accounting, which uses the provider's figures.
 */
export function estimateTokens(system: string, transcript: readonly ModelMessage[]): number {
  let chars = system.length;
  for (const m of transcript) chars += m.text.length;
  return Math.ceil(chars / 4);
}

/** Warn, or compact, before the next inference. Returns true when it compacted. */
export async function manageContext(kernel: Kernel, proc: Proc, system: string, driver: ModelDriver, lease: Lease): Promise<boolean> {
  const budget = proc.pcb.limits.contextTokens;
  const used = estimateTokens(system, proc.transcript);
  if (used >= budget * param.contextCompactAt) return compact(kernel, proc, driver, lease, used, budget);
  if (used >= budget * param.contextWarnAt && !proc.contextWarned) {
    proc.contextWarned = true;
    const last = proc.transcript[proc.transcript.length - 1];
    const warning = `[KERNEL] Your context is at ${Math.round((used / budget) * 100)}% of its budget (about ${used} of ${budget} tokens). Soon the older turns will be replaced by a summary: keep what you must not lose in files.`;
    if (last?.role === 'user') kernel.amendTranscript(proc, `${last.text}\n${warning}`);
    kernel.persist(proc);
  }
  return false;
}

/** The tail kept verbatim: about the last few messages, starting with a model reply. */
function splitPoint(transcript: readonly Entry[]): number {
  let cut = Math.max(1, transcript.length - param.compactKeepMessages);
  while (cut < transcript.length && transcript[cut]?.role !== 'model') cut++;
  return cut;
}

async function compact(kernel: Kernel, proc: Proc, driver: ModelDriver, lease: Lease, used: number, budget: number): Promise<boolean> {
  const transcript = proc.transcript;
  const cut = splitPoint(transcript);
  if (cut >= transcript.length - 1) return false;
  const older = transcript.slice(0, cut);
  const kept = transcript.slice(cut);
  const summary = await summarize(kernel, proc, driver, lease, older);
  const count = (proc.context?.count ?? 0) + 1;
  const text = `${taskMessage(proc.pcb)}
[KERNEL] Your context was compacted (${count}×, at about ${used} of ${budget} tokens): the ${older.length} earlier messages are replaced by this summary. The full transcript is kept by the kernel.
[SUMMARY] ${summary}`;
  kernel.appendTranscript(proc, 'user', text);
  const summaryEntry = proc.transcript.pop() as Entry;
  proc.transcript = [summaryEntry, ...kept];
  proc.context = { summarySeq: summaryEntry.seq, keptSeqs: kept.map((e) => e.seq), count };
  proc.contextWarned = false;
  kernel.persist(proc);
  kernel.events.emit({
    type: 'state',
    pid: proc.pid,
    from: proc.pcb.state,
    to: proc.pcb.state,
    reason: `context compacted: ${older.length} messages (about ${used} tokens) summarised, ${kept.length} kept`,
  });
  return true;
}

async function summarize(kernel: Kernel, proc: Proc, driver: ModelDriver, lease: Lease, older: readonly Entry[]): Promise<string> {
  // A replay tape scripts only the agent's replies: summarise it here, without a model.
  if (driver.id.startsWith('replay:')) return extractiveSummary(older);
  const messages: ModelMessage[] = older.map(({ role, text }) => ({ role, text }));
  const last = messages[messages.length - 1];
  if (last?.role === 'user') last.text = `${last.text}\n\n[KERNEL] Summarise everything above now, as instructed.`;
  const { pcb } = proc;
  const reply = await kernel.pool.complete(
    driver,
    { system: SUMMARIZER, messages, proc: { pid: pcb.pid, name: pcb.name, turn: pcb.counters.turns }, signal: proc.abort.signal },
    lease,
  );
  kernel.account(proc, reply.usage);
  return reply.text.slice(0, param.compactSummaryChars);
}

/** Without a model: the calls made and the latest results, cut to size. */
export function extractiveSummary(older: readonly ModelMessage[]): string {
  const calls = new Map<string, number>();
  for (const m of older) {
    if (m.role !== 'model') continue;
    for (const match of m.text.matchAll(/\[SYS_CALL::([A-Za-z_]+)\]/g)) {
      const name = (match[1] ?? '').toUpperCase();
      calls.set(name, (calls.get(name) ?? 0) + 1);
    }
  }
  const made = [...calls].map(([name, n]) => `${name}×${n}`).join(', ') || 'none';
  const results = older
    .filter((m) => m.role === 'user')
    .slice(-3)
    .map((m) => m.text.slice(0, 600))
    .join('\n');
  return `(extractive: no model summary) ${older.length} messages; syscalls made: ${made}. Latest kernel messages before this point:\n${results}`.slice(
    0,
    param.compactSummaryChars,
  );
}
