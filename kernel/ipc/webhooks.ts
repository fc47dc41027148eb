/**
 * Webhooks: the routes processes registered (persisted, so a URL outlives a kernel restart) and
 * the HTTP requests waiting for the owner's SYS_WEBHOOK_REPLY. A request reaches its owner as an
 * [EVENT::WEBHOOK] notice, which also interrupts a blocking call.
 */
import { nanoid } from 'nanoid';
import { AosError } from '../../sys/errno.js';
import type { WebhookReplyRequest as WebhookReply } from '../../syscalls/services.js';
import { param } from '../../sys/param.js';
import type { WebhookRecord } from '../store/api.js';
import { isEnded } from '../../sys/types.js';
import { type IpcCore, notify, type Peer } from './queues.js';

export interface Webhook {
  id: number;
  token: string;
  pid: number;
  path: string;
  /** A unit's route (kernel/units): each request starts a run, which answers it; no owner until then. */
  start?: (request: WebhookRequest, respond: (reply: WebhookReply, pid: number) => void) => Promise<StartedRun>;
}

/** What a unit's route did with a request: the run that will answer it, or the answer it gets now. */
export type StartedRun = { pid: number; request_id: string } | { reply: WebhookReply };

export type { WebhookReply };

export interface WebhookRequest {
  method: string;
  query: Record<string, string | string[]>;
  /** The headers an agent may see (no credentials). */
  headers: Record<string, string>;
  body: string;
  /** Any header by its lowercase name, for the kernel's own use (a delivery id): never shown to an agent. */
  header?: (name: string) => string | undefined;
}

export type Respond = (reply: WebhookReply) => void;

/** The secret in a webhook's URL: 192 random bits in URL-safe characters. */
const TOKEN_CHARS = 32;

interface Pending {
  pid: number;
  respond: Respond;
  timer: NodeJS.Timeout;
}

/** Meta key of the last request id handed out. */
export const REQUEST_SEQ_KEY = 'webhook_request_seq';

export const jsonError = (status: number, error: string): WebhookReply => ({
  status,
  body: JSON.stringify({ error }),
  contentType: 'application/json',
});

/** The listener the daemon opens for these routes (daemon/gateway.ts): the kernel only needs its address. */
export interface WebhookListener {
  readonly url: string;
  address(): { address: string; family: string; port: number };
  close(): Promise<void>;
}

export class Webhooks {
  private readonly byToken = new Map<string, Webhook>();
  private readonly byPid = new Map<number, Webhook[]>();
  private readonly pending = new Map<string, Pending>();
  /** pid -> ids of its waiting requests. */
  private readonly pendingByPid = new Map<number, Set<string>>();
  private lastId = 0;
  /** Request ids are w1, w2, ... for the kernel's life and across restarts (replay tapes can name them). */
  private requestSeq = 0;

  constructor(
    private readonly kernel: IpcCore & {
      readonly webhookBase: string | null;
      /** The body framed as outside data for its owner, who it taints (issue 49); absent: as it came. */
      webhookBody?(pid: number, detail: string, body: string): string;
    },
    /** How long a request waits for its process's SYS_WEBHOOK_REPLY. */
    readonly replyTimeoutMs: number,
  ) {}

  /** After a restart: every webhook the store knows (an ended owner's still answers 410). */
  restore(records: readonly WebhookRecord[], requestSeq: number): void {
    for (const r of records) this.add({ id: r.id, token: r.token, pid: r.pid, path: r.path });
    this.requestSeq = Math.max(this.requestSeq, requestSeq);
  }

  /** The first of `count` ids no webhook here has or will be given (a tree moved here from a dead node brings its own). */
  reserve(count: number): number {
    const first = this.lastId + 1;
    this.lastId += count;
    return first;
  }

  private add(hook: Webhook): void {
    this.byToken.set(hook.token, hook);
    this.byPid.set(hook.pid, [...(this.byPid.get(hook.pid) ?? []), hook]);
    this.lastId = Math.max(this.lastId, hook.id);
  }

  /** A unit's route (not stored here: the units keep their tokens); it answers once the gateway listens. */
  addRoute(token: string, path: string, start: NonNullable<Webhook['start']>): void {
    this.byToken.set(token, { id: 0, token, pid: 0, path, start });
  }

  /** The URL of a route, or null while no gateway listens. */
  urlOf(token: string, path: string): string | null {
    const base = this.kernel.webhookBase;
    return base === null ? null : `${base}/hooks/${token}/${path}`;
  }

  removeRoute(token: string): void {
    if (this.byToken.get(token)?.start) this.byToken.delete(token);
  }

  /** A request id, and `respond` kept until process `pid` answers it (or the timeout, or its end): a unit run's own request. */
  awaitReply(pid: number, respond: Respond): string {
    const id = `w${++this.requestSeq}`;
    this.kernel.store.setMeta(REQUEST_SEQ_KEY, this.requestSeq);
    const timer = setTimeout(() => this.expire(id), this.replyTimeoutMs);
    this.pending.set(id, { pid, respond, timer });
    const ids = this.pendingByPid.get(pid) ?? new Set<string>();
    this.pendingByPid.set(pid, ids.add(id));
    return id;
  }

