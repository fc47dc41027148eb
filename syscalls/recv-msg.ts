import { z } from 'zod';
import { param } from '../sys/param.js';
import { defineSyscall, shape } from './define.js';

export default defineSyscall({
  name: 'RECV_MSG',
  summary:
    'Take all messages waiting for you; if none, block until one arrives or timeout_s passes (ETIMEDOUT). ' +
    'timeout_s: 0 does not block: it returns at once, with messages: [] when none wait.',
  returns: '{messages: [{from_pid, content, ts}]}',
  args: z.object({ timeout_s: z.number().min(0).max(param.maxBlockTimeoutS).optional() }).strict(),
  inKernel: true,
  blocking: true,
  capability: 'ipc',
  run: (args, ctx) => shape(ctx.proc.recv(args.timeout_s ?? param.defaultBlockTimeoutS), (messages) => ({ messages })),
});
