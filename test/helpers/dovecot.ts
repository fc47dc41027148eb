/**
 * A throwaway mail server for the email channel's tests: Debian's dovecot (`apt-get install
 * dovecot-imapd`) serving IMAP on a free loopback port from a temp dir — its own config, one
 * mailbox in a passwd file, plain text (no TLS) on 127.0.0.1 only — started in the foreground and
 * killed by its pid; and an SMTP receiver (smtp-server) on loopback that keeps what it is sent.
 * Mail reaches the mailbox by IMAP APPEND, as a delivery agent would put it there. A test file
 * skips with a message where dovecot is missing (`dovecotSkipReason`), as postgres.ts does.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { until } from './until.js';

const DOVECOT = '/usr/sbin/dovecot';

/** Why the email tests cannot run here, or null when they can. */
export function dovecotSkipReason(): string | null {
  if (!existsSync(DOVECOT))
    return 'dovecot is not installed (apt-get install dovecot-imapd): the email channel tests against a real IMAP server skipped';
  return null;
}

function userId(name: string): { uid: number; gid: number } | null {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return null;
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Dovecot {
  /** imap://127.0.0.1:<port> */
  url: string;
  port: number;
  user: string;
  password: string;
  /** Put a raw RFC 5322 message into the mailbox's INBOX (unseen). */
  deliver(raw: string | Buffer): Promise<void>;
  /** The INBOX's messages by UID with their flags. */
  flags(): Promise<Array<{ uid: number; seen: boolean }>>;
  stop(): Promise<void>;
}

/** A dovecot with one mailbox, `user` / `password`, on a free loopback port. */
export async function startDovecot(user = 'bot@example.test', password = 'mailbox-pw-Zq9'): Promise<Dovecot> {
  const dir = mkdtempSync(join(tmpdir(), 'aos-dovecot-'));
  const root = process.getuid?.() === 0;
  // As root, dovecot's own users run it and nobody owns the mail; otherwise we are every user.
  const me = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
  const internal = root ? (userId('dovecot') ? 'dovecot' : 'nobody') : me;
  const login = root ? (userId('dovenull') ? 'dovenull' : 'nobody') : me;
  const mail = root
    ? (userId('nobody') ?? { uid: 65534, gid: 65534 })
    : { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  // mkdtemp's 0700 would keep dovecot's own users out of their config and passwd file.
  if (root) chmodSync(dir, 0o755);
  for (const d of ['run', 'state', 'home']) mkdirSync(join(dir, d));
  if (root) chownSync(join(dir, 'home'), mail.uid, mail.gid);
  const port = await freePort();
  writeFileSync(join(dir, 'passwd'), `${user}:{PLAIN}${password}\n`);
  writeFileSync(
    join(dir, 'dovecot.conf'),
    `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
default_internal_user = ${internal}
default_internal_group = ${root ? internal : execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim()}
default_login_user = ${login}
ssl = no
listen = 127.0.0.1
protocols = imap
auth_mechanisms = plain login
disable_plaintext_auth = no
first_valid_uid = 1
mail_location = maildir:~/Maildir
service imap-login {
  inet_listener imap {
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
  chroot =
}
service anvil {
  chroot =
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${mail.uid} gid=${mail.gid} home=${dir}/home/%u
}
`,
  );
  const child = spawn(DOVECOT, ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const client = (): ImapFlow =>
    new ImapFlow({
      host: '127.0.0.1',
      port,
      secure: false,
      doSTARTTLS: false,
      auth: { user, pass: password },
      logger: false,
    });
  const withClient = async <T>(fn: (c: ImapFlow) => Promise<T>): Promise<T> => {
    const c = client();
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.logout().catch(() => c.close());
    }
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(() => withClient(async () => true).catch(() => false), 20_000, 'dovecot answering IMAP');
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `imap://127.0.0.1:${port}`,
    port,
    user,
    password,
    deliver: (raw) => withClient(async (c) => void (await c.append('INBOX', raw, []))),
    flags: () =>
      withClient(async (c) => {
        const lock = await c.getMailboxLock('INBOX');
        try {
          const out: Array<{ uid: number; seen: boolean }> = [];
          if (!c.mailbox || c.mailbox.exists === 0) return out;
          for await (const m of c.fetch('1:*', { uid: true, flags: true }))
            out.push({ uid: m.uid, seen: m.flags?.has('\\Seen') ?? false });
          return out;
        } finally {
          lock.release();
        }
      }),
    stop,
  };
}

export interface SmtpReceiver {
  url: string;
  port: number;
  /** Each message received: the envelope, its raw bytes, and parsed. */
  received: Array<{ from: string; to: string[]; raw: Buffer; mail: ParsedMail }>;
  /** Logins tried (user, and whether the password was right). */
  logins: Array<{ user: string; ok: boolean }>;
  close(): Promise<void>;
}

/** An SMTP server on loopback that takes mail from `user`/`password` and keeps it. */
export async function startSmtpReceiver(user: string, password: string): Promise<SmtpReceiver> {
  const received: SmtpReceiver['received'] = [];
  const logins: SmtpReceiver['logins'] = [];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    size: 10 * 1024 * 1024,
    onAuth(auth, _session, callback) {
      const ok = auth.username === user && auth.password === password;
      logins.push({ user: auth.username ?? '', ok });
      callback(ok ? null : new Error('bad login'), ok ? { user: auth.username } : undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        void simpleParser(raw).then((mail) => {
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          received.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw, mail });
          callback();
        }, callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as net.AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    logins,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
