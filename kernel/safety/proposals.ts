/**
 * Proposals (issue 52.2): a call a `propose` rule meets runs at once, and a person may undo it
 * until its window has passed; then it is final. Only what aos can put back is proposed: an
 * FS_WRITE whose file the rollback journal can keep (journal-hook.ts) — the gate asks instead for
 * anything else (policy-gate.ts). An undo restores that one write's `before` from the journal,
 * and is refused, changing nothing, when the file was changed since (a later write, journaled or
 * not): undo the later proposal first, newest first. The window is the row's expires_at, so a
 * restarted kernel finalizes what passed while it was down; a timer finalizes the rest on time,
 * and every read checks the clock itself.
 */
import { createHash, randomBytes } from 'node:crypto';
import { toVirtualPathFrom } from '../../drivers/fs/virtual-path.js';
import type { JournalFiles } from '../../sys/driver-api.js';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import type { AuditLog, JournalLog, ProposalRecord, ProposalRows } from '../store/api.js';
import type { ProcCore } from '../proc/api.js';
import { tellUndone } from './proposal-notice.js';
import type { Proc } from '../proc/proc.js';
import { ownsEntry, ProposalPaths } from './proposal-guards.js';

export interface ProposalsHost {
  readonly journal: JournalLog;
  readonly fs: JournalFiles;
  readonly audit: AuditLog;
  readonly procs: Pick<ProcCore, 'events' | 'closing' | 'store' | 'table'>;
}

/** What `aos proposals` lists (the protocol's shape). */
export type ProposalView = Omit<ProposalRecord, 'args' | 'journal_id'> & { args: unknown };

/** A write about to run under a `propose` rule: its file, and the journal's newest entry for it before the write. */
export interface Proposed {
  path: string;
  since: number;
}

/** What an undo did. */
export interface Undone {
  id: string;
  pid: number;
  path: string;
  action: 'restored' | 'removed';
}

const KEEP_FAILS = `a FIFO or device, a symbolic link on its way, a hard link, or over ${param.journalSnapshotMaxBytes} bytes`;

export class Proposals {
  private readonly pending = new Map<string, ProposalRecord>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Undos under way: their window may pass while the file is restored; the undo, begun inside it, wins. */
  private readonly undoing = new Set<string>();
  /** Proposed writes and undos of one file kept apart: a write proposable() held ends with paths.wrote(). */
  readonly paths = new ProposalPaths();

  constructor(
    private readonly host: ProposalsHost,
    private readonly table: ProposalRows,
  ) {
    for (const record of table.loadPending()) {
      this.pending.set(record.id, record);
      this.schedule(record);
    }
  }

  /** Whether the call can be proposed: its file and where the journal stands, or why it cannot be undone. */
  async proposable(proc: Proc, name: string, args: Record<string, unknown>): Promise<Proposed | string> {
    if (name !== 'FS_WRITE') return `only FS_WRITE can be undone, not ${name}`;
    let path: string;
    try {
      path = toVirtualPathFrom(proc.pcb.cwd, String(args.path), param.fsMaxPathLength);
    } catch {
      return 'its path cannot be journaled';
    }
    // Held until the write ends (propose-step.ts lets go): an undo of this file meanwhile is refused.
    const since = await this.paths.holding(path, async () =>
      (await this.host.fs.contentOf(path, param.journalSnapshotMaxBytes)) === undefined
        ? undefined
        : ((await this.host.journal.awaited.history(path)).at(-1)?.id ?? 0),
    );
    return since === undefined ? `${path} cannot be kept for an undo (${KEEP_FAILS})` : { path, since };
  }

  /** After the write ran: its proposal, bound to the journal entry it made, or why it cannot be undone after all. */
  async open(
    proc: Proc,
    call: { name: string; args: Record<string, unknown>; rule: string },
    at: Proposed,
    windowS: number,
  ): Promise<ProposalRecord | string> {
    const entry = (await this.host.journal.awaited.history(at.path)).find(
      (e) => e.id > at.since && e.pid === proc.pid && e.call === call.name,
    );
    if (!entry) return `the journal did not record the write of ${at.path}`;
    // 32 random bits: unique among the rows, so an undo by id never meets two proposals.
    let id = randomBytes(4).toString('hex');
    while (this.pending.has(id) || (await this.table.get(id))) id = randomBytes(4).toString('hex');
    const now = Date.now();
    const record: ProposalRecord = {
      id,
      pid: proc.pid,
      name: proc.pcb.name,
      call: call.name,
      args: JSON.stringify(call.args),
      rule: call.rule,
      subject: at.path,
      journal_id: entry.id,
      proposed_at: new Date(now).toISOString(),
      expires_at: new Date(now + windowS * 1000).toISOString(),
      state: 'pending',
      decided_by: null,
      via: null,
      reason: null,
      decided_at: null,
    };
    this.pending.set(record.id, record);
    this.table.add(record);
    this.host.audit.record({
      pid: proc.pid,
      call: call.name,
      subject: at.path,
      decision: 'propose',
      rule: call.rule,
      decided_by: 'policy',
      reason: `proposal ${record.id}: undoable until ${record.expires_at}`,
      approval: record.id,
    });
    this.emit(record);
    this.schedule(record);
    return record;
  }

