import { z } from 'zod';
import { defineSyscall } from './define.js';

/** A short route name: it ends the URL, so no `..`, no leading `.` or `/` (one leading `/` is dropped first). */
const PATH_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_./-]{0,127}$/;

export default defineSyscall({
  name: 'SYS_REGISTER_WEBHOOK',
  aliases: ['REGISTER_WEBHOOK'],
  summary:
    'Get a URL on the local webhook gateway; each HTTP request to it reaches you as a webhook event (it wakes you from blocking calls) and waits for SYS_WEBHOOK_REPLY. The same path gives the same URL ("/api/chat" and "api/chat" are one route).',
  returns: '{url, webhook_id}',
  args: z
    .object({
      path: z
        .string()
        .regex(PATH_PATTERN, 'must be 1-128 characters of letters, digits, _ - . / and not start with . or /')
        .refine((p) => !p.includes('..'), 'must not contain ".."'),
    })
    .strict(),
  // The seed writes routes as URL paths ("/api/chat"): the same route as "api/chat".
  normalize: (raw) =>
    typeof raw.path === 'string' && raw.path.startsWith('/') ? { ...raw, path: raw.path.slice(1) } : raw,
  inKernel: true,
  capability: 'webhook',
  run: (args, ctx) => ctx.proc.registerWebhook(args.path),
});
