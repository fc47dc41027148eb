/**
 * An email channel's declaration (issue 53), checked: its IMAP and SMTP servers as URLs
 * (`imaps://host:993`, `imap://host:143` with STARTTLS; `smtps://host:465`, `smtp://host:587`),
 * the mailbox's login and the channel's address. The adapter's egress is those two host:ports and
 * nothing else; the password is the channel's token secret, never here. What the adapter is told
 * (its environment) comes from this alone.
 */
import { AosError } from '../../sys/errno.js';
import type { EmailSpec } from '../ipc/channel-types.js';

const DEFAULT_PORTS: Record<string, string> = { 'imap:': '143', 'imaps:': '993', 'smtp:': '587', 'smtps:': '465' };

/** `imap(s)://host:port` or `smtp(s)://host:port`, nothing more: its host:port for the egress allowlist. */
function serverOf(channel: string, flag: string, raw: unknown, kind: 'imap' | 'smtp'): { url: string; target: string } {
  const given = typeof raw === 'string' ? raw : '';
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new AosError(
      'EINVAL',
      `channel ${channel}: ${flag} "${given.slice(0, 80)}" is not a URL (${kind}s://host:port)`,
    );
  }
  if (url.protocol !== `${kind}:` && url.protocol !== `${kind}s:`)
    throw new AosError('EINVAL', `channel ${channel}: ${flag} must be ${kind}s://host:port or ${kind}://host:port`);
  if (url.username || url.password)
    throw new AosError(
      'EINVAL',
      `channel ${channel}: ${flag} must not carry credentials (give the password as a secret)`,
    );
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash)
    throw new AosError(
      'EINVAL',
      `channel ${channel}: ${flag} is a server, host and port only (got "${given.slice(0, 80)}")`,
    );
  const port = url.port || (DEFAULT_PORTS[url.protocol] as string);
  return { url: `${url.protocol}//${url.host}${url.port ? '' : `:${port}`}`, target: `${url.hostname}:${port}` };
}

/** The declaration as kept, and the adapter's egress; a mistake says what to write. */
export function normalEmail(
  channel: string,
  spec: Partial<EmailSpec> | null | undefined,
): {
  email: EmailSpec;
  egress: string[];
} {
  if (!spec)
    throw new AosError(
      'EINVAL',
      `channel ${channel} (email) needs its servers: --imap imaps://host:993 --smtp smtps://host:465 --user LOGIN --address ADDRESS`,
    );
  const imap = serverOf(channel, '--imap', spec.imap, 'imap');
  const smtp = serverOf(channel, '--smtp', spec.smtp, 'smtp');
  const user = typeof spec.user === 'string' ? spec.user : '';
  if (!user || user.length > 256 || /[\u0000-\u001f\u007f]/.test(user))
    throw new AosError(
      'EINVAL',
      `channel ${channel}: --user must be the mailbox's login, one line, at most 256 characters`,
    );
  const address = typeof spec.address === 'string' ? spec.address.trim().toLowerCase() : '';
  if (address.length > 254 || !/^[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})+$/.test(address))
    throw new AosError('EINVAL', `channel ${channel}: --address must be one email address (bot@example.com)`);
  return { email: { imap: imap.url, smtp: smtp.url, user, address }, egress: [...new Set([imap.target, smtp.target])] };
}

/** What the email adapter is told besides its password (AOS_CHANNEL_TOKEN). */
export function emailEnv(email: EmailSpec): Record<string, string> {
  return {
    AOS_EMAIL_IMAP: email.imap,
    AOS_EMAIL_SMTP: email.smtp,
    AOS_EMAIL_USER: email.user,
    AOS_EMAIL_ADDRESS: email.address,
  };
}
