import { z } from 'zod';
import { param } from '../sys/param.js';
import { defineSyscall } from './define.js';

export default defineSyscall({
  name: 'SYS_SCHEDULE',
  aliases: ['SCHEDULE'],
  summary:
    'After `seconds` (every `seconds` with repeat:true) deliver `prompt` to you as a timer event; it wakes you from blocking calls.',
  returns: '{timer_id}',
  args: z
    .object({
      seconds: z.number().min(param.minTimerRepeatS).max(param.maxSleepS),
      prompt: z.string().min(1).max(param.maxMessageBytes),
      repeat: z.boolean().optional(),
    })
    .strict(),
  inKernel: true,
  capability: 'timer',
  run: (args, ctx) => ({ timer_id: ctx.proc.schedule(args.seconds, args.prompt, args.repeat ?? false) }),
});
