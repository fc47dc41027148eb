/**
 * The loop's part of a process, as the process table holds it (issue 48.3). The turn's state — the
 * context the model sees, the pending calls, the streaks, the prompt — is the loop's
 * (loop/turn-state.ts is its one writer); proc/ sits below the loop and names none of it. A Proc
 * holds it only so that its row stores it (storeIn) and its end ends it (exit, release), as
 * Linux's task_struct holds a files_struct that fs/ alone opens.
 *
 * Until its first turn a process holds a TurnSeed: the context its spawn began it with — its
 * task's row, or a fork's rows and where they start — which the loop takes then (turn-state.ts
 * turnOf). The rows themselves are in the store already: spawn wrote them, as it writes the PCB.
 */
import type { KernelStore } from '../store/api.js';
import type { ContextStart, Entry } from './proc-types.js';

export interface TurnPart {
  /** Its fields of the process row's runtime column, written into it (proc-runtime.ts runtimeOf). */
  storeIn(runtime: object): void;
  /** The process ended (lifecycle.ts finish): no call of it is pending any more, and their rows go. */
  exit(store: KernelStore, pid: number): void;
  /** The process left the table: what it kept in memory goes. */
  release(): void;
}

export class TurnSeed implements TurnPart {
  constructor(
    private entryList: readonly Entry[],
    private start: ContextStart | null,
  ) {}

  /** The rows its context begins with (a fork's: the rows it refers to, then its own). */
  get entries(): readonly Entry[] {
    return this.entryList;
  }
  /** Where that context starts when a fork's origin had compacted it. */
  get context(): ContextStart | null {
    return this.start;
  }

  storeIn(runtime: { context?: ContextStart }): void {
    if (this.start) runtime.context = this.start;
  }
  /** No turn of it ran: no call is pending, no result row was written. */
  exit(): void {}
  release(): void {
    this.entryList = [];
    this.start = null;
  }
}

/** The seq of the row after these (rows are numbered from 0; a fork's go on from its origin's). */
export function seqAfter(entries: readonly Entry[]): number {
  return entries.reduce((max, e) => Math.max(max, e.seq), -1) + 1;
}