  /** Pending proposals, oldest first, then the newest settled ones; those whose window passed are made final on the way. */
  async list(limit: number): Promise<ProposalView[]> {
    this.finalizeDue();
    const pending = [...this.pending.values()];
    const settled = (await this.table.recent(limit)).filter((r) => r.state !== 'pending' && !this.pending.has(r.id));
    return [...pending, ...settled].slice(0, limit).map(view);
  }

  /** Undo proposal `id` inside its window: its write's file put back as it was before, or refused with nothing changed. */
  async undo(id: string, via: string): Promise<Undone> {
    this.finalizeDue();
    const record = this.pending.get(id);
    if (!record) {
      const row = await this.table.get(id);
      if (!row) throw new AosError('ENOENT', `no proposal ${id} (see aos proposals)`);
      if (row.state === 'final')
        throw new AosError('EPERM', `proposal ${id} is final since ${row.expires_at}: its undo window has passed`);
      throw new AosError('EINVAL', `proposal ${id} was already undone at ${row.decided_at ?? '?'}`);
    }
    if (this.undoing.has(id)) throw new AosError('EBUSY', `proposal ${id} is being undone already`);
    const release = this.paths.undo(record.subject);
    if (typeof release === 'string')
      throw new AosError('EBUSY', `proposal ${id} not undone, nothing changed: ${release}`);
    this.undoing.add(id);
    try {
      const path = record.subject;
      const history = await this.host.journal.awaited.history(path);
      const found = history.find((e) => e.id === record.journal_id);
      const entry = found && ownsEntry(record, found, this.pending.values()) ? found : undefined;
      if (!entry)
        throw new AosError(
          'EBUSY',
          `proposal ${id} cannot be undone: its journal entry is gone (rolled back or pruned)`,
        );
      const later = history.find((e) => e.id > entry.id);
      if (later) {
        const other = [...this.pending.values()].find((p) => p.journal_id === later.id);
        throw new AosError(
          'EBUSY',
          `proposal ${id} not undone, nothing was changed: ${path} was changed since by process ${later.pid} (${later.call}, turn ${later.turn})${other ? `; undo proposal ${other.id} first` : ''}`,
        );
      }
      const now = await this.host.fs.contentOf(path, param.journalSnapshotMaxBytes);
      if (now === undefined)
        throw new AosError('EBUSY', `proposal ${id} not undone: ${path} cannot be reached safely now (${KEEP_FAILS})`);
      if ((now === null ? null : sha256(now)) !== entry.after_hash)
        throw new AosError(
          'EBUSY',
          `proposal ${id} not undone, nothing was changed: ${path} was changed since outside the journal`,
        );
      const action = await this.host.fs.restore(path, entry.before);
      this.host.journal.remove([entry.id]);
      this.settle(record, 'undone', 'person', via, `${path} ${action}`);
      tellUndone(this.host.procs, record, action);
      return { id, pid: record.pid, path, action };
    } finally {
      this.undoing.delete(id);
      release();
    }
  }

  /** The kernel stops: no timer outlives it (a restarted kernel finalizes from the rows). */
  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(record: ProposalRecord, retryMs?: number): void {
    const due = retryMs ?? Date.parse(record.expires_at) - Date.now();
    if (due <= 0) {
      this.finalize(record);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(record.id);
      if (this.host.procs.closing) return;
      if (this.undoing.has(record.id)) return this.schedule(record, 50);
      try {
        this.finalize(record);
      } catch {
        // The store closed under a stopping kernel: the row stays pending, and the next start finalizes it.
      }
    }, due);
    timer.unref();
    this.timers.set(record.id, timer);
  }

  private finalizeDue(): void {
    const now = Date.now();
    for (const record of [...this.pending.values()])
      if (Date.parse(record.expires_at) <= now && !this.undoing.has(record.id)) this.finalize(record);
  }

  private finalize(record: ProposalRecord): void {
    if (!this.pending.has(record.id)) return;
    clearTimeout(this.timers.get(record.id));
    this.timers.delete(record.id);
    this.settle(record, 'final', 'timeout', null, 'its undo window passed');
  }

  private settle(
    record: ProposalRecord,
    state: 'undone' | 'final',
    by: 'person' | 'timeout',
    via: string | null,
    reason: string,
  ): void {
    this.pending.delete(record.id);
    Object.assign(record, { state, decided_by: by, via, reason, decided_at: new Date().toISOString() });
    this.table.settle(record);
    this.host.audit.record({
      pid: record.pid,
      call: record.call,
      subject: record.subject,
      decision: state,
      rule: record.rule,
      decided_by: by,
      via,
      reason,
      approval: record.id,
    });
    this.emit(record);
  }

  private emit(record: ProposalRecord): void {
    this.host.procs.events.emit({
      type: 'proposal',
      pid: record.pid,
      id: record.id,
      call: record.call,
      rule: record.rule,
      subject: record.subject,
      state: record.state,
      expires_at: record.expires_at,
      ...(record.decided_by === 'person' || record.decided_by === 'timeout' ? { decided_by: record.decided_by } : {}),
      ...(record.via ? { via: record.via } : {}),
    });
  }
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function view(record: ProposalRecord): ProposalView {
  const { args, journal_id: _journal, ...rest } = record;
  return { ...rest, args: JSON.parse(args) as unknown };
}
