import { z } from 'zod';
import { toVirtualPath } from '../drivers/fs/virtual-path.js';
import { param } from '../kernel/param.js';
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
  capability: { label: 'fs.write:<path>', of: (args) => `fs.write:${toVirtualPath(args.path, param.fsMaxPathLength)}` },
  // The capability is asked again of the path a symlinked directory really leads to.
  run: (args, ctx) =>
    ctx.kernel.fs.write(args.path, args.content, { append: args.append ?? false, authorize: (p) => ctx.caps.allows(`fs.write:${p}`) }),
});
