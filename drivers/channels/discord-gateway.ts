/**
 * A Discord bot's Gateway session (issue 53): the WebSocket Discord pushes messages on, through the
 * egress proxy (the dispatcher given). HELLO (op 10) → IDENTIFY (op 2: token and intents) or, for a
 * session it had, RESUME (op 6: session and sequence) → READY / RESUMED → dispatches (op 0), each
 * handed to `onDispatch` one at a time in order; heartbeats (op 1) every `heartbeat_interval`, and
 * a connection whose last heartbeat was not acknowledged (op 11) is taken for dead and resumed.
 * RECONNECT (op 7) resumes; INVALID_SESSION (op 9) resumes when Discord says it may, and identifies
 * anew otherwise; a close Discord says is final (a bad token, intents not enabled) ends the adapter
 * with the reason.
 *
 * The sequence a RESUME names is that of the last dispatch the kernel has answered for, not the
 * last received: Discord replays what follows it, so nothing that was on its way to the kernel when
 * the connection dropped is lost (the kernel's dedup answers a replay "duplicate"); a resume URL
 * that cannot be reached (no HELLO came) is dropped for the gateway's own. What arrives
 * while more than `queueMax` dispatches wait is not taken: the connection is closed, and resumed
 * once the kernel has caught up, from the last one answered. A frame that is not JSON, or an op it
 * does not know, is ignored (said once a connection on stderr).
 */
import { type Dispatcher, WebSocket } from 'undici';
import { FINAL_CLOSES, DISCORD_INTENTS, isWs, SESSION_GONE } from './discord-codes.js';
import type { DiscordRest } from './discord-rest.js';

export interface GatewayUser {
  id: string;
  username: string;
  global_name?: string | null;
}

export interface GatewayOptions {
  rest: DiscordRest;
  token: string;
  dispatcher: Dispatcher;
  /** A dispatch (op 0) other than READY and RESUMED; the next is handed over once this one settles. */
  onDispatch(type: string, data: unknown): Promise<void>;
  /** READY: who the bot is. */
  onReady(user: GatewayUser): void;
  onStatus(state: string, error?: string): void;
  /** The gateway will not take the bot: end the adapter with this reason. */
  onFatal(why: string): void;
  /** Dispatches waiting for the kernel at most. */
  queueMax: number;
  /** Reconnects back off from this to 60 s (ms). */
  reconnectDelayMs?: number;
}

type Frame = { op?: unknown; d?: unknown; s?: unknown; t?: unknown };

export class DiscordGateway {
  private gatewayUrl = '';
  private session: { id: string; resumeUrl: string } | null = null;
  /** The sequence of the last dispatch the kernel answered for (a RESUME's). */
  private committed: number | null = null;
  /** The last sequence received (a heartbeat's). */
  private received: number | null = null;
  /** Counts sessions: a dispatch of an earlier one never moves the sequence of a later one. */
  private epoch = 0;
  private ws: WebSocket | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private acked = true;
  private chain: Promise<void> = Promise.resolve();
  private waiting = 0;
  private overflow = false;
  private failures = 0;
  private stopped = false;
  private noted = false;
  /** Whether this connection got its HELLO: one that did not never reached a gateway. */
  private greeted = false;

  constructor(private readonly o: GatewayOptions) {}

  /** Asks Discord where its gateway is (`GET /gateway/bot`, which checks the token too) and connects. */
  async start(): Promise<void> {
    const answer = await this.o.rest.call<{ url?: unknown }>('GET', '/gateway/bot');
    if (!isWs(answer?.url))
      throw new Error(`GET /gateway/bot gave no ws(s) url: ${JSON.stringify(answer).slice(0, 120)}`);
    this.gatewayUrl = answer.url;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.ws?.close(1000);
  }

  private connect(): void {
    if (this.stopped) return;
    const base = this.session?.resumeUrl || this.gatewayUrl;
    const url = new URL(base);
    url.searchParams.set('v', '10');
    url.searchParams.set('encoding', 'json');
    let ws: WebSocket;
    try {
      ws = new WebSocket(url.href, { dispatcher: this.o.dispatcher });
    } catch (error) {
      if (this.session) this.session.resumeUrl = '';
      return this.later(`cannot open ${url.host}: ${(error as Error).message}`);
    }
    this.ws = ws;
    this.noted = false;
    this.greeted = false;
    this.acked = true;
    ws.addEventListener('message', (event) => {
      if (this.ws !== ws) return;
      // Whatever a frame holds, it never throws out of here (that would end the program).
      try {
        this.take(event.data);
      } catch (error) {
        this.note(`a gateway frame not understood, ignored: ${(error as Error).message}`);
      }
    });
    ws.addEventListener('close', (event) => {
      if (this.ws === ws) this.closed(event.code, event.reason);
    });
    ws.addEventListener('error', () => undefined);
  }

