/** The shapes a process's runtime is made of: timers, the pending turn, transcript entries, where its context starts. */
import type { ModelMessage } from '../../drivers/llm/types.js';
import type { InboxMessage } from '../../syscalls/services.js';
import type { ParsedBlock } from '../../sys/abi/parser.js';

export interface Timer {
  id: string;
  handle: NodeJS.Timeout | null;
  fireAt: number;
  intervalMs: number | null;
  prompt: string;
}

/** The calls of the current reply and how far they got; persisted so a restart can go on. */
export interface PendingTurn {
  readonly turn: number;
  readonly reply: string;
  readonly blocks: readonly ParsedBlock[];
  /** How far the calls got: moved by their process only (proc.ts callStarted, callAnswered, nextCall). */
  readonly lines: readonly string[];
  readonly next: number;
  /** The call at `next` was started and has no result yet. */
  readonly started: boolean;
  /** The transcript row holding the reply: a restart parses it again instead of storing the blocks. */
  readonly replySeq: number;
}

/**
 * What is stored of a pending turn: a few numbers, so persisting after each call costs O(1); the
 * reply is a transcript row and each call's result line a row of its own (turn_results).
 */
export type StoredPendingTurn = Pick<PendingTurn, 'turn' | 'next' | 'started' | 'replySeq'>;

/** Kernel crashes counted against the turn a process was in (see recovery.ts). */
export interface CrashCount { at: string; count: number }

export type StoredMessage = InboxMessage & { id: number };

/** A transcript entry and its row in the store (rows are append-only; compaction starts a new context). */
export type Entry = ModelMessage & { seq: number };

/** Where the model's context starts in the stored transcript after a compaction. */
export interface ContextStart {
  /** The row holding the task plus the summary of everything compacted. */
  summarySeq: number;
  /** Rows kept verbatim right after it (older than it); every row after `summarySeq` follows. */
  keptSeqs: number[];
  /** Compactions so far. */
  count: number;
}
