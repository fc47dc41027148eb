import { z } from 'zod';
import { param } from '../sys/param.js';
import { defineSyscall } from './define.js';
import { threadCapability, threadKey } from './thread-open.js';

export default defineSyscall({
  name: 'THREAD_READ',
  summary:
    'Read entries of a context thread, oldest first: since (an entry seq: the ones after it; or a time/age like "2h") pages on with next_since; ' +
    'query: words every entry must hold (newest first); limit (default ' +
    String(param.threadReadDefault) +
    ', at most ' +
    String(param.threadReadMax) +
    ').',
  returns: '{key, entries: [{seq, ts, pid, unit, kind, text}], last_seq, next_since (null at the end)}',
  args: z
    .object({
      key: threadKey,
      since: z.union([z.number().int().min(0), z.string().min(1).max(64)]).optional(),
      query: z.string().min(1).max(500).optional(),
      limit: z.number().int().min(1).max(param.threadReadMax).optional(),
    })
    .strict(),
  inKernel: true,
  readOnly: true,
  capability: threadCapability,
  run: (args, ctx) => ctx.proc.threadRead(args),
});
