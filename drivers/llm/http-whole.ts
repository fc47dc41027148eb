/**
 * One HTTP request read whole, straight on undici's dispatcher: a handler that keeps the status,
 * the headers and the body's chunks, and settles one promise. undici's request() API puts a
 * Readable stream, an AsyncResource and its own abort plumbing on every request; a reply read
 * whole needs none of them. At 100 concurrent 12 KB POSTs to a local server (bench/delay's HTTP
 * workload) that was ~30 % of the client's CPU a request.
 */
import type { Dispatcher } from 'undici';
import type { Progress } from './deadline.js';
import { ReplyBytes, replyTooLarge } from '../reply-cap.js';

export type ReplyHeaders = Record<string, string | string[] | undefined>;

export interface WholeReply {
  status: number;
  headers: ReplyHeaders;
  bodyText: string;
}

/** Where a URL's requests go: undici's origin and path, parsed once per URL. */
interface Target {
  origin: string;
  path: string;
}

const targets = new Map<string, Target>();
/** A driver has one or two URLs; this bounds a process that talks to many. */
const MAX_TARGETS = 256;

function targetOf(url: string): Target {
  let target = targets.get(url);
  if (target === undefined) {
    const parsed = new URL(url);
    target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
    if (targets.size >= MAX_TARGETS) targets.clear();
    targets.set(url, target);
  }
  return target;
}

class WholeHandler implements Dispatcher.DispatchHandler {
  private status = 0;
  private headers: ReplyHeaders = {};
  private readonly chunks: Buffer[] = [];
  private readonly bytes = new ReplyBytes();
  private controller: Dispatcher.DispatchController | null = null;
  /** Set when the signal aborted before the request had a connection to abort. */
  private reason: unknown = undefined;
  private settled = false;
  readonly onAbort = (): void => {
    this.reason = this.signal.reason ?? new Error('aborted');
    this.controller?.abort(this.reason as Error);
  };

  constructor(
    private readonly signal: AbortSignal,
    private readonly progress: Progress | undefined,
    private readonly resolve: (reply: WholeReply) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.reason !== undefined) controller.abort(this.reason as Error);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: ReplyHeaders): void {
    // 1xx (100 Continue, 103 Early Hints) is not the answer.
    if (statusCode < 200) return;
    this.status = statusCode;
    this.headers = headers;
    this.progress?.began();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    if (this.bytes.add(chunk.length)) {
      this.chunks.push(chunk);
      return;
    }
    // A reply past the bound is not one: cut, and what came of it let go.
    const error = replyTooLarge(this.bytes.max);
    this.chunks.length = 0;
    this.settle();
    this.reject(error);
    controller.abort(error);
  }

  onResponseEnd(): void {
    if (this.settle()) return;
    const { chunks } = this;
    const bodyText =
      chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
    // undici frees the connection on the next turn of the event loop (a setImmediate it queues after
    // this returns): the caller's next request, sent as soon as this resolved, would find it busy and
    // open another. Resolve after that one has run.
    const reply = { status: this.status, headers: this.headers, bodyText };
    queueMicrotask(() => setImmediate(this.resolve, reply));
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    if (this.settle()) return;
    this.reject(error);
  }

  /** Whether it had already settled; stops listening to the signal. */
  private settle(): boolean {
    if (this.settled) return true;
    this.settled = true;
    this.signal.removeEventListener('abort', this.onAbort);
    return false;
  }
}

/** `method` `url` on `dispatcher`; resolves with the whole reply, whatever its status; rejects as undici fails. */
export function requestWhole(
  dispatcher: Dispatcher,
  method: 'GET' | 'POST',
  url: string,
  headers: Record<string, string>,
  body: string | Buffer | null,
  signal: AbortSignal,
  progress?: Progress,
): Promise<WholeReply> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const { origin, path } = targetOf(url);
    const handler = new WholeHandler(signal, progress, resolve, reject);
    signal.addEventListener('abort', handler.onAbort, { once: true });
    dispatcher.dispatch({ origin, path, method, headers, body }, handler);
  });
}
