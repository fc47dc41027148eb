import { z } from 'zod';
import { param } from '../sys/param.js';
import { defineSyscall } from './define.js';

export default defineSyscall({
  name: 'HISTORY_SEARCH',
  aliases: ['SEARCH_HISTORY'],
  summary:
    "Search your process tree's past by words: tasks, replies, results and messages (also those long gone from your context) and the threads your tree used. " +
    'since: a time or an age ("7d"); pid: one process of your tree; limit (default ' +
    String(param.historyHitsDefault) +
    ', at most ' +
    String(param.historyHitsMax) +
    '). ' +
    "Each hit gives an excerpt and the call that reads it whole (SYS_RESULT_READ with its turn, seq and pid; THREAD_READ). Never another tree's.",
  returns: '{hits: [{kind, ts, pid, turn?, seq?, name?, thread?, excerpt, read?}], searched: {events, threads}}',
  args: z
    .object({
      query: z.string().min(1).max(500),
      since: z.string().min(1).max(64).optional(),
      pid: z.number().int().positive().optional(),
      limit: z.number().int().min(1).max(param.historyHitsMax).optional(),
    })
    .strict(),
  normalize: (raw) =>
    'q' in raw && !('query' in raw)
      ? { ...Object.fromEntries(Object.entries(raw).filter(([k]) => k !== 'q')), query: raw.q }
      : raw,
  inKernel: true,
  readOnly: true,
  // Only the caller's own tree is searched: no argument reaches another's.
  capability: null,
  run: (args, ctx) => ctx.proc.historySearch(args),
});
