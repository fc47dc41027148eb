import { z } from 'zod';
import { toVirtualPath } from '../drivers/fs/virtual-path.js';
import { param } from '../kernel/param.js';
import { defineSyscall } from './define.js';

export default defineSyscall({
  name: 'FS_LIST',
  aliases: ['FS_LS'],
  summary: 'List a directory of your workspace (default "/").',
  returns: '{path, entries: [{name, type, size}], truncated}',
  args: z.object({ path: z.string().optional() }).strict(),
  readOnly: true,
  capability: { label: 'fs.read:<path>', of: (args) => `fs.read:${toVirtualPath(args.path ?? '/', param.fsMaxPathLength)}` },
  // The capability is asked again of the path a symlinked directory really leads to.
  run: (args, ctx) => ctx.kernel.fs.list(args.path ?? '/', { authorize: (p) => ctx.caps.allows(`fs.read:${p}`) }),
});
