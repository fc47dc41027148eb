/**
 * The kernel client: one socket connection, typed requests, and streams (`logs` with follow,
 * `subscribe`) as async iterators. Responses and pushes are checked against protocol-results.ts
 * (zod-free: this is the CLI's start-up path).
 * Connecting with auto-start lives in client-connect.ts.
 */
import net from 'node:net';
import { type ClientSocket, pipeAvailable, PipeSocket } from './pipe.js';
import { connectReason, KernelUnreachableError, remoteError } from './errors.js';
import { LineDecoder, LineTooLongError } from '../protocol/json-lines.js';
import type { Method, ParamsOf, ResultOf, StreamMethod } from '../protocol/protocol.js';
import {
  MAX_REQUEST_LINE_BYTES,
  MAX_RESPONSE_LINE_BYTES,
  PROTOCOL_VERSION,
  type Push,
  pushShape,
  RESULTS,
  responseShape,
  type Response,
} from '../protocol/protocol-results.js';
import { PushQueue } from './push-queue.js';
import { AosError } from '../sys/errno.js';

export interface ClientPaths {
  socket: string;
  kernelLog: string;
}

/** A stream's first answer, then its pushes (`log`…`end` for logs, `event`/`stats` for subscribe). */
export interface Stream<M extends StreamMethod> {
  result: ResultOf<M>;
  pushes: PushQueue<Push>;
}

interface Pending {
  method: Method;
  stream: boolean;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class KernelClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly streams = new Map<number, PushQueue<Push>>();
  private readonly decoder = new LineDecoder(MAX_RESPONSE_LINE_BYTES);
  private closedByUs = false;
  private gone: Error | null = null;
  /** Request lines not written yet (send()). */
  private outbox: string[] = [];

