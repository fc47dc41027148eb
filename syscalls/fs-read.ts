import { z } from 'zod';
import { param } from '../sys/param.js';
import { defineSyscall } from './define.js';

export default defineSyscall({
  name: 'FS_READ',
  summary: 'Read a file of your workspace (paths are relative to its root, "/").',
  returns: '{path, content, encoding ("utf8"|"base64"), size, offset, truncated}',
  args: z
    .object({
      path: z.string().min(1),
      offset: z.number().int().min(0).optional(),
      length: z.number().int().min(1).max(param.fsMaxReadBytes).optional(),
    })
    .strict(),
  readOnly: true,
  capability: {
    label: 'fs.read:<path>',
    kind: 'fs.read',
    of: (args, ctx) => `fs.read:${ctx.drivers.fs.virtualPath(args.path)}`,
  },
  run: (args, ctx) =>
    ctx.drivers.fs.read(args.path, { offset: args.offset, length: args.length, reached: ctx.call.fsReached }),
});
