import { z } from 'zod';
import { defineSyscall } from './define.js';

export default defineSyscall({
  name: 'FS_LIST',
  aliases: ['FS_LS'],
  summary: 'List a directory of your workspace (default: your working directory).',
  returns: '{path, entries: [{name, type, size}], truncated}',
  args: z.object({ path: z.string().optional() }).strict(),
  readOnly: true,
  capability: {
    label: 'fs.read:<path>',
    kind: 'fs.read',
    of: (args, ctx) => `fs.read:${ctx.drivers.fs.virtualPath(args.path ?? '.')}`,
  },
  run: (args, ctx) => ctx.drivers.fs.list(args.path ?? '.', { reached: ctx.call.fsReached }),
});
