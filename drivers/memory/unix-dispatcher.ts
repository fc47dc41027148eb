/**
 * A fetch dispatcher that sends every request through one unix socket, whatever the URL's host.
 *
 * Node 20's fetch (its bundled undici) takes a `dispatcher` in its init, and chromadb's client
 * passes `fetchOptions` into every Request it makes. But Node exports no undici `Agent` to build
 * one with `connect: { socketPath }`, and the `undici` package is not a dependency; so this
 * implements the one method fetch calls, `dispatch(options, handler)` (undici's documented
 * Dispatcher interface), on node:http with a keep-alive agent.
 */
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import { headerObject } from '../node-dispatcher.js';

export type FetchDispatcher = NonNullable<RequestInit['dispatcher']>;
type DispatchOptions = Parameters<FetchDispatcher['dispatch']>[0];
type DispatchHandlers = Parameters<FetchDispatcher['dispatch']>[1];

export class UnixSocketDispatcher extends EventEmitter {
  private readonly agent = new http.Agent({ keepAlive: true });

  constructor(readonly socketPath: string) {
    super();
  }

  /** As fetch's init types it; fetch only ever calls dispatch(), which this class implements. */
  asFetchDispatcher(): FetchDispatcher {
    return this as unknown as FetchDispatcher;
  }

  dispatch(options: DispatchOptions, handler: DispatchHandlers): boolean {
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      handler.onError?.(error);
    };
    const req = http.request({
      socketPath: this.socketPath,
      agent: this.agent,
      method: options.method,
      path: options.path,
      headers: headerObject(options.headers),
    });
    // on, not once: a request can fail twice (destroyed, then the socket hangs up) and a second 'error' without a listener would crash the kernel.
    req.on('error', fail);
    handler.onConnect?.((reason) => req.destroy(reason ?? new Error('request aborted')));
    req.once('response', (res) => {
      handler.onResponseStarted?.();
      const rawHeaders = res.rawHeaders.map((h) => Buffer.from(h, 'latin1'));
      // A false return asks us to hold the body until fetch's reader calls resume.
      if (handler.onHeaders?.(res.statusCode ?? 0, rawHeaders, () => res.resume(), res.statusMessage ?? '') === false)
        res.pause();
      res.on('data', (chunk: Buffer) => {
        if (handler.onData?.(chunk) === false) res.pause();
      });
      res.once('end', () => {
        if (settled) return;
        settled = true;
        handler.onComplete?.(null);
      });
      res.on('error', fail);
      res.once('close', () => {
        if (!res.complete) fail(new Error(`the connection to ${this.socketPath} closed before the response ended`));
      });
    });
    sendBody(req, options.body).catch((error: unknown) => {
      const reason = error instanceof Error ? error : new Error(String(error));
      req.destroy(reason);
      fail(reason);
    });
    return true;
  }

  close(): Promise<void> {
    this.agent.destroy();
    return Promise.resolve();
  }

  destroy(): Promise<void> {
    return this.close();
  }
}

/** Fetch hands the body over as an async iterable of bytes (or null); strings and buffers come from other callers. */
async function sendBody(req: http.ClientRequest, body: DispatchOptions['body']): Promise<void> {
  if (body === null || body === undefined) {
    req.end();
    return;
  }
  if (typeof body === 'string' || body instanceof Uint8Array) {
    req.end(body);
    return;
  }
  if (!(Symbol.asyncIterator in body)) throw new Error('unsupported request body (FormData)');
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
    if (!req.write(chunk)) await once(req, 'drain');
  }
  req.end();
}
