/**
 * The email adapter (issue 53): a mailbox read over IMAP — IDLE for new mail — and answered over
 * SMTP, speaking the channel protocol (protocol.ts) to the kernel. Each unseen message of INBOX,
 * oldest first, becomes `channel.inbound` (email-message.ts); it is marked \Seen only once the
 * kernel has answered, so a message the adapter was handing over when it died is offered again,
 * and the kernel's dedup (its Message-ID, per sender) says "duplicate". Mail that must not be
 * answered — no single valid From, an automatic reply, the channel's own — is marked \Seen and
 * not handed over. `channel.outbound` is a reply to the chat's address (email-send.ts), threaded
 * under the message it answers. A lost connection is made again, after 0.5 s doubling to 60 s; a
 * first one that fails (a wrong password, a server refusing) ends the adapter, saying why.
 * The mailbox should be the channel's own: whatever is unseen in its INBOX reaches the kernel.
 */
import type { Readable, Writable } from 'node:stream';
import type { ImapFlow } from 'imapflow';
import type { Transporter } from 'nodemailer';
import { parseEmail, type ReplyContext } from './email-message.js';
import { sendReply } from './email-send.js';
import { CHANNEL_PROTOCOL, ChannelError, type InboundStatus, LineRpc, type OutboundMessage } from './protocol.js';

export interface EmailAdapterDeps {
  /** The channel's address: the account, the From of every reply. */
  address: string;
  /** A new IMAP client (not yet connected), logged in as the mailbox's user. */
  openImap(): ImapFlow;
  smtp: Transporter;
  /** The bytes of one message read at most (a larger one is read in part, and its text says so). */
  fetchMaxBytes: number;
  /** Why the last connection failed beyond what the client says (the egress proxy's refusal). */
  lastTunnelError?(): string | null;
}

export interface EmailAdapterOptions {
  /** A message could not be handed over, or the kernel went: end the adapter now, unconfirmed (the program exits). */
  onFatal(why: string): void;
  /** Reconnect delays (ms): first, cap; a session this long resets them. */
  backoff?: { firstMs: number; maxMs: number; healthyMs: number };
}

const KEPT_CONTEXTS = 1_000;
const STATUSES: readonly InboundStatus[] = ['accepted', 'duplicate', 'dropped'];

/** A map that forgets its oldest entries past `max`. */
function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  for (const oldest of map.keys()) {
    if (map.size <= max) break;
    map.delete(oldest);
  }
}

