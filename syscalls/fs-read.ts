import { z } from 'zod';
import { toVirtualPath } from '../drivers/fs/virtual-path.js';
import { param } from '../kernel/param.js';
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
  capability: { label: 'fs.read:<path>', of: (args) => `fs.read:${toVirtualPath(args.path, param.fsMaxPathLength)}` },
  // The capability is asked again of the path a symlinked directory really leads to.
  run: (args, ctx) =>
    ctx.kernel.fs.read(args.path, { offset: args.offset, length: args.length, authorize: (p) => ctx.caps.allows(`fs.read:${p}`) }),
});