  /** SYS_REGISTER_WEBHOOK: the same path twice gives the same URL. */
  register(proc: Peer, path: string): { url: string; webhook_id: number } {
    const base = this.kernel.webhookBase;
    if (base === null)
      throw new AosError('EIO', 'webhooks are not enabled in this kernel (start it with a webhook port)');
    const mine = this.byPid.get(proc.pid) ?? [];
    let hook = mine.find((h) => h.path === path);
    if (!hook) {
      if (mine.length >= param.maxWebhooksPerProcess) {
        throw new AosError('EAGAIN', `too many webhooks (limit ${param.maxWebhooksPerProcess} per process)`);
      }
      hook = { id: this.lastId + 1, token: nanoid(TOKEN_CHARS), pid: proc.pid, path };
      this.add(hook);
      this.kernel.store.mail.putWebhook({ ...hook, created_at: Date.now() });
    }
    return { url: `${base}/hooks/${hook.token}/${hook.path}`, webhook_id: hook.id };
  }

  /** The webhook at this token and path; a right token with a wrong path is no webhook. */
  find(token: string, path: string): Webhook | undefined {
    const hook = this.byToken.get(token);
    return hook && hook.path === path ? hook : undefined;
  }

  /** The owner, while it lives. */
  owner(hook: Webhook): Peer | undefined {
    const proc = this.kernel.table.get(hook.pid);
    return proc && !isEnded(proc.pcb.state) ? proc : undefined;
  }

  pendingOf(pid: number): number {
    return this.pendingByPid.get(pid)?.size ?? 0;
  }

  /** Hand a request to its owner; `respond` is called exactly once unless the request is cancelled. */
  deliver(hook: Webhook, owner: Peer, request: WebhookRequest, respond: Respond): string {
    const id = `w${++this.requestSeq}`;
    this.kernel.store.setMeta(REQUEST_SEQ_KEY, this.requestSeq);
    const timer = setTimeout(() => this.expire(id), this.replyTimeoutMs);
    this.pending.set(id, { pid: owner.pid, respond, timer });
    const ids = this.pendingByPid.get(owner.pid) ?? new Set<string>();
    this.pendingByPid.set(owner.pid, ids.add(id));
    const cut = request.body.length > param.webhookMaxEventBodyChars;
    const payload = {
      request_id: id,
      webhook_id: hook.id,
      method: request.method,
      path: hook.path,
      query: request.query,
      headers: request.headers,
      body: this.framed(
        owner.pid,
        `${request.method} /${hook.path}`,
        cut ? request.body.slice(0, param.webhookMaxEventBodyChars) : request.body,
      ),
      ...(cut ? { body_truncated: true, body_chars: request.body.length } : {}),
      hint: `answer with SYS_WEBHOOK_REPLY {"request_id":"${id}"} within ${Math.round(this.replyTimeoutMs / 1000)}s`,
    };
    const preview = request.body.slice(0, param.maxNoticePreviewBytes);
    const content = `${request.method} /${hook.path} (${id})${preview ? `: ${preview}` : ''}`;
    this.kernel.events.emit({
      type: 'message',
      pid: owner.pid,
      from_pid: 0,
      to_pid: owner.pid,
      channel: 'webhook',
      content,
    });
    // Not formatEvent: its preview cut would break the JSON; the body is cut above instead.
    notify(this.kernel.store, owner, { kind: 'webhook', text: `[EVENT::WEBHOOK] ${JSON.stringify(payload)}` });
    return id;
  }

  private framed(pid: number, detail: string, body: string): string {
    return this.kernel.webhookBody ? this.kernel.webhookBody(pid, detail, body) : body;
  }

  /** SYS_WEBHOOK_REPLY; without an id, the one request the process has waiting (a unit run's). */
  reply(proc: Peer, given: string | undefined, reply: WebhookReply): void {
    let id = given;
    if (id === undefined) {
      const mine = [...(this.pendingByPid.get(proc.pid) ?? [])];
      if (mine.length !== 1)
        throw new AosError(
          'EINVAL',
          mine.length === 0
            ? 'no webhook request is waiting for this process'
            : `request_id is required: ${mine.length} requests are waiting (${mine.join(', ')})`,
        );
      id = mine[0] as string;
    }
    const entry = this.pending.get(id);
    if (!entry)
      throw new AosError(
        'ENOENT',
        `no pending webhook request ${id} (already answered, timed out, or its client went away)`,
      );
    if (entry.pid !== proc.pid) throw new AosError('EPERM', `webhook request ${id} belongs to process ${entry.pid}`);
    this.settle(id, reply);
  }

  /** The client went away: forget the request. */
  cancel(id: string): void {
    this.take(id);
  }

  /** The owner ended: its waiting callers learn it now, not at the timeout. */
  processEnded(pid: number): void {
    for (const id of [...(this.pendingByPid.get(pid) ?? [])]) {
      this.settle(id, jsonError(410, 'the process that owned this webhook has ended'));
    }
  }

  /** The kernel is stopping: answer everything still waiting. */
  closeAll(): void {
    for (const id of [...this.pending.keys()]) this.settle(id, jsonError(503, 'the kernel is stopping'));
  }

  private expire(id: string): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.kernel.events.emit({
      type: 'error',
      pid: entry.pid,
      message: `webhook request ${id} got no reply in ${this.replyTimeoutMs} ms: answered 504`,
    });
    this.settle(id, jsonError(504, 'the process did not reply in time'));
  }

  private settle(id: string, reply: WebhookReply): void {
    this.take(id)?.respond(reply);
  }

  private take(id: string): Pending | undefined {
    const entry = this.pending.get(id);
    if (!entry) return undefined;
    clearTimeout(entry.timer);
    this.pending.delete(id);
    const ids = this.pendingByPid.get(entry.pid);
    ids?.delete(id);
    if (ids?.size === 0) this.pendingByPid.delete(entry.pid);
    return entry;
  }
}