function outboundOf(params: unknown): OutboundMessage {
  const p = params as Partial<OutboundMessage> | null;
  if (!p || typeof p.chat !== 'string' || typeof p.text !== 'string' || typeof p.ref !== 'string' || !p.text)
    throw new ChannelError(-32602, 'channel.outbound needs {ref, chat, text} as strings', false);
  return p as OutboundMessage;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** What an IMAP client's error says: imapflow's "Command failed" carries the server's words beside it. */
function imapWhy(error: unknown): string {
  const e = (error ?? {}) as { authenticationFailed?: boolean; responseText?: unknown; serverResponseCode?: unknown };
  const server = [e.serverResponseCode, e.responseText].filter((x) => typeof x === 'string' && x).join(' ');
  if (e.authenticationFailed)
    return `the login was refused (check --user and the password secret)${server ? `: ${server}` : ''}`;
  return server ? `${message(error)}: ${server}` : message(error);
}

export function runEmailAdapter(
  deps: EmailAdapterDeps,
  io: { input: Readable; output: Writable },
  options: EmailAdapterOptions,
): { done: Promise<void>; stop(): void } {
  const backoff = options.backoff ?? { firstMs: 500, maxMs: 60_000, healthyMs: 60_000 };
  /** What a reply needs of a message, by the kernel's id for it; and each chat's latest. */
  const contexts = new Map<string, ReplyContext>();
  const latest = new Map<string, ReplyContext>();
  let client: ImapFlow | null = null;
  /** The current client (a closure sets it: read through this, never narrowed away). */
  const current = (): ImapFlow | null => client;
  let stopped = false;
  let helloSaid = false;
  let wake: () => void = () => undefined;

  const fatal = (why: string): void => {
    if (stopped) return;
    stopped = true;
    current()?.close();
    options.onFatal(why);
  };

  /** The newest message from `chat` in the mailbox, when the adapter has none in memory (it restarted). */
  const lookUp = async (chat: string): Promise<ReplyContext | null> => {
    const c = client;
    if (!c?.usable) return null;
    const uids = (await c.search({ from: chat }, { uid: true }).catch(() => false as const)) || [];
    const uid = uids.at(-1);
    if (uid === undefined) return null;
    const found = await c
      .fetchOne(String(uid), { source: { maxLength: 64 * 1024 } }, { uid: true })
      .catch(() => false as const);
    if (!found || !found.source) return null;
    const parsed = await parseEmail(found.source, { uidValidity: '0', uid, size: found.source.length }, deps.address);
    return parsed.message.chat === chat ? parsed.reply : null;
  };

  const handle = async (method: string, params: unknown): Promise<unknown> => {
    if (method === 'channel.test') {
      await deps.smtp.verify().catch((error: unknown) => Promise.reject(new Error(`SMTP: ${message(error)}`)));
      if (!client?.usable) throw new Error('IMAP: not connected to the mailbox (see aos channel ls for why)');
      await client.noop();
      return { account: deps.address, name: deps.address };
    }
    if (method !== 'channel.outbound')
      throw new ChannelError(-32601, `no method ${method} (email has no buttons nor edits)`, false);
    const out = outboundOf(params);
    const context =
      (out.reply_to ? contexts.get(out.reply_to) : undefined) ??
      latest.get(out.chat) ??
      (await lookUp(out.chat).catch(() => null));
    return sendReply(deps.smtp, deps.address, { to: out.chat, text: out.text, context });
  };

  const rpc = new LineRpc(io.input, io.output, handle, (why) => fatal(`the kernel's side closed: ${why}`));

  /** Hand over every unseen message, oldest first; each marked \Seen once the kernel answered. */
  const drain = async (c: ImapFlow): Promise<void> => {
    const uidValidity = String(c.mailbox ? c.mailbox.uidValidity : 0);
    const uids = (await c.search({ seen: false }, { uid: true })) || [];
    for (const uid of [...uids].sort((a, b) => a - b)) {
      if (stopped) return;
      const found = await c.fetchOne(
        String(uid),
        { uid: true, size: true, source: { maxLength: deps.fetchMaxBytes } },
        { uid: true },
      );
      if (!found || !found.source) continue;
      const ref = { uidValidity, uid, size: found.size ?? found.source.length };
      const parsed = await parseEmail(found.source, ref, deps.address).catch((error: unknown) => {
        rpc.notify('channel.status', { state: 'error', error: `message uid ${uid} not read: ${message(error)}` });
        return null;
      });
      if (parsed && !parsed.skip) {
        let answer: { status?: InboundStatus } | null;
        try {
          answer = await rpc.request<{ status?: InboundStatus } | null>('channel.inbound', parsed.message);
        } catch (error) {
          return fatal(`message uid ${uid} not handed over: ${message(error)}`);
        }
        if (!answer?.status || !STATUSES.includes(answer.status))
          return fatal(`the kernel answered channel.inbound with ${JSON.stringify(answer).slice(0, 200)}`);
        remember(contexts, parsed.message.message_id, parsed.reply, KEPT_CONTEXTS);
        remember(latest, parsed.message.chat, parsed.reply, KEPT_CONTEXTS);
      } else if (parsed?.skip) {
        rpc.notify('channel.status', { state: 'skipped', error: `message uid ${uid} not handed over: ${parsed.skip}` });
      }
      await c.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
    }
  };

  /** One connection: drain on connecting and whenever the server says mail arrived; ends when it closes. */
  const session = async (): Promise<void> => {
    const c = deps.openImap();
    client = c;
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.on('error', () => undefined);
    await c.connect();
    await c.mailboxOpen('INBOX');
    if (!helloSaid) {
      helloSaid = true;
      rpc.notify('channel.hello', { protocol: CHANNEL_PROTOCOL, channel: 'email', account: deps.address });
    }
    rpc.notify('channel.status', { state: 'polling' });
    let dirty = true;
    let wakeUp: () => void = () => undefined;
    wake = () => {
      dirty = true;
      wakeUp();
    };
    c.on('exists', () => wake());
    let open = true;
    void closed.then(() => {
      open = false;
      wakeUp();
    });
    while (open && !stopped) {
      if (dirty) {
        dirty = false;
        await drain(c);
        continue;
      }
      await new Promise<void>((resolve) => (wakeUp = resolve));
    }
  };

  const done = (async () => {
    let delay = backoff.firstMs;
    while (!stopped) {
      const started = Date.now();
      try {
        await session();
      } catch (error) {
        const tunnel = deps.lastTunnelError?.();
        const why = `IMAP: ${imapWhy(error)}${tunnel ? ` (${tunnel})` : ''}`;
        // Never in: a wrong password, a wrong server — the supervisor shows why, and starts it again later.
        if (!helloSaid) return fatal(why);
        if (!stopped) rpc.notify('channel.status', { state: 'error', error: why });
      }
      current()?.close();
      if (stopped) break;
      if (Date.now() - started >= backoff.healthyMs) delay = backoff.firstMs;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, backoff.maxMs);
    }
  })();

  return {
    done,
    stop: () => {
      stopped = true;
      current()?.close();
      wake();
    },
  };
}
