import { z } from 'zod';
import { param } from '../kernel/param.js';
import { defineSyscall } from './define.js';

export default defineSyscall({
  name: 'SEND_MSG',
  summary: 'Send a message to another process of your tree (parent, child, sibling).',
  returns: '{ok}',
  args: z
    .object({
      to_pid: z.number().int().positive(),
      content: z.string().max(param.maxMessageBytes),
    })
    .strict(),
  normalize: (raw) => {
    const { pid, to, message, ...rest } = raw;
    return { to_pid: rest.to_pid ?? pid ?? to, content: rest.content ?? message, ...rest };
  },
  inKernel: true,
  capability: 'ipc',
  run: (args, ctx) => {
    ctx.kernel.send(args.to_pid, args.content);
    return { ok: true };
  },
});
