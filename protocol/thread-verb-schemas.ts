/** The --json of `aos thread …` (the threads' method results, thread-results.ts), as zod schemas published by `aos schema`. */
import { z } from 'zod';

const iso = z.string().describe('ISO time');

const info = z.object({
  key: z.string().describe('client:acme — lower-case letters, digits and : . _ - / @ +'),
  entries: z.number().int().nonnegative().describe('appended over its life'),
  first_seq: z
    .number()
    .int()
    .nonnegative()
    .describe('the oldest entry kept (older ones were dropped by retention; the summary covers them)'),
  last_seq: z.number().int().nonnegative(),
  created_at: iso,
  created_by: z.number().int().nonnegative().describe('the pid that started it; 0: a person'),
  last_at: iso.nullable(),
  summary_through: z.number().int().nonnegative().describe('the summary covers entries 1 to this; 0: no summary yet'),
  summary_at: iso.nullable(),
  summary_chars: z.number().int().nonnegative(),
});

const entry = z.object({
  seq: z.number().int().positive(),
  ts: iso,
  pid: z.number().int().nonnegative().describe('who wrote it; 0: a person'),
  unit: z.string().nullable().describe('the unit whose run wrote it'),
  kind: z.enum(['note', 'message', 'decision', 'result']),
  text: z.string(),
});

export const THREAD_VERB_SCHEMAS = {
  'thread-ls': z.object({ threads: z.array(info) }).describe('aos thread ls --json'),
  'thread-show': z
    .object({
      thread: info,
      summary: z.string(),
      entries: z.array(entry).describe('oldest first'),
      next_since: z
        .number()
        .int()
        .nonnegative()
        .nullable()
        .describe('with since: where the next page starts; null at the end'),
      processes: z.array(z.object({ pid: z.number().int().positive(), how: z.enum(['attached', 'opened', 'wrote']) })),
    })
    .describe('aos thread show --json'),
  'thread-entry': entry.describe('aos thread tail --json: one per line'),
  'thread-append': z
    .object({ key: z.string(), seq: z.number().int().positive(), created: z.boolean() })
    .describe('aos thread append --json'),
  'thread-rm': z.object({ thread: info }).describe('aos thread rm --json: the thread as it was'),
} as const;
