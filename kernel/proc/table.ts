/**
 * The process table: live processes in memory, recently ended ones in a bounded cache, everything
 * else in the store. Lookups, the rows `ps` shows, and the totals of what has ended.
 */
import { AosError } from '../../sys/errno.js';
import { BoundedMap } from '../../sys/bounded-map.js';
import { param } from '../../sys/param.js';
import { type KernelStore, type ProcessRecord, type ProcessSummary, psRowFromColumns } from '../store/api.js';
import { isEnded, type Pcb } from '../../sys/types.js';
import type { KernelEvent } from '../../protocol/events.js';
import { type ProcRow, toProcRow } from '../../protocol/views.js';
import { pcbFromRecord } from './pcb-record.js';
import type { Proc } from './proc.js';
import { type Ancestor, lineageOf } from './lineage.js';
import { RowJson } from './row-json.js';

/** Totals of processes that have ended and left the table. */
export interface Archived {
  exited: number;
  killed: number;
  promptTokens: number;
  outputTokens: number;
  cost: number;
}

export class ProcTable {
  private readonly live = new Map<number, Proc>();
  /** Recently ended processes, so a parent's WAIT or a CLI's wait never has to go to the store for them. */
  private readonly ended = new BoundedMap<number, Pcb>(param.endedCacheSize);
  readonly exitWaiters = new Map<number, Array<(pcb: Pcb) => void>>();
  readonly archived: Archived = { exited: 0, killed: 0, promptTokens: 0, outputTokens: 0, cost: 0 };
  private readonly rowJson = new RowJson();

  constructor(private readonly store: KernelStore) {}

  get size(): number {
    return this.live.size;
  }

  get(pid: number): Proc | undefined {
    return this.live.get(pid);
  }

  has(pid: number): boolean {
    return this.live.has(pid);
  }

  procs(): IterableIterator<Proc> {
    return this.live.values();
  }

  add(proc: Proc): void {
    this.live.set(proc.pid, proc);
  }

  /** An ended process leaves memory: its PCB to the cache, its figures to the totals. */
  evict(proc: Proc): void {
    const { pcb } = proc;
    this.live.delete(pcb.pid);
    this.ended.set(pcb.pid, pcb);
    const a = this.archived;
    a[pcb.state === 'killed' ? 'killed' : 'exited']++;
    a.promptTokens += pcb.counters.promptTokens;
    a.outputTokens += pcb.counters.outputTokens;
    a.cost += pcb.counters.cost;
    proc.release();
  }

  /** Removed from the store (rm, prune): out of the cache and the totals too. */
  forgetEnded(rows: readonly ProcessSummary[]): void {
    const a = this.archived;
    for (const r of rows) {
      this.ended.delete(r.pid);
      if (r.state !== 'exited' && r.state !== 'killed') continue;
      a[r.state]--;
      a.promptTokens -= r.prompt_tokens;
      a.outputTokens -= r.output_tokens;
      a.cost -= r.cost;
    }
  }

  /** The PCB of a process that has ended (from memory while it is recent, else from the store), or undefined. */
  endedPcb(pid: number): Pcb | undefined {
    const live = this.live.get(pid);
    if (live) return isEnded(live.pcb.state) ? live.pcb : undefined;
    const recent = this.ended.get(pid);
    if (recent) return recent;
    this.store.flush();
    const record = this.store.processes.getNow(pid);
    return record && (record.state === 'exited' || record.state === 'killed') ? pcbFromRecord(record) : undefined;
  }

  /** `pcb()` awaited: an ended process the table no longer holds is read from the store without holding the kernel's thread. */
  async readPcb(pid: number): Promise<Pcb | undefined> {
    const known = this.live.get(pid)?.pcb ?? this.ended.get(pid);
    if (known) return known;
    await this.store.flushed();
    const record = await this.store.processes.get(pid);
    return record && (record.state === 'exited' || record.state === 'killed') ? pcbFromRecord(record) : undefined;
  }

