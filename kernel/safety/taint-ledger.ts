/**
 * What the kernel knows of who wrote what while tainted (issue 49), for readers of it: which files'
 * newest change came from a tainted process (the rollback journal records the writer's taint with
 * each change: journal-hook.ts), and since when each process counts as a tainted writer (its
 * `first` taint, stored in its row) — a thread entry, a memory or a message it wrote from then on is
 * outside content to whoever reads it. Loaded from the journal at the first question, then kept up
 * to date by the journal hook; writers that ended are read from their stored rows once, and kept.
 */
import { param } from '../../sys/param.js';
import { type StoredTaint, TaintState, type TaintSource, type TaintView } from '../../sys/taint.js';
import type { KernelStore } from '../store/api.js';
import type { Proc } from '../proc/proc.js';

/** What the journal keeps of a writer's taint: who, and the first of its sources. */
export interface FileTaint {
  pid: number;
  sources: Array<Pick<TaintSource, 'source' | 'detail' | 'excerpt'>>;
}

export interface LedgerHost {
  readonly store: Pick<KernelStore, 'journal' | 'processes' | 'flush' | 'flushed'>;
  readonly table: { get(pid: number): Proc | undefined };
}

export class TaintLedger {
  private files: Map<string, FileTaint> | null = null;
  private readonly ended = new Map<number, number | null>();

  constructor(private readonly host: LedgerHost) {}

  /** The journal's `taint` of a change `proc` makes now: null unless it has been tainted (a writer stays one: docs/policy.md). */
  static markOf(proc: Proc): string | null {
    if (proc.taint.first === null) return null;
    const sources = proc.taint.sources.slice(0, 3).map(({ source, detail, excerpt }) => ({ source, detail, excerpt }));
    return JSON.stringify({ pid: proc.pid, sources } satisfies FileTaint);
  }

  private loaded(): Map<string, FileTaint> {
    if (this.files) return this.files;
    this.files = new Map();
    for (const row of this.host.store.journal.taintedPaths()) {
      try {
        this.files.set(row.path, JSON.parse(row.taint) as FileTaint);
      } catch {
        this.files.set(row.path, { pid: 0, sources: [] });
      }
    }
    return this.files;
  }

  /** A change to `path` was journaled, with its writer's mark (null: the file is clean now). */
  wrote(path: string, mark: string | null): void {
    if (this.files === null && mark === null) return;
    const files = this.loaded();
    if (mark === null) files.delete(path);
    else files.set(path, JSON.parse(mark) as FileTaint);
  }

  /** Who tainted `path`'s newest content, or undefined when it is clean. */
  fileTaint(path: string): FileTaint | undefined {
    return this.loaded().get(path);
  }

  /** The tainted files now (for EXEC_CMD's conservative rule). */
  taintedFiles(): IterableIterator<[string, FileTaint]> {
    return this.loaded().entries();
  }

  /** `pid`'s taint as inspect shows it: live from the table, ended from its stored row. */
  async viewOf(pid: number): Promise<TaintView> {
    const live = this.host.table.get(pid);
    if (live) return live.taint.view();
    await this.host.store.flushed();
    const record = await this.host.store.processes.get(pid);
    let stored: StoredTaint | undefined;
    try {
      stored = record ? (JSON.parse(record.runtime) as { taint?: StoredTaint }).taint : undefined;
    } catch {
      stored = undefined;
    }
    return TaintState.restored(stored).view();
  }

  /** ms since which `pid` counts as a tainted writer, or null when it never was. */
  writerSince(pid: number): number | null {
    if (pid <= 0) return null;
    const live = this.host.table.get(pid);
    if (live) return live.taint.first;
    if (this.ended.has(pid)) return this.ended.get(pid) ?? null;
    // Its last row may wait in the commit batch: read what it ended with.
    this.host.store.flush();
    const record = this.host.store.processes.getNow(pid);
    let first: number | null = null;
    try {
      first = record ? ((JSON.parse(record.runtime) as { taint?: StoredTaint }).taint?.first ?? null) : null;
    } catch {
      first = null;
    }
    if (this.ended.size >= param.taintWriterCache) this.ended.clear();
    this.ended.set(pid, first);
    return first;
  }

  /** Whether what `pid` wrote at `at` (ms or ISO) is outside content: it had been tainted by then. */
  writtenTainted(pid: number, at: number | string | undefined): boolean {
    const since = this.writerSince(pid);
    if (since === null) return false;
    const t = typeof at === 'string' ? Date.parse(at) : at;
    // A time that cannot be read is taken as after: the safe side.
    return t === undefined || Number.isNaN(t) || t >= since;
  }
}
