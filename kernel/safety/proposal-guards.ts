/**
 * What keeps an undo (kernel/safety/proposals.ts) from touching any write but its own. First,
 * proposed writes and undos of one file are kept apart: an undo checks
 * that the file is as its write left it, then puts it back — a proposed write of the same file
 * landing between the two would be lost, its own proposal bound to nothing. So a proposed write
 * begins only once no undo of its file is under way, and an undo is refused (nothing changed, the
 * person tries again) while a proposed write of its file is under way, from its policy decision
 * until its proposal is opened. Every other write of a proposed file is refused or cannot reach
 * it (an `EXEC_CMD` or MCP server sees it read-only, a symbolic link is followed to its rule).
 * Then, a proposal's journal entry must still be its write's (ownsEntry).
 */
import type { JournalEntry, ProposalRecord } from '../store/api.js';

export class ProposalPaths {
  private readonly writing = new Map<string, number>();
  private readonly undoing = new Map<string, Promise<void>>();

  /** A proposed write of `path` begins, once no undo of it is under way. */
  async write(path: string): Promise<void> {
    for (let undo = this.undoing.get(path); undo; undo = this.undoing.get(path)) await undo;
    this.writing.set(path, (this.writing.get(path) ?? 0) + 1);
  }

  /** `get` run with a write of `path` held; let go at once when it answers undefined or throws. */
  async holding<T>(path: string, get: () => Promise<T | undefined>): Promise<T | undefined> {
    await this.write(path);
    let got: T | undefined;
    try {
      got = await get();
    } finally {
      if (got === undefined) this.wrote(path);
    }
    return got;
  }

  /** That write ended: ran and proposed, refused, failed or not proposable. */
  wrote(path: string): void {
    const left = (this.writing.get(path) ?? 1) - 1;
    if (left > 0) this.writing.set(path, left);
    else this.writing.delete(path);
  }

  /** An undo of `path` begins now: its end to call, or why it cannot begin. */
  undo(path: string): (() => void) | string {
    if (this.writing.has(path)) return `a write of ${path} is under way: undo again once it has ended`;
    if (this.undoing.has(path)) return `another undo of ${path} is under way`;
    let release = (): void => undefined;
    this.undoing.set(path, new Promise<void>((resolve) => (release = resolve)));
    return () => {
      this.undoing.delete(path);
      release();
    };
  }
}

/**
 * Whether `entry` is still the one `record`'s write made: SQLite gives a deleted newest row's id
 * (`aos rollback` took it) to the next row, so a later write of the file may hold it — recorded
 * after the proposal opened, or bound to a newer proposal. A proposal whose entry is gone must
 * never undo that write.
 */
export function ownsEntry(
  record: ProposalRecord,
  entry: Pick<JournalEntry, 'id' | 'pid' | 'ts'>,
  pending: Iterable<ProposalRecord>,
): boolean {
  if (entry.pid !== record.pid || Number(entry.ts) > Date.parse(record.proposed_at)) return false;
  for (const other of pending)
    if (other.id !== record.id && other.journal_id === entry.id && other.proposed_at >= record.proposed_at)
      return false;
  return true;
}
