import { z } from 'zod';
import { AosError } from '../sys/errno.js';
import { defineSyscall, told } from './define.js';

/** The host a rule or a capability is compared with: `evil.com.` (the same name to DNS) is `evil.com`. */
function hostOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/\.+$/, '');
  } catch {
    throw new AosError('EINVAL', `not a valid URL: ${url.slice(0, 200)}`);
  }
}

export default defineSyscall({
  name: 'NET_FETCH',
  aliases: ['FETCH', 'HTTP_GET'],
  summary:
    'HTTP(S) GET a public URL (private, loopback and metadata addresses are refused unless the policy opens them). Bodies over 5 MiB are cut and marked truncated.',
  returns: '{url, status, content_type, encoding, bytes, truncated, redirects, body (text, or null for binary)}',
  args: z
    .object({
      url: z.string().min(1).max(8192),
      headers: z.record(z.string(), z.string()).optional(),
    })
    .strict(),
  capability: { label: 'net.fetch:<host>', kind: 'net.fetch', of: (args) => `net.fetch:${hostOf(args.url)}` },
  run: async (args, ctx) => {
    const { body, ...meta } = await ctx.drivers.net
      .fetch(args.url, args.headers, {
        // Handed by the kernel's secrets interceptor beside the arguments when a header carries a secret.
        originBound: ctx.call.originBound,
      })
      .catch(told(ctx));
    // The body goes last: when the kernel clips a long result for the model, the flags survive.
    return { ...meta, body };
  },
});
