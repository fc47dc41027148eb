import { z } from 'zod';
import { defineSyscall } from './define.js';

export default defineSyscall({
  name: 'THREAD_LIST',
  summary:
    'List the context threads your capabilities reach (thread:<key-glob>), by key; prefix narrows them (e.g. "client:").',
  returns: '{threads: [{key, entries, last_seq, last_at, summary_through, created_by, created_at}]}',
  args: z.object({ prefix: z.string().max(128).optional() }).strict(),
  inKernel: true,
  readOnly: true,
  // Every process may ask; it is shown only the threads it may open.
  capability: null,
  run: (args, ctx) => ({ threads: ctx.proc.threadList(args.prefix ?? '') }),
});
