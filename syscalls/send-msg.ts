import { z } from 'zod';
import { AosError } from '../sys/errno.js';
import { param } from '../sys/param.js';
import { defineSyscall } from './define.js';

/** The pid a SEND_MSG's `to_pid` names for a sender whose parent is `ppid` (NaN for none: no process has it). */
export function recipientOf(toPid: unknown, ppid: number): number {
  return toPid === 'parent' ? ppid || Number.NaN : Number(toPid);
}

export default defineSyscall({
  name: 'SEND_MSG',
  summary: 'Send a message to another process of your tree (parent, child, sibling); to_pid "parent" is your parent.',
  returns: '{ok}',
  args: z
    .object({
      to_pid: z.union([z.number().int().positive(), z.literal('parent')]),
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
    if (args.to_pid === 'parent' && ctx.ppid === 0)
      throw new AosError('ESRCH', 'you have no parent: you are the root of your tree');
    ctx.proc.send(recipientOf(args.to_pid, ctx.ppid), args.content);
    return { ok: true };
  },
});
