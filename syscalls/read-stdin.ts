import { z } from 'zod';
import { param } from '../sys/param.js';
import { defineSyscall, shape } from './define.js';

export default defineSyscall({
  name: 'SYS_READ_STDIN',
  aliases: ['READ_STDIN', 'STDIN'],
  summary:
    'Read everything waiting on your stdin; if empty, block until input or timeout_s (ETIMEDOUT). ' +
    'timeout_s: 0 does not block: it returns at once, with text "" when nothing waits.',
  returns: '{text}',
  args: z.object({ timeout_s: z.number().min(0).max(param.maxBlockTimeoutS).optional() }).strict(),
  inKernel: true,
  blocking: true,
  capability: null,
  run: (args, ctx) => shape(ctx.proc.readStdin(args.timeout_s ?? param.defaultBlockTimeoutS), (text) => ({ text })),
});