  /** The PCB of any process the store knows, live or ended. */
  pcb(pid: number): Pcb | undefined {
    return this.live.get(pid)?.pcb ?? this.endedPcb(pid);
  }

  /** A process's ancestors, its parent first, its tree's root last (lineage.ts). */
  lineage(proc: Proc): Ancestor[] {
    return lineageOf(proc, (pid) => this.pcb(pid));
  }

  /** Live processes and the recently ended ones still cached, by pid. */
  list(): Pcb[] {
    const pcbs = [...this.live.values()].map((p) => p.pcb);
    for (const pcb of this.ended.values()) if (!this.live.has(pcb.pid)) pcbs.push(pcb);
    return pcbs.sort((a, b) => a.pid - b.pid);
  }

  /**
   * `aos ps`: live processes; with `all` every process the store knows; with `last`, the last N
   * created, whatever their state. Live rows come from memory.
   */
  /** The live processes' rows as JSON bytes, serialising only what changed since the last call (row-json.ts). */
  liveRowsJson(): Buffer {
    const now = Date.now();
    return this.rowJson.array(this.live.values(), (proc) => rowOf(proc, now));
  }

  /** The live processes' rows, from memory. */
  liveRows(): ProcRow[] {
    const now = Date.now();
    return [...this.live.values()].map((proc) => rowOf(proc, now));
  }

  async rows(options: { all?: boolean; last?: number } = {}): Promise<ProcRow[]> {
    if (!options.all && options.last === undefined) return this.liveRows();
    await this.store.flushed();
    const stored = await this.store.processes.psColumns(options.last);
    const now = Date.now();
    const rows = stored.map((columns) => {
      const live = this.live.get(columns.pid);
      return live ? rowOf(live, now) : psRowFromColumns(columns, now);
    });
    // A live process the store has not got (a disk that refuses commits) is still shown.
    const listed = new Set(stored.map((c) => c.pid));
    for (const proc of this.live.values()) if (!listed.has(proc.pid)) rows.push(rowOf(proc, now));
    if (rows.length === stored.length) return rows;
    rows.sort((a, b) => a.pid - b.pid);
    return options.last === undefined ? rows : rows.slice(-options.last);
  }

  /** The rows of a process and (with `tree`) its descendants, ended ones from the store. */
  async tree(pid: number, options: { tree?: boolean } = {}): Promise<ProcRow[]> {
    await this.store.flushed();
    const { processes } = this.store;
    const pids = options.tree ? await processes.subtree(pid) : (await processes.get(pid)) ? [pid] : [];
    if (pids.length === 0) throw new AosError('ESRCH', `no such process ${pid}`);
    const pcbs = await Promise.all(
      pids.map(async (p) => this.live.get(p)?.pcb ?? pcbFromRecord((await processes.get(p)) as ProcessRecord)),
    );
    const now = Date.now();
    return pcbs.map((pcb) => toProcRow(pcb, now));
  }

  /** Past events of a process (and with `tree`, of its descendants), oldest first. */
  async history(pid: number, options: { tail?: number; tree?: boolean } = {}): Promise<KernelEvent[]> {
    const pids = (await this.tree(pid, options)).map((r) => r.pid);
    return this.store.events.of(pids, options.tail);
  }

  /** Depth below the root of its tree (through live ancestors). */
  depthOf(proc: Proc): number {
    let depth = 0;
    for (let p: Proc | undefined = proc; p && p.pcb.ppid; p = this.live.get(p.pcb.ppid)) depth++;
    return depth;
  }

  /** A process and its live descendants. */
  subtree(root: Proc): Proc[] {
    const out: Proc[] = [];
    const stack = [root];
    while (stack.length) {
      const proc = stack.pop() as Proc;
      out.push(proc);
      for (const child of proc.children) {
        const c = this.live.get(child);
        if (c) stack.push(c);
      }
    }
    return out;
  }
}

function rowOf(proc: Proc, now: number): ProcRow {
  const row = toProcRow(proc.pcb, now);
  if (proc.diskWait) row.wait = 'disk full';
  return row;
}
