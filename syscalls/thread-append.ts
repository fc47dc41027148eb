import { z } from 'zod';
import { param } from '../sys/param.js';
import { defineSyscall } from './define.js';
import { threadCapability, threadKey } from './thread-open.js';

export default defineSyscall({
  name: 'THREAD_APPEND',
  summary:
    'Add an entry to a context thread (started if missing): what you did, learned or decided about its subject, for the agents after you. ' +
    'kind: note by default. Entries are never changed or removed by agents.',
  returns: '{key, seq, created}',
  args: z
    .object({
      key: threadKey,
      text: z.string().min(1).max(param.threadEntryMaxChars),
      kind: z.enum(['note', 'message', 'decision', 'result']).optional(),
    })
    .strict(),
  normalize: (raw) => {
    if ('text' in raw) return raw;
    for (const alias of ['content', 'entry', 'value']) {
      if (alias in raw) {
        const { [alias]: text, ...rest } = raw;
        return { ...rest, text };
      }
    }
    return raw;
  },
  inKernel: true,
  capability: threadCapability,
  run: (args, ctx) => ctx.proc.threadAppend(args.key, args.text, args.kind),
});
