import { z } from 'zod';
import { param } from '../sys/param.js';
import { defineSyscall } from './define.js';

export default defineSyscall({
  name: 'SYS_WEBHOOK_REPLY',
  aliases: ['WEBHOOK_REPLY'],
  summary:
    'Answer the HTTP request of a webhook event (status 200 by default); unanswered requests get 504 after a while. Without request_id: the one request waiting for you (a unit run started by a webhook).',
  returns: '{ok}',
  args: z
    .object({
      request_id: z.string().min(1).max(64).optional(),
      status: z.number().int().min(200).max(599).optional(),
      body: z.string().max(param.webhookMaxBodyBytes).optional(),
      content_type: z
        .string()
        .regex(/^[\x20-\x7e]{1,200}$/, 'must be a printable ASCII media type, e.g. application/json')
        .optional(),
    })
    .strict(),
  inKernel: true,
  capability: 'webhook',
  run: (args, ctx) => {
    const reply = { status: args.status ?? 200, body: args.body ?? '' };
    ctx.proc.webhookReply(args.request_id, args.content_type ? { ...reply, contentType: args.content_type } : reply);
    return { ok: true };
  },
});
