import { z } from 'zod';
import { defineSyscall } from './define.js';

export default defineSyscall({
  name: 'SYS_ESCALATE',
  aliases: ['ESCALATE'],
  summary:
    'On a model ladder, ask that your next turn run on a stronger model, saying why (e.g. a hard step ahead). ' +
    'The kernel decides; failures weigh more than asking, and the policy caps how often you may ask.',
  returns: '{asked, now, top, left}',
  args: z.object({ reason: z.string().min(1).max(500) }).strict(),
  inKernel: true,
  capability: null,
  run: (args, ctx) => ctx.proc.escalate(args.reason),
});
