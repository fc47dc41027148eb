import { z } from 'zod';
import { param } from '../sys/param.js';
import { defineSyscall, shape } from './define.js';

export default defineSyscall({
  name: 'SLEEP',
  aliases: ['SYS_SLEEP'],
  summary: 'Sleep for `seconds` without spending tokens (a timer you scheduled interrupts it with EINTR).',
  returns: '{slept}',
  args: z.object({ seconds: z.number().min(0).max(param.maxSleepS) }).strict(),
  normalize: (raw) => {
    const { duration, duration_s, ...rest } = raw;
    return { seconds: rest.seconds ?? duration_s ?? duration, ...rest };
  },
  inKernel: true,
  blocking: true,
  capability: null,
  run: (args, ctx) => shape(ctx.proc.sleep(args.seconds), (slept) => ({ slept })),
});
