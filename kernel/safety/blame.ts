/**
 * `aos blame <path> [--at TIME]` (issue 52.4): who wrote a workspace file, line by line, from the
 * journal the kernel already keeps. Each journaled write of the path holds the file's content
 * before it; the content after a write is the next write's `before` (or the file as it is now, for
 * the last), checked against the hash the write recorded — a mismatch means someone outside aos
 * changed it in between, and says so. Lines are carried from version to version with a line diff
 * (jsdiff): a line a write added is that write's; the lines before the journal's first entry (or
 * after an outside change) are nobody's the journal knows. A rollback removes the rolled-back
 * writes from the journal, so blame after it names the writes the file came back to; a fork's
 * writes are its own process's.
 */
import { diffArrays } from 'diff';
import { sha256 } from '../../drivers/fs/tree-snapshot.js';
import type { JournalFiles } from '../../sys/driver-api.js';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import type { AuditQuery, AuditRow, JournalEntry } from '../store/api.js';

/** What blame reads; the daemon gives it the awaited reads (the store's `awaited`), so PostgreSQL never holds the kernel's thread. */
export interface BlameHost {
  readonly journal: { history(path: string): JournalEntry[] | Promise<JournalEntry[]> };
  readonly fs: Pick<JournalFiles, 'contentOf'>;
  readonly audit: { list(query: AuditQuery): AuditRow[] | Promise<AuditRow[]> };
}

/** The policy decision a write ran under: the rule, or the person who approved it. */
export interface BlameDecision {
  audit_id: number;
  decision: string;
  rule: string | null;
  decided_by: string;
  via: string | null;
  approval: string | null;
}

export interface BlameWrite {
  id: number;
  pid: number;
  turn: number;
  ts: string;
  call: string;
  decision: BlameDecision | null;
  /** The writer's taint when it wrote (issue 49), as the journal kept it. */
  taint: unknown;
  /** Lines of the shown state this write put there. */
  lines: number;
  /** What followed this write is not what it left: changed outside aos before the next write (or now). */
  changed_after: boolean;
}

export interface BlameView {
  path: string;
  at: string | null;
  exists: boolean;
  /** Lines with the journal id of the write that put each there (null: before the journal, or outside aos); null when the file is binary or too large. */
  lines: Array<{ n: number; write: number | null; text: string }> | null;
  writes: BlameWrite[];
}

const linesOf = (content: Buffer | null): string[] => {
  if (content === null || content.length === 0) return [];
  const text = content.toString('utf8');
  return (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
};
const textual = (content: Buffer | null): boolean =>
  content === null || (content.length <= param.blameMaxBytes && !content.includes(0));

/** The audit row of the decision a journaled write ran under: that process's, for that call and path, last before it. */
function decisionOf(rows: readonly AuditRow[], e: JournalEntry): BlameDecision | null {
  let found: AuditRow | null = null;
  for (const r of rows) {
    if (Date.parse(r.ts) > e.ts) break;
    if (r.call !== e.call || !['allow', 'approved'].includes(r.decision)) continue;
    if (e.call === 'FS_WRITE' && r.subject !== e.path) continue;
    found = r;
  }
  return found
    ? {
        audit_id: found.id,
        decision: found.decision,
        rule: found.rule,
        decided_by: found.decided_by,
        via: found.via,
        approval: found.approval,
      }
    : null;
}

function parseTaint(text: string | null | undefined): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export async function blame(host: BlameHost, path: string, at: number | null): Promise<BlameView> {
  const all = await host.journal.history(path);
  const cut = at === null ? all : all.filter((e) => e.ts <= at);
  const later = at === null ? undefined : all.find((e) => e.ts > at);
  let end: Buffer | null;
  if (later) end = later.before;
  else {
    const now = await host.fs.contentOf(path, param.journalSnapshotMaxBytes);
    if (now === undefined)
      throw new AosError(
        'EACCES',
        `${path} cannot be read safely (a link on its way, a hard link, or over ${param.journalSnapshotMaxBytes} bytes)`,
      );
    end = now;
  }
  if (cut.length === 0 && end === null && all.length === 0)
    throw new AosError('ENOENT', `${path}: no such file, and no process of this kernel ever wrote it`);
  const first = cut[0];
  const states = [
    first ? first.before : end,
    ...cut.map((_, i) => (i + 1 < cut.length ? (cut[i + 1]?.before ?? null) : end)),
  ];
  const text = states.every(textual);
  let lineByLine = text;
  // The decisions each writer ran under, read before the diffs' time budget starts.
  const decisions = new Map<number, AuditRow[]>();
  for (const pid of new Set(cut.map((e) => e.pid)))
    decisions.set(pid, await host.audit.list({ pid, limit: param.auditMaxRows }));
  const deadline = Date.now() + param.blameTotalMs;
  let owners: Array<number | null> = linesOf(states[0] ?? null).map(() => null);
  let previous = linesOf(states[0] ?? null);
  const writes: BlameWrite[] = [];
  for (const [i, e] of cut.entries()) {
    const after = states[i + 1] ?? null;
    writes.push({
      id: e.id,
      pid: e.pid,
      turn: e.turn,
      ts: new Date(e.ts).toISOString(),
      call: e.call,
      decision: decisionOf(decisions.get(e.pid) ?? [], e),
      taint: parseTaint(e.taint),
      lines: 0,
      changed_after: (after === null ? null : sha256(after)) !== e.after_hash,
    });
    if (!lineByLine) continue;
    const next = linesOf(after);
    // Bounded: a diff that would cost more (two long, wholly different versions) gives the new
    // version to this write; past the whole budget blame is write by write. The kernel's thread
    // is never held for long by a file an agent wrote to be expensive.
    const parts =
      Date.now() > deadline
        ? undefined
        : diffArrays(previous, next, { maxEditLength: param.blameMaxEditLines, timeout: param.blameDiffMs });
    if (Date.now() > deadline) lineByLine = false;
    const carried: Array<number | null> = [];
    let k = 0;
    for (const part of parts ?? [{ added: true, removed: false, value: next, count: next.length }]) {
      if (part.removed) k += part.count ?? part.value.length;
      else if (part.added) for (let j = 0; j < part.value.length; j++) carried.push(e.id);
      else for (let j = 0; j < part.value.length; j++) carried.push(owners[k++] ?? null);
    }
    owners = carried;
    previous = next;
  }
  const shown = linesOf(end);
  for (const w of writes) w.lines = lineByLine ? owners.filter((o) => o === w.id).length : 0;
  return {
    path,
    at: at === null ? null : new Date(at).toISOString(),
    exists: end !== null,
    lines: lineByLine ? shown.map((t, n) => ({ n: n + 1, write: owners[n] ?? null, text: t })) : null,
    writes,
  };
}
