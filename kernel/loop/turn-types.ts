/**
 * The shapes of a process's turn state (turn-state.ts, their one writer): the pending calls of a
 * reply, what of them is stored, the crashes counted against a turn, and the loop's part of the
 * process's row.
 */
import type { ParsedBlock } from '../../sys/abi/parser.js';
import type { ContextStart } from '../proc/proc-types.js';

/** The calls of the current reply and how far they got; persisted so a restart can go on. */
export interface PendingTurn {
  readonly turn: number;
  readonly reply: string;
  readonly blocks: readonly ParsedBlock[];
  /** How far the calls got: moved by their process's turn only (callStarted, callAnswered, nextCall). */
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
export interface CrashCount {
  at: string;
  count: number;
}

/** What the process's row holds of its turn (its `runtime` column, beside the PCB's and the queues'). */
export interface TurnRuntime {
  noSyscallStreak: number;
  identicalStreak: number;
  lastSignature: string;
  /** Older stores kept the whole PendingTurn here. */
  pending: StoredPendingTurn | PendingTurn | null;
  /** The last turn whose `prompt` event was emitted: events stay exactly-once across restarts. */
  promptTurn?: number;
  crash?: CrashCount | null;
  context?: ContextStart | null;
  contextWarned?: boolean;
}
