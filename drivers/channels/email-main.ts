/**
 * The email adapter as a program (what its sandbox runs): the mailbox's password from
 * AOS_CHANNEL_TOKEN (a policy secret the kernel puts there, never shown to an agent, never printed
 * here), the servers from AOS_EMAIL_IMAP (`imaps://host:993`, or `imap://…` with STARTTLS) and
 * AOS_EMAIL_SMTP (`smtps://host:465`, or `smtp://…:587` with STARTTLS), the login from
 * AOS_EMAIL_USER, the channel's address from AOS_EMAIL_ADDRESS, the egress proxy's socket from
 * AOS_EGRESS_SOCKET; the channel protocol on stdin and stdout. Plain text without TLS only to a
 * loopback address (a local relay, a test's server). It exits 1 when the kernel's side closes or a
 * message cannot be handed over (nothing it did not hand over is marked seen), 2 when misconfigured.
 */
import net from 'node:net';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { channelParam } from '../../sys/param-channels.js';
import { runEmailAdapter } from './email-adapter.js';
import { normalAddress } from './email-message.js';
import { localTunnel, tlsFor } from './email-tunnel.js';

const password = process.env.AOS_CHANNEL_TOKEN ?? '';
const socket = process.env.AOS_EGRESS_SOCKET ?? '';
const user = process.env.AOS_EMAIL_USER ?? '';
const address = normalAddress(process.env.AOS_EMAIL_ADDRESS);

const stop = (code: number, why: string): never => {
  const masked = password ? why.split(password).join('[secret]') : why;
  process.stderr.write(`email adapter: ${masked}\n`);
  process.exit(code);
};

interface Server {
  host: string;
  port: number;
  /** TLS from the first byte (imaps, smtps); else STARTTLS, required unless the host is a loopback address. */
  secure: boolean;
  plainAllowed: boolean;
}

function serverOf(name: string, raw: string | undefined, schemes: [string, string], ports: [number, number]): Server {
  let url: URL;
  try {
    url = new URL(raw ?? '');
  } catch {
    return stop(2, `${name} is not a URL (${schemes[0]}//host:port or ${schemes[1]}//host:port)`);
  }
  const secure = url.protocol === schemes[1];
  if (!secure && url.protocol !== schemes[0]) stop(2, `${name} must be ${schemes[0]}// or ${schemes[1]}//`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const loopback = net.isIP(host) !== 0 && (/^127\./.test(host) || host === '::1');
  return { host, port: Number(url.port || ports[secure ? 1 : 0]), secure, plainAllowed: loopback };
}

if (!password || !socket || !user || !address)
  stop(2, 'AOS_CHANNEL_TOKEN, AOS_EGRESS_SOCKET, AOS_EMAIL_USER and AOS_EMAIL_ADDRESS (one address) must be set');
const imap = serverOf('AOS_EMAIL_IMAP', process.env.AOS_EMAIL_IMAP, ['imap:', 'imaps:'], [143, 993]);
const smtp = serverOf('AOS_EMAIL_SMTP', process.env.AOS_EMAIL_SMTP, ['smtp:', 'smtps:'], [587, 465]);

const main = async (): Promise<void> => {
  const imapTunnel = await localTunnel(socket, imap.host, imap.port);
  const smtpTunnel = await localTunnel(socket, smtp.host, smtp.port);
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: smtpTunnel.port,
    secure: smtp.secure,
    ...(smtp.secure ? {} : smtp.plainAllowed ? { ignoreTLS: true } : { requireTLS: true }),
    tls: tlsFor(smtp.host),
    auth: { user, pass: password },
    name: (address as string).split('@')[1],
    connectionTimeout: 30_000,
    socketTimeout: 60_000,
    logger: false,
    debug: false,
  });
  const running = runEmailAdapter(
    {
      address: address as string,
      openImap: () =>
        new ImapFlow({
          host: '127.0.0.1',
          port: imapTunnel.port,
          secure: imap.secure,
          doSTARTTLS: imap.secure ? undefined : !imap.plainAllowed,
          tls: tlsFor(imap.host),
          auth: { user, pass: password },
          logger: false,
          autoIdleDelay: 500,
          maxIdleTime: 5 * 60_000,
        }),
      smtp: transport,
      fetchMaxBytes: channelParam.emailFetchMaxBytes,
      lastTunnelError: () => imapTunnel.lastError(),
    },
    { input: process.stdin, output: process.stdout },
    { onFatal: (why) => stop(1, why) },
  );
  await running.done;
  process.exit(0);
};
main().catch((error: unknown) => stop(1, error instanceof Error ? error.message : String(error)));
