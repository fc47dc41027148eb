import { z } from 'zod';
import { defineSyscall } from './define.js';

export default defineSyscall({
  name: 'FS_WRITE',
  summary: 'Write (or with append:true, append to) a file in your workspace; parent dirs are created.',
  returns: '{path, bytes}',
  args: z
    .object({
      path: z.string().min(1),
      content: z.string(),
      append: z.boolean().optional(),
    })
    .strict(),
  capability: {
    label: 'fs.write:<path>',
    kind: 'fs.write',
    of: (args, ctx) => `fs.write:${ctx.drivers.fs.virtualPath(args.path)}`,
  },
  run: (args, ctx) =>
    ctx.drivers.fs.write(args.path, args.content, {
      append: args.append ?? false,
      check: ctx.call.fsCheck,
      reached: ctx.call.fsReached,
    }),
});
