/** A process's rows in the store: its PCB (coalesced per commit) and its transcript (append-only). */
import type { KernelStore } from '../store/api.js';
import type { Pcb } from '../../sys/types.js';
import type { Entry } from './proc-types.js';
import type { Proc } from './proc.js';

export function persist(store: KernelStore, proc: Proc): void {
  store.processes.save(proc.pid, () => proc.toRecord());
}

export function appendTranscript(store: KernelStore, proc: Proc, role: 'user' | 'model', text: string): number {
  const seq = proc.appendEntry(role, text);
  store.transcripts.put(proc.pid, seq, role, text);
  return seq;
}

/** Rewrite the last transcript entry (notices joining the latest kernel message). */
export function amendTranscript(store: KernelStore, proc: Proc, text: string): void {
  const entry = proc.amendLast(text);
  if (!entry) return;
  store.transcripts.put(proc.pid, entry.seq, entry.role, text);
}

/**
 * A process's stored transcript from `fromSeq` on: a fork's begins with the rows it refers to (each
 * segment's process's rows up to its `through`), then its own.
 */
export async function storedTranscript(store: KernelStore, pcb: Pick<Pcb, 'pid' | 'fork'>, fromSeq = 0): Promise<Entry[]> {
  const referred: Entry[] = [];
  for (const segment of pcb.fork?.segments ?? []) {
    if (segment.through < fromSeq) continue;
    referred.push(...(await store.transcripts.load(segment.pid, fromSeq)).filter((r) => r.seq <= segment.through));
  }
  return [...referred, ...(await store.transcripts.load(pcb.pid, fromSeq))];
}
