/**
 * Protocol methods of context threads (issue 33): spread into METHODS (protocol.ts) with one line;
 * `aos thread …` and the web view's thread page call them. A person holds every thread.
 */
import { z } from 'zod';
import { THREAD_RESULTS as R } from './thread-results.js';

const key = z.string().min(1).max(256);

export const THREAD_METHODS = {
  /** Threads whose key starts with `prefix`, by key. */
  thread_ls: { params: z.strictObject({ prefix: z.string().max(256).optional() }), result: R.thread_ls },
  /**
   * One thread: its summary and entries — the newest `limit` (default 20), or with `since` the ones
   * after that seq, oldest first (`next_since` pages on; `aos thread tail -f` follows with it) —
   * and the processes that attached, opened or wrote to it.
   */
  thread_show: {
    params: z.strictObject({
      key,
      since: z.number().int().min(0).optional(),
      limit: z.number().int().positive().max(10_000).optional(),
    }),
    result: R.thread_show,
  },
  /** Add an entry as a person (pid 0); the thread is started if missing. */
  thread_append: {
    params: z.strictObject({
      key,
      text: z.string().min(1),
      kind: z.enum(['note', 'message', 'decision', 'result']).optional(),
    }),
    result: R.thread_append,
  },
  /** Remove a thread and its entries (processes that attached it keep what they were shown). */
  thread_rm: { params: z.strictObject({ key }), result: R.thread_rm },
} as const;
