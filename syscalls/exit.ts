import { z } from 'zod';
import { param } from '../sys/param.js';
import { defineSyscall } from './define.js';

export default defineSyscall({
  name: 'SYS_EXIT',
  aliases: ['EXIT'],
  summary: 'End this process. `result` is handed to whoever WAITs for you. Calls after it are not run.',
  returns: '(nothing: the process ends)',
  args: z
    .object({
      code: z.number().int().min(0).max(255).optional(),
      result: z.string().max(param.maxExitResultBytes).optional(),
    })
    .strict(),
  normalize: (raw) => {
    const { exit_code, status, output, ...rest } = raw;
    return { code: rest.code ?? exit_code ?? status, result: rest.result ?? output, ...rest };
  },
  inKernel: true,
  capability: null,
  run: (args, ctx) => {
    ctx.proc.exit(args.code ?? 0, args.result ?? null);
    return { exiting: true, code: args.code ?? 0 };
  },
});