  private constructor(
    private readonly socket: ClientSocket,
    readonly paths: ClientPaths,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.onGone(error.message));
    socket.on('close', () => this.onGone('the kernel closed the connection'));
  }

  static connect(paths: ClientPaths, options: { timeoutMs?: number } = {}): Promise<KernelClient> {
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        hangUp();
        reject(KernelUnreachableError.connect(paths.socket, `no answer within ${timeoutMs} ms`, paths.kernelLog));
      }, timeoutMs);
      const connected = (socket: ClientSocket): void => {
        clearTimeout(timer);
        if (late) return void socket.destroy();
        resolve(new KernelClient(socket, paths));
      };
      const failed = (error: unknown): void => {
        clearTimeout(timer);
        reject(KernelUnreachableError.connect(paths.socket, connectReason(error), paths.kernelLog));
      };
      let hangUp = (): void => undefined;
      // node:net only where node's pipe handle is not ours to use (pipe.ts).
      if (pipeAvailable()) {
        PipeSocket.connect(paths.socket).then(connected, failed);
        return;
      }
      const socket = net.createConnection(paths.socket);
      hangUp = () => socket.destroy();
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        connected(socket);
      });
      socket.once('error', failed);
    });
  }

  request<M extends Method>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    return this.call(method, params, false) as Promise<ResultOf<M>>;
  }

  /** Open a stream; iterate `pushes` for what follows (a logs request without follow has none). */
  stream<M extends StreamMethod>(method: M, params: ParamsOf<M>): Promise<Stream<M>> {
    return this.call(method, params, true) as Promise<Stream<M>>;
  }

  /** Hang up (what was asked is sent first); open streams end quietly, pending requests fail. */
  close(): void {
    this.flush();
    this.closedByUs = true;
    this.socket.destroy();
  }

  private call(method: Method, params: unknown, stream: boolean): Promise<unknown> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { method, stream, resolve, reject });
      // Every request but the ping names our protocol: a kernel that speaks another refuses it
      // unread, so a request may follow the ping before its answer (connect.ts openKernel).
      const line = `${JSON.stringify(method === 'ping' ? { id, method, params } : { id, method, params, protocol: PROTOCOL_VERSION })}\n`;
      // The kernel hangs up on a line over its limit, and every later request on this connection would
      // fail with it: refuse the one request here and keep the connection (an MCP session's, a CLI's).
      const bytes = Buffer.byteLength(line);
      if (bytes > MAX_REQUEST_LINE_BYTES) {
        this.pending.delete(id);
        reject(
          new AosError(
            'EFBIG',
            `${method}: the request is ${bytes} bytes, over the kernel's limit of ${MAX_REQUEST_LINE_BYTES} bytes for one request`,
          ),
        );
        return;
      }
      this.send(line);
    });
  }

  /**
   * Lines asked for in one go (a script's hundred spawns in a loop) leave in one write once the
   * caller's synchronous code is done: one system call and one read by the kernel, not one each.
   */
  private send(line: string): void {
    this.outbox.push(line);
    if (this.outbox.length === 1) queueMicrotask(this.flush);
  }

  private readonly flush = (): void => {
    if (this.outbox.length === 0) return;
    const text = this.outbox.length === 1 ? (this.outbox[0] as string) : this.outbox.join('');
    this.outbox = [];
    if (!this.gone) this.socket.write(text);
  };

  private onData(chunk: Buffer): void {
    let lines: string[];
    try {
      lines = this.decoder.push(chunk);
    } catch (error) {
      if (!(error instanceof LineTooLongError)) throw error;
      this.fail(`the kernel sent a line longer than ${error.maxBytes} bytes`);
      return;
    }
    for (const line of lines) {
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        this.fail('the kernel sent a line that is not JSON');
        return;
      }
      if (typeof message === 'object' && message !== null && 'event' in message) this.onPush(message);
      else this.onResponse(message);
    }
  }

  private onResponse(message: unknown): void {
    const problem = responseShape.problem(message);
    if (problem !== null) return this.fail(`the kernel sent a malformed response: ${problem}`);
    const response = message as Response;
    if (response.id === null || typeof response.id !== 'number') {
      // A refusal of the connection itself (e.g. an oversized line): every request shares it.
      if (!response.ok) for (const p of this.pending.values()) p.reject(remoteError(response.error));
      this.pending.clear();
      return;
    }
    const pending = this.pending.get(response.id);
    if (!pending) return;
    this.pending.delete(response.id);
    if (!response.ok) return pending.reject(remoteError(response.error));
    const wrong = RESULTS[pending.method].problem(response.result);
    if (wrong !== null)
      return pending.reject(new AosError('EIO', `the kernel sent a malformed ${pending.method} result: ${wrong}`));
    if (!pending.stream) return pending.resolve(response.result);
    pending.resolve({ result: response.result, pushes: this.openQueue(response.result) });
  }

  /** Registered before the response resolves, so pushes that arrive in the same chunk are kept. */
  private openQueue(result: unknown): PushQueue<Push> {
    const sub = (result as { sub?: unknown }).sub;
    if (typeof sub !== 'number') {
      const ended = new PushQueue<Push>();
      ended.end();
      return ended;
    }
    const queue = new PushQueue<Push>(() => {
      this.streams.delete(sub);
      if (!this.gone) void this.request('unsubscribe', { sub }).catch(() => undefined);
    });
    this.streams.set(sub, queue);
    return queue;
  }

  private onPush(message: object): void {
    const problem = pushShape.problem(message);
    if (problem !== null) return this.fail(`the kernel sent a malformed push: ${problem}`);
    const push = message as Push;
    const queue = this.streams.get(push.sub);
    if (!queue) return;
    queue.push(push);
    if (push.event === 'end') {
      this.streams.delete(push.sub);
      queue.end();
    }
  }

  private fail(reason: string): void {
    this.onGone(reason);
    this.socket.destroy();
  }

  private onGone(reason: string): void {
    if (this.gone) return;
    const error = this.closedByUs
      ? new KernelUnreachableError('lost', this.paths.socket, 'the connection to the kernel was closed')
      : KernelUnreachableError.lost(this.paths.socket, reason);
    this.gone = error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    for (const queue of this.streams.values()) queue.end(this.closedByUs ? undefined : error);
    this.streams.clear();
  }
}
