/**
 * The shapes of a process's context, named below the loop that owns it (loop/turn-state.ts) so that
 * spawn can begin one (turn-part.ts TurnSeed): transcript entries, and where the context starts.
 */
import type { ModelMessage } from '../../drivers/llm/types.js';

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
