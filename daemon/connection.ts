/** One client connection: JSON lines in, validated requests dispatched, responses and pushes out. */
import type net from 'node:net';
import { AosError } from '../sys/errno.js';
import type { DaemonLogger } from './log.js';
import { LineDecoder, LineTooLongError } from '../protocol/json-lines.js';
import type { KernelApi } from '../kernel/api.js';
import { param } from '../sys/param.js';
import { RawJson } from '../protocol/raw-json.js';
import {
  MAX_CLIENT_BACKLOG_BYTES,
  READ_PAUSE_BYTES,
  MAX_REQUEST_LINE_BYTES,
  type Method,
  type Response,
  type WireError,
} from '../protocol/protocol.js';
import { parseRequest } from './parse-request.js';
import { handlers, type MethodContext, type ServerInfo } from './methods/methods.js';
import type { PushTarget, StreamHub } from './streams.js';

export interface ConnectionDeps {
  kernel: KernelApi;
  hub: StreamHub;
  info: ServerInfo;
  log: DaemonLogger;
  requestShutdown(): void;
  onClose(conn: Connection): void;
}

function runHandler(method: Method, params: unknown, ctx: MethodContext): unknown {
  // The params were parsed by METHODS[method].params: the handler for `method` takes exactly them.
  const handler = handlers[method] as (params: unknown, ctx: MethodContext) => unknown;
  return handler(params, ctx);
}

