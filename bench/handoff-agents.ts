/**
 * The handoff benchmark's workload (bench/handoff.ts): each agent's task and replay tape in the
 * two variants — files (read the earlier notes, then work, then FS_WRITE) and thread (attached,
 * work, THREAD_APPEND) — and the stand-in a summary request is answered with.
 */
import type { ModelRequest } from '../drivers/llm/types.js';
import { resultChars } from '../kernel/context/context-budget.js';
import { param } from '../sys/param.js';
import { endMarker, STEPS, type Step, type StepText, VISITS } from './handoff-notes.js';

export const KEY = 'client:acme';
export const BUDGET = param.contextBudgetTokens;
export type Variant = 'files' | 'files-batched' | 'thread';

export const call = (syscall: string, args: Record<string, unknown>): string =>
  `[SYS_CALL::${syscall}] ${JSON.stringify(args)}`;
export const EXIT = call('SYS_EXIT', { code: 0 });
export const agentName = (visit: number, step: Step): string => `${step}-v${visit}`;
export const notePath = (visit: number, step: Step): string =>
  `/clients/acme/notes/v${visit}-${STEPS.indexOf(step) + 1}-${step}.md`;
export const STEP_LABEL: Record<Step, string> = {
  intake: 'intake',
  research: 'research',
  pricing: 'pricing',
  billing: 'billing',
  followup: 'follow-up',
};
/** A phrase of the lookup's file that the tape expects in the result (no characters JSON escapes). */
const lookupProbe = (text: StepText): string =>
  (text.source.text.split('\n').find((l) => l.length > 24 && !/["\\]/.test(l)) ?? '').slice(0, 40);

/** The earlier notes, oldest first: every step of the earlier visits, then this visit's steps before this one. */
export function earlier(visit: number, step: Step): Array<{ visit: number; step: Step }> {
  const out: Array<{ visit: number; step: Step }> = [];
  for (let v = 1; v <= visit; v++)
    for (const s of STEPS) if (v < visit || STEPS.indexOf(s) < STEPS.indexOf(step)) out.push({ visit: v, step: s });
  return out;
}

export function task(variant: Variant, visit: number, step: Step, text: StepText): string {
  const head = `Client Acme Freight Ltd (${KEY}), visit ${visit}: you are the ${STEP_LABEL[step]} agent of its five-agent handoff (intake, research, pricing, billing, follow-up).`;
  const email = step === 'intake' ? ` The new email is ${text.source.path}.` : '';
  if (variant === 'thread') {
    return `${head}${email} The client's thread ${KEY} is attached to you: the earlier agents' handoff notes are in it. Do your step, then THREAD_APPEND your handoff notes for the next agents to ${KEY} (kind "${text.kind}") and exit.`;
  }
  const before = earlier(visit, step);
  const notes = before.length
    ? ` The earlier agents' handoff notes are in these files, oldest first: ${before.map((b) => notePath(b.visit, b.step)).join(', ')}. Read them before you start.`
    : ' You are the first agent on this client: there are no earlier notes.';
  return `${head}${email}${notes} Do your step, then write your handoff notes for the next agents to ${notePath(visit, step)} and exit.`;
}

/** FS_READ's result for a file of `content` as JSON, about: the path, the content escaped, the other fields. */
const readResultChars = (file: string, content: string): number => JSON.stringify(content).length + file.length + 160;

/** The reads in replies, each reply as many as the kernel shows whole (each result gets 1/n of the message share). */
export function readBatches(
  reads: Array<{ path: string; content: string }>,
  extra: Array<{ path: string; content: string }>,
): Array<Array<{ path: string; content: string }>> {
  const all = [...reads, ...extra];
  const batches: Array<Array<{ path: string; content: string }>> = [];
  let batch: Array<{ path: string; content: string }> = [];
  for (const read of all) {
    const next = [...batch, read];
    const room = resultChars(BUDGET, next.length);
    if (batch.length > 0 && next.some((r) => readResultChars(r.path, r.content) > room)) {
      batches.push(batch);
      batch = [read];
    } else batch = next;
  }
  if (batch.length) batches.push(batch);
  return batches;
}

export type TapeEntry = { reply: string; expect?: string[] };

export function filesAgent(visit: number, step: Step, text: StepText, batchLookup: boolean): TapeEntry[] {
  const notes = earlier(visit, step).map((b) => ({
    path: notePath(b.visit, b.step),
    content: (VISITS[b.visit - 1] as Record<Step, StepText>)[b.step].notes,
    marker: endMarker(b.step, b.visit),
  }));
  const lookup = { path: text.source.path, content: text.source.text };
  // Intake's email is named in its task: it is read with the notes. Other lookups follow from the notes, unless --batch-lookup.
  const withReads = step === 'intake' || batchLookup;
  const batches = notes.length || withReads ? readBatches(notes, withReads ? [lookup] : []) : [];
  const entries: TapeEntry[] = [];
  let expect: string[] = [];
  batches.forEach((batch, i) => {
    const onlyLookup = batch.length === 1 && batch[0]?.path === lookup.path && notes.length === 0;
    const say = onlyLookup
      ? text.lookup
      : i === 0
        ? 'Reading the earlier handoff notes first.'
        : 'Reading the rest of the earlier notes.';
    entries.push({
      reply: `${say}\n${batch.map((r) => call('FS_READ', { path: r.path })).join('\n')}`,
      ...(expect.length ? { expect } : {}),
    });
    expect = batch.map((r) =>
      r.path === lookup.path ? lookupProbe(text) : (notes.find((n) => n.path === r.path)?.marker ?? ''),
    );
  });
  if (!withReads) {
    entries.push({
      reply: `${text.lookup}\n${call('FS_READ', { path: lookup.path })}`,
      ...(expect.length ? { expect } : {}),
    });
    expect = [lookupProbe(text)];
  }
  entries.push({
    reply: `Writing my handoff notes for the next agents.\n${call('FS_WRITE', { path: notePath(visit, step), content: text.notes })}\n${EXIT}`,
    expect,
  });
  return entries;
}

export function threadAgent(visit: number, step: Step, text: StepText): TapeEntry[] {
  const previous = earlier(visit, step).at(-1);
  return [
    {
      reply: `${text.lookup}\n${call('FS_READ', { path: text.source.path })}`,
      ...(previous ? { expect: [endMarker(previous.step, previous.visit)] } : {}),
    },
    {
      reply: `Appending my handoff notes to the client's thread.\n${call('THREAD_APPEND', { key: KEY, text: text.notes, kind: text.kind })}\n${EXIT}`,
      expect: [lookupProbe(text)],
    },
  ];
}

/** From the attached block's header: earlier entries shown neither in the summary nor verbatim (it names them). */
export function entriesNotShown(system: string): number {
  const head = new RegExp(`\\[THREAD ${KEY}\\] \\d+ entries; [^\\n]*`).exec(system)?.[0] ?? '';
  return Number(/(\d+) entries between not shown/.exec(head)?.[1] ?? 0);
}

/** The stand-in for a model's summary: the start of each line it folds, together as long as the kernel allows. */
export function standInSummary(request: ModelRequest): string {
  const max = Number(/at most (\d+) characters/.exec(request.system)?.[1] ?? '3000');
  const asked = request.messages.map((m) => m.text).join('\n');
  const lines: string[] = [];
  const so = /The summary so far \(of entries [^)]*\):\n(.*)\n/.exec(asked);
  if (so?.[1]) {
    const previous = JSON.parse(so[1]) as string;
    if (previous) lines.push(...previous.split('\n'));
  }
  for (const line of asked.split('\n')) {
    if (!line.startsWith('{"')) continue;
    const entry = JSON.parse(line) as { seq: number; kind: string; pid: number; text: string };
    lines.push(`#${entry.seq} ${entry.kind} by pid ${entry.pid}: ${entry.text.replace(/\s+/g, ' ')}`);
  }
  if (lines.length === 0) lines.push(asked.replace(/\s+/g, ' '));
  const each = Math.max(40, Math.floor(max / lines.length) - 1);
  return lines
    .map((l) => l.slice(0, each))
    .join('\n')
    .slice(0, max);
}
