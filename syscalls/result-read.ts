import { z } from 'zod';
import { param } from '../sys/param.js';
import { defineSyscall } from './define.js';

export default defineSyscall({
  name: 'SYS_RESULT_READ',
  aliases: ['RESULT_READ'],
  summary:
    'Read on in one of your own earlier results that reached you as an excerpt: `turn` and `seq` (the call\'s index in its reply) as its "excerpt.rest" says; `field` pages that field of the value, else the whole value as JSON. ' +
    'pid: a result of another process of your tree, as HISTORY_SEARCH names it.',
  returns: '{turn, seq, name, field, offset, length, total, content, next_offset (null at the end)}',
  args: z
    .object({
      pid: z.number().int().positive().optional(),
      turn: z.number().int().min(0),
      seq: z
        .number()
        .int()
        .min(0)
        .max(param.maxSyscallsPerReply - 1),
      field: z.string().min(1).max(256).optional(),
      offset: z.number().int().min(0).optional(),
      length: z.number().int().min(1).max(param.resultReadMaxChars).optional(),
    })
    .strict(),
  inKernel: true,
  readOnly: true,
  // Only the caller's own tree's history can be named: a pid outside it is refused (EPERM).
  capability: null,
  run: (args, ctx) => ctx.proc.readResult(args),
});