export class Connection implements PushTarget {
  private readonly decoder = new LineDecoder(MAX_REQUEST_LINE_BYTES);
  private nextSub = 1;
  private pending = 0;
  /** Request lines read but not handled yet (past param.requestsPerTick or requestSliceMs in one turn of the loop). */
  private queued: string[] = [];
  private draining = false;
  private inputEnded = false;
  private closed = false;
  /** The socket is corked until the current turn of the event loop ends (batch()). */
  private corked = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly deps: ConnectionDeps,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.inputEnded = true;
      this.finishIfIdle();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.onClosed());
  }

  pushLine(line: string): void {
    this.write(line);
  }

  flush(): void {
    if (this.corked) this.uncork();
  }

  /** Every line out goes through here: a client that stops reading is dropped, never buffered without bound. */
  private write(line: string): void {
    this.writeParts([`${line}\n`]);
  }

  /** `written` runs once the parts are out (or dropped with the connection). */
  private writeParts(parts: ReadonlyArray<string | Buffer>, written?: () => void): void {
    if (this.closed || !this.socket.writable) return written?.();
    if (this.socket.writableLength > MAX_CLIENT_BACKLOG_BYTES) {
      this.deps.log(
        'warn',
        `disconnecting a client that stopped reading: ${this.socket.writableLength} bytes unsent (limit ${MAX_CLIENT_BACKLOG_BYTES})`,
      );
      this.deps.hub.drop(this);
      this.socket.destroy();
      return written?.();
    }
    this.batch();
    parts.forEach((part, i) => this.socket.write(part, i === parts.length - 1 ? () => written?.() : undefined));
    // Pipelined requests wait while this client's answers pile up: its backlog stays near one reply.
    if (this.socket.writableLength > READ_PAUSE_BYTES && !this.socket.isPaused()) {
      this.socket.pause();
      this.socket.once('drain', () => this.socket.resume());
    }
  }

  /**
   * Lines written in one turn of the event loop leave in one write when it ends (its check phase):
   * a commit that answers 32 spawns, or a round of replies that ends 100 processes awaited with
   * `wait`, makes one system call and one wake-up of the client, not one each.
   */
  private batch(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    setImmediate(this.uncork);
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  /** Close politely: flush what is queued, then hang up. */
  end(): void {
    this.closed = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private send(response: Response): void {
    // JSON made elsewhere goes out as it is: no parse and stringify of ~35 MB on the kernel's thread.
    if (response.ok && response.result instanceof RawJson) {
      const raw = response.result;
      this.writeParts([`{"id":${JSON.stringify(response.id)},"ok":true,"result":`, raw.bytes, '}\n'], () =>
        raw.release(),
      );
      return;
    }
    this.write(JSON.stringify(response));
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let lines: string[];
    try {
      lines = this.decoder.push(chunk);
    } catch (error) {
      if (!(error instanceof LineTooLongError)) throw error;
      this.send({
        id: null,
        ok: false,
        error: { code: 'EFBIG', message: `request line longer than ${error.maxBytes} bytes; closing the connection` },
      });
      this.deps.hub.drop(this);
      this.end();
      return;
    }
    for (const line of lines) this.queued.push(line);
    this.drain();
  }

  /** Handle a slice of the queued requests; the rest after the loop has turned, reading paused meanwhile. */
  private drain(): void {
    if (this.draining) return;
    const until = performance.now() + param.requestSliceMs;
    let handled = 0;
    while (handled < this.queued.length && handled < param.requestsPerTick && !this.closed) {
      this.handle(this.queued[handled++] as string);
      if (performance.now() >= until) break;
    }
    this.queued.splice(0, handled);
    // The answers this slice made at once (ps, stats) leave now, together: at the end of the loop's
    // turn they waited behind every callback queued for it (turn slices, a commit), which under a
    // burst of 1,000 agents held a `ps` of 5 ms for 45-57 ms at p99.
    this.flush();
    if (this.queued.length === 0 || this.closed) return this.finishIfIdle();
    this.draining = true;
    this.socket.pause();
    setImmediate(() => {
      this.draining = false;
      this.resumeReading();
      this.drain();
    });
  }

  /** Read again, once this client has taken its answers (see write()). */
  private resumeReading(): void {
    if (this.socket.writableLength <= READ_PAUSE_BYTES) this.socket.resume();
    else this.socket.once('drain', () => this.resumeReading());
  }

  private handle(line: string): void {
    const request = parseRequest(line);
    if ('error' in request) {
      this.send({ id: request.id, ok: false, error: request.error });
      return;
    }
    const { id, method } = request;
    const after: Array<() => void> = [];
    const ctx: MethodContext = {
      kernel: this.deps.kernel,
      // Whatever the client says it is, it came on the unix socket.
      via: 'socket',
      hub: this.deps.hub,
      info: this.deps.info,
      target: this,
      newSub: () => this.nextSub++,
      afterResponse: (fn) => after.push(fn),
      requestShutdown: () => this.deps.requestShutdown(),
    };
    const finish = (response: Response): void => {
      this.send(response);
      for (const fn of after) fn();
      this.pending--;
      this.finishIfIdle();
    };
    this.pending++;
    try {
      const out = runHandler(method, request.params, ctx);
      if (out instanceof Promise) {
        void out.then(
          (result: unknown) => finish({ id, ok: true, result }),
          (error: unknown) => finish({ id, ok: false, error: this.wireError(method, error) }),
        );
      } else {
        finish({ id, ok: true, result: out });
      }
    } catch (error) {
      finish({ id, ok: false, error: this.wireError(method, error) });
    }
  }

  private wireError(method: Method, error: unknown): WireError {
    if (error instanceof AosError) return { code: error.code, message: error.message };
    const message = error instanceof Error ? error.message : String(error);
    this.deps.log(
      'error',
      `${method} failed inside the kernel: ${error instanceof Error ? (error.stack ?? message) : message}`,
    );
    return { code: 'EKERNEL', message: `${method} failed inside the kernel: ${message}` };
  }

  /** A client that half-closed gets its last answers, then the connection ends. */
  private finishIfIdle(): void {
    if (this.inputEnded && this.pending === 0 && this.queued.length === 0 && !this.closed) this.end();
  }

  private onClosed(): void {
    this.closed = true;
    this.deps.hub.drop(this);
    this.deps.onClose(this);
  }
}
