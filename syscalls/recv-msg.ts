import { z } from 'zod';
import { param } from '../kernel/param.js';
import { defineSyscall } from './define.js';

export default defineSyscall({
  name: 'RECV_MSG',
  summary: 'Take all messages waiting for you; if none, block until one arrives or timeout_s passes (ETIMEDOUT).',
  returns: '{messages: [{from_pid, content, ts}]}',
  args: z.object({ timeout_s: z.number().positive().max(param.maxBlockTimeoutS).optional() }).strict(),
  inKernel: true,
  blocking: true,
  capability: 'ipc',
  run: async (args, ctx) => ({
    messages: await ctx.proc.recv(args.timeout_s ?? param.defaultBlockTimeoutS),
  }),
});