  private send(op: number, d: unknown): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ op, d }));
  }

  private note(why: string): void {
    if (this.noted) return;
    this.noted = true;
    process.stderr.write(`discord adapter: ${why}\n`);
  }

  private take(data: unknown): void {
    if (typeof data !== 'string') return this.note('a binary gateway frame, ignored');
    let frame: Frame;
    try {
      frame = JSON.parse(data) as Frame;
    } catch {
      return this.note('a gateway frame that is not JSON, ignored');
    }
    if (typeof frame !== 'object' || frame === null) return this.note('a gateway frame that is not an object, ignored');
    switch (frame.op) {
      case 10:
        return this.hello(frame.d);
      case 11:
        this.acked = true;
        return;
      case 1:
        return this.send(1, this.received);
      case 7:
        return this.reconnect(4000, 'Discord asked for a reconnect');
      case 9:
        if (frame.d !== true) this.forgetSession();
        return this.reconnect(4000, 'Discord said the session is invalid', 1000 + Math.random() * 4000);
      case 0:
        return this.dispatch(frame);
      default:
        return this.note(`gateway op ${String(JSON.stringify(frame.op) ?? 'none').slice(0, 20)} not known, ignored`);
    }
  }

  private hello(d: unknown): void {
    const said = (d as { heartbeat_interval?: unknown } | null)?.heartbeat_interval;
    const interval = typeof said === 'number' && said >= 1000 && said <= 600_000 ? said : 41_250;
    this.greeted = true;
    this.clearTimers();
    const beat = (): void => {
      if (!this.acked) return this.reconnect(4000, 'no heartbeat acknowledged');
      this.acked = false;
      this.send(1, this.received);
    };
    this.heartbeat = setTimeout(() => {
      beat();
      this.heartbeat = setInterval(beat, interval);
    }, interval * Math.random());
    if (this.session) {
      this.send(6, { token: this.o.token, session_id: this.session.id, seq: this.committed });
      return;
    }
    this.epoch++;
    this.committed = null;
    this.received = null;
    this.send(2, {
      token: this.o.token,
      intents: DISCORD_INTENTS,
      properties: { os: 'linux', browser: 'aos', device: 'aos' },
    });
  }

  private dispatch(frame: Frame): void {
    const seq = typeof frame.s === 'number' && Number.isSafeInteger(frame.s) ? frame.s : null;
    const type = typeof frame.t === 'string' ? frame.t : '';
    if (type === 'READY') {
      const d = frame.d as { session_id?: unknown; resume_gateway_url?: unknown; user?: GatewayUser } | null;
      const user = d?.user;
      if (typeof d?.session_id !== 'string' || typeof user?.id !== 'string' || typeof user.username !== 'string')
        return this.note('a READY without session_id or user, ignored');
      this.session = { id: d.session_id, resumeUrl: isWs(d.resume_gateway_url) ? d.resume_gateway_url : '' };
      this.ready(seq);
      this.o.onReady(user);
      return;
    }
    if (type === 'RESUMED') return this.ready(seq);
    if (this.overflow) return;
    if (this.waiting >= this.o.queueMax) {
      // Taken no further: resumed from the last one answered once the kernel has caught up.
      this.overflow = true;
      this.reconnect(4000, `more than ${this.o.queueMax} messages waiting for the kernel`);
      return;
    }
    if (seq !== null) this.received = seq;
    const epoch = this.epoch;
    this.waiting++;
    this.chain = this.chain
      .then(() => this.o.onDispatch(type, frame.d))
      .then(() => {
        if (seq !== null && epoch === this.epoch && (this.committed === null || seq > this.committed))
          this.committed = seq;
      })
      .catch((error: unknown) => this.note(`a ${type} not handled: ${(error as Error).message}`))
      .finally(() => this.waiting--);
  }

  private ready(seq: number | null): void {
    if (seq !== null) this.received = seq;
    this.failures = 0;
    this.o.onStatus('running');
  }

  private forgetSession(): void {
    this.session = null;
    this.committed = null;
    this.received = null;
    this.epoch++;
  }

  /** This connection ended from our side; a new one (resuming when there is a session) after `delayMs`. */
  private reconnect(code: number, why: string, delayMs?: number): void {
    const ws = this.ws;
    this.ws = null;
    this.clearTimers();
    try {
      ws?.close(code, why.slice(0, 100));
    } catch {
      ws?.close();
    }
    this.later(why, delayMs);
  }

  private closed(code: number, reason: string): void {
    this.ws = null;
    this.clearTimers();
    if (this.stopped) return;
    const final = FINAL_CLOSES[code];
    if (final) return this.o.onFatal(final);
    if (SESSION_GONE.has(code)) this.forgetSession();
    // A resume URL that leads nowhere (refused by the egress proxy, gone): resume through the gateway's own.
    else if (!this.greeted && this.session?.resumeUrl) this.session.resumeUrl = '';
    this.later(`the gateway closed (${code}${reason ? ` ${reason.slice(0, 100)}` : ''})`);
  }

  private later(why: string, delayMs?: number): void {
    if (this.stopped) return;
    this.o.onStatus('reconnecting', why);
    const base = this.o.reconnectDelayMs ?? 1000;
    const wait = delayMs ?? Math.min(base * 2 ** this.failures, 60_000);
    this.failures++;
    if (this.retry) clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.retry = null;
      if (!this.overflow) return this.connect();
      // Caught up first: what waited is answered, and the resume starts after it.
      void this.chain.then(() => {
        this.overflow = false;
        this.connect();
      });
    }, wait);
  }

  private clearTimers(): void {
    if (this.heartbeat) {
      clearTimeout(this.heartbeat);
      clearInterval(this.heartbeat);
    }
    this.heartbeat = null;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
  }
}
