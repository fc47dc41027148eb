/**
 * When the store's disk refuses commits (full, read-only), nothing may go on as if it had been
 * recorded: processes that reach a commit barrier or the run queue are parked (blocked, reason
 * `disk full`) and new work is refused with ENOSPC; when commits succeed again they carry on where
 * they were. Nothing reported as done is rolled back, because nothing is reported before it commits.
 */
import { AosError } from '../../sys/errno.js';
import type { Proc } from './proc.js';
import type { KernelStore } from '../store/api.js';
import { isEnded } from '../../sys/types.js';

export const DISK_FULL = 'disk full';

/** What the guard needs of the kernel. */
export interface DiskGuardHost {
  setState(proc: Proc, to: 'blocked' | 'running', extra: { reason: string }): void;
  /** Put a process back in its run queue. */
  makeReady(proc: Proc): void;
}

export class DiskGuard {
  /** Processes waiting at a commit barrier, and those kept out of the run queue. */
  private readonly barrier = new Set<Proc>();
  private readonly held = new Set<Proc>();

  constructor(
    private readonly store: KernelStore,
    private readonly host: DiskGuardHost,
  ) {}

  get full(): boolean {
    return !this.store.healthy;
  }

  /** Throw ENOSPC for new work while commits fail. */
  refuseNewWork(what: string): void {
    if (!this.full) return;
    const why = this.store.lastError?.message ?? 'the disk refuses writes';
    throw new AosError(
      'ENOSPC',
      `${what} refused: the kernel cannot record anything (${why}); it resumes when space returns`,
    );
  }

  /** Wait until everything this process did so far is committed; parked as `disk full` meanwhile. */
  async commit(proc: Proc): Promise<void> {
    const committed = this.store.committed();
    this.barrier.add(proc);
    if (this.full) this.park(proc);
    try {
      await committed;
    } finally {
      this.barrier.delete(proc);
    }
  }

  /** A ready process while commits fail does not start a turn: true when it was held. */
  hold(proc: Proc): boolean {
    if (!this.full) return false;
    this.held.add(proc);
    this.park(proc);
    return true;
  }

  /** The store reported a change of health. */
  onHealth(healthy: boolean): void {
    if (!healthy) {
      for (const proc of this.barrier) this.park(proc);
      return;
    }
    for (const proc of this.barrier) this.unpark(proc);
    const held = [...this.held];
    this.held.clear();
    for (const proc of held) if (!isEnded(proc.pcb.state) && !proc.killRequested) this.requeue(proc);
  }

  forget(proc: Proc): void {
    this.barrier.delete(proc);
    this.held.delete(proc);
  }

  private park(proc: Proc): void {
    if (isEnded(proc.pcb.state) || proc.pcb.state === 'blocked') return;
    proc.setDiskWait(true);
    this.host.setState(proc, 'blocked', { reason: DISK_FULL });
  }

  /** Back from a disk-full hold: ready again. */
  private requeue(proc: Proc): void {
    proc.setDiskWait(false);
    this.host.makeReady(proc);
  }

  private unpark(proc: Proc): void {
    if (!proc.diskWait) return;
    proc.setDiskWait(false);
    if (!isEnded(proc.pcb.state)) this.host.setState(proc, 'running', { reason: 'disk space is back' });
  }
}
