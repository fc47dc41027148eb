import { z } from 'zod';
import { param } from '../sys/param.js';
import { defineSyscall } from './define.js';

export default defineSyscall({
  name: 'WAIT',
  aliases: ['WAIT_PID', 'WAITPID'],
  summary: 'Block until your child `pid` (or any child) ends; spends no tokens while blocked.',
  returns: '{pid, name, exit_code, reason, output}',
  args: z
    .object({
      pid: z.number().int().positive().optional(),
      timeout_s: z.number().positive().max(param.maxBlockTimeoutS).optional(),
    })
    .strict(),
  inKernel: true,
  blocking: true,
  capability: null,
  run: (args, ctx) => ctx.proc.wait(args.pid ?? null, args.timeout_s ?? param.defaultBlockTimeoutS),
});
