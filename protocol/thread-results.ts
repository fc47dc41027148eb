/** Result shapes of the threads' methods (thread-protocol.ts), zod-free like protocol-results.ts; spread into RESULTS. */
import * as s from './shape-check.js';

const KINDS = ['note', 'message', 'decision', 'result'] as const;

/** A thread as `aos thread ls` lists it (times ISO). */
export const threadInfo = s.object({
  key: s.string,
  entries: s.nonNegativeInt,
  first_seq: s.nonNegativeInt,
  last_seq: s.nonNegativeInt,
  created_at: s.string,
  created_by: s.nonNegativeInt,
  last_at: s.nullable(s.string),
  summary_through: s.nonNegativeInt,
  summary_at: s.nullable(s.string),
  summary_chars: s.nonNegativeInt,
});

export const threadEntry = s.object({
  seq: s.positiveInt,
  ts: s.string,
  pid: s.nonNegativeInt,
  unit: s.nullable(s.string),
  kind: s.oneOf(KINDS),
  text: s.string,
});

const link = s.object({ pid: s.positiveInt, how: s.oneOf(['attached', 'opened', 'wrote'] as const) });

export const THREAD_RESULTS = {
  thread_ls: s.object({ threads: s.array(threadInfo) }),
  thread_show: s.object({
    thread: threadInfo,
    summary: s.string,
    entries: s.array(threadEntry),
    next_since: s.nullable(s.nonNegativeInt),
    processes: s.array(link),
  }),
  thread_append: s.object({ key: s.string, seq: s.positiveInt, created: s.boolean }),
  thread_rm: s.object({ thread: threadInfo }),
};
