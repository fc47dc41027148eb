/**
 * A process's taint (issue 49): whether its context holds content from outside the operator, and
 * where that came from. The process table holds one per process (kernel/proc/proc.ts `taint`) and
 * stores it in the process's row (proc-runtime.ts), so a restarted kernel keeps it; this class is
 * its one writer, as ipc's Queues is of a process's queues. The kernel's rules on what a tainted
 * process may do are kernel/safety/taint.ts's; the framing of what it reads is outside-data.ts's.
 *
 * Two facts are kept apart: `tainted` (its context holds outside content now: the `taint:` rules
 * apply) and `first` (when it was first tainted: whatever it wrote from then on — a file, a
 * thread entry, a memory — is read as outside content by others, even after its own taint ended).
 */
import { customAlphabet } from 'nanoid';
import { param } from './param.js';
import { TAG_PREFIX } from './outside-data.js';

export const TAINT_SOURCES = [
  'channel',
  'webhook',
  'net',
  'mcp',
  'thread',
  'mail',
  'file',
  'memory',
  'parent',
] as const;
export type TaintSourceKind = (typeof TAINT_SOURCES)[number];

/** One thing that tainted a process: what kind, where exactly, a few words of it, when. */
export interface TaintSource {
  source: TaintSourceKind;
  /** A URL, `server/tool`, `channel/chat`, a thread key, `process <pid>`, a path. */
  detail: string;
  /** At most param.taintExcerptChars of the content, secrets masked. */
  excerpt: string;
  /** ISO time. */
  at: string;
  turn: number;
}

/** What a process's row keeps of its taint (the runtime column's `taint`). */
export interface StoredTaint {
  tag?: string;
  sources?: TaintSource[];
  count?: number;
  /** ms of the first taint ever. */
  first?: number;
  /** The outside content is in its task: it never leaves the context. */
  sticky?: true;
  /** When its taint last ended, and how many sources it had then. */
  ended?: { at: string; count: number };
}

/** What inspect and approvals show of a process's taint. */
export interface TaintView {
  tainted: boolean;
  count: number;
  sources: TaintSource[];
  sticky: boolean;
  ended: { at: string; count: number } | null;
}

const tagWord = customAlphabet('abcdefghijkmnpqrstuvwxyz23456789', 16);

/** A fresh frame tag, for a process not made yet (TaintState.adopt takes it). */
export const newTag = (): string => `${TAG_PREFIX}${tagWord()}`;

export class TaintState {
  /**
   * Something is kept of it (a tag, a taint): its row stores it. A field, not a getter: every row a
   * commit writes reads it, and an untainted process's turn runs no code of this file.
   */
  held = false;
  private tagWord: string | null = null;
  private list: TaintSource[] = [];
  private total = 0;
  private firstAt: number | null = null;
  private stuck = false;
  private endedAt: { at: string; count: number } | null = null;

  /** Outside content is in its context now: the `taint:` rules apply to each of its effects. */
  get tainted(): boolean {
    return this.total > 0;
  }

  /** ms of its first taint ever, or null: what it wrote from then on is outside content to others. */
  get first(): number | null {
    return this.firstAt;
  }

  get sticky(): boolean {
    return this.stuck;
  }

  get sources(): readonly TaintSource[] {
    return this.list;
  }

  get count(): number {
    return this.total;
  }

  /** Its frames' tag: made at the first frame, kept for its life (stored, so a restart reads its old frames). */
  get tag(): string {
    this.held = true;
    return (this.tagWord ??= newTag());
  }

  /** A tag made before the process was (a unit's run framed its trigger event with it): kept unless it has one. */
  adopt(tag: string): void {
    this.held = true;
    this.tagWord ??= tag;
  }

  /** Whether a frame was ever made for it (a context without one holds no outside content). */
  get framed(): boolean {
    return this.tagWord !== null;
  }

  /** Outside content entered its context (`sticky`: in its task). True when this made it tainted. */
  add(source: TaintSource, sticky = false): boolean {
    const was = this.total > 0;
    this.held = true;
    if (this.list.length < param.taintMaxSources) this.list.push(source);
    this.total++;
    this.firstAt ??= Date.parse(source.at) || Date.now();
    if (sticky) this.stuck = true;
    return !was;
  }

  /** Its context holds no outside content any more (kernel/loop/compaction.ts decides): the rules no longer apply. */
  end(at: string): boolean {
    if (this.total === 0 || this.stuck) return false;
    this.endedAt = { at, count: this.total };
    this.list = [];
    this.total = 0;
    return true;
  }

  view(): TaintView {
    return {
      tainted: this.total > 0,
      count: this.total,
      sources: [...this.list],
      sticky: this.stuck,
      ended: this.endedAt,
    };
  }

  /** Its part of the row; undefined while there is nothing to keep (an untainted process stores nothing). */
  stored(): StoredTaint | undefined {
    if (this.tagWord === null && this.firstAt === null) return undefined;
    const out: StoredTaint = {};
    if (this.tagWord !== null) out.tag = this.tagWord;
    if (this.total > 0) Object.assign(out, { sources: this.list, count: this.total });
    if (this.firstAt !== null) out.first = this.firstAt;
    if (this.stuck) out.sticky = true;
    if (this.endedAt) out.ended = this.endedAt;
    return out;
  }

  static restored(stored: StoredTaint | undefined): TaintState {
    const state = new TaintState();
    if (!stored) return state;
    state.held = true;
    state.tagWord = stored.tag ?? null;
    state.list = stored.sources ?? [];
    state.total = stored.count ?? state.list.length;
    state.firstAt = stored.first ?? null;
    state.stuck = stored.sticky === true;
    state.endedAt = stored.ended ?? null;
    return state;
  }
}

/** A source record: `excerpt` cut to its bound (the caller masks secrets first). */
export function taintSource(
  source: TaintSourceKind,
  detail: string,
  excerpt: string,
  turn: number,
  at = new Date().toISOString(),
): TaintSource {
  const one = excerpt.replace(/\s+/g, ' ').trim();
  const max = param.taintExcerptChars;
  return {
    source,
    detail: detail.slice(0, 300),
    excerpt: one.length <= max ? one : `${one.slice(0, max - 1)}…`,
    at,
    turn,
  };
}
