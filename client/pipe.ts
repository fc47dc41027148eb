/**
 * The client's end of the kernel's unix socket on libuv's pipe handle itself (node's pipe_wrap, as
 * node:net uses it), without node:net: loading net brings node:stream and some twenty modules
 * with it, ~3 ms of every CLI verb's start against a budget of ~10 ms over bare `node -e 0`
 * (bench/cli.ts), and a net.Socket's write, read and destroy go through the stream machinery.
 * This is all a request/response client needs: connect, write a line, read chunks, hang up.
 *
 * Node's handles are not public API: `pipeAvailable()` checks for them (process.binding is still
 * there in node 20–24, the pipe and stream wraps on its allow list) and says no when they are
 * missing or would warn (--pending-deprecation wraps process.binding in a deprecation). Then
 * client.ts uses node:net, as it does for anything it does not recognise here.
 */
import { EventEmitter } from 'node:events';
import { getSystemErrorName } from 'node:util';

/** What client.ts needs of a connected socket: a net.Socket is one, so is a PipeSocket. */
export interface ClientSocket {
  write(text: string): unknown;
  destroy(): unknown;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
}

interface PipeHandle {
  connect(req: object, path: string): number;
  readStart(): number;
  readStop(): number;
  writeUtf8String(req: object, text: string): number;
  close(callback: () => void): void;
  onread: (arrayBuffer: ArrayBuffer | undefined) => void;
}

export interface Wraps {
  Pipe: new (type: number) => PipeHandle;
  PipeConnectWrap: new () => { oncomplete?: (status: number) => void };
  WriteWrap: new () => { handle?: PipeHandle; oncomplete?: (status: number) => void };
  socketType: number;
  state: Int32Array;
  readBytes: number;
  bufferOffset: number;
}

/** libuv's end of file: the kernel hung up. */
const UV_EOF = -4095;

let wraps: Wraps | null | undefined;

/** Node's wraps from `binding` (process.binding), or null when they are not there as expected or would warn. */
export function wrapsFrom(binding: unknown): Wraps | null {
  // util.deprecate's wrapper is named `deprecated`: under --pending-deprecation each use would warn.
  if (typeof binding !== 'function' || binding.name !== 'binding') return null;
  const load = binding as (name: string) => unknown;
  try {
    const pipe = load('pipe_wrap') as { Pipe?: unknown; PipeConnectWrap?: unknown; constants?: { SOCKET?: unknown } };
    const stream = load('stream_wrap') as {
      WriteWrap?: unknown;
      streamBaseState?: unknown;
      kReadBytesOrError?: unknown;
      kArrayBufferOffset?: unknown;
    };
    const ok =
      typeof pipe.Pipe === 'function' &&
      typeof pipe.PipeConnectWrap === 'function' &&
      typeof pipe.constants?.SOCKET === 'number' &&
      typeof stream.WriteWrap === 'function' &&
      stream.streamBaseState instanceof Int32Array &&
      typeof stream.kReadBytesOrError === 'number' &&
      typeof stream.kArrayBufferOffset === 'number';
    if (!ok) return null;
    return {
      Pipe: pipe.Pipe as Wraps['Pipe'],
      PipeConnectWrap: pipe.PipeConnectWrap as Wraps['PipeConnectWrap'],
      WriteWrap: stream.WriteWrap as Wraps['WriteWrap'],
      socketType: pipe.constants?.SOCKET as number,
      state: stream.streamBaseState as Int32Array,
      readBytes: stream.kReadBytesOrError as number,
      bufferOffset: stream.kArrayBufferOffset as number,
    };
  } catch {
    // The permission model refuses process.binding; a future node may drop a wrap.
    return null;
  }
}

/** Whether this node lets us use its pipe handle directly (else: node:net). */
export function pipeAvailable(): boolean {
  if (wraps === undefined) wraps = wrapsFrom((process as unknown as { binding?: unknown }).binding);
  return wraps !== null;
}

/** An error like node:net's for a libuv status (`code`: ENOENT, ECONNREFUSED, EPIPE...). */
function uvError(status: number, syscall: string, path?: string): NodeJS.ErrnoException {
  let code: string;
  try {
    code = getSystemErrorName(status);
  } catch {
    code = `E${-status}`;
  }
  const error: NodeJS.ErrnoException = new Error(`${syscall} ${code}${path === undefined ? '' : ` ${path}`}`);
  error.code = code;
  error.errno = status;
  error.syscall = syscall;
  if (path !== undefined) error.path = path;
  return error;
}

/** A connected pipe: 'data' per chunk read, 'error' then 'close' when it breaks, 'close' once it is closed. */
export class PipeSocket extends EventEmitter implements ClientSocket {
  private closed = false;

  private constructor(
    private readonly handle: PipeHandle,
    private readonly w: Wraps,
  ) {
    super();
  }

  /** Connect to the unix socket at `path`; rejects with node:net's error codes. */
  static connect(path: string): Promise<PipeSocket> {
    if (!pipeAvailable()) return Promise.reject(new Error('the pipe handle is not available: use node:net'));
    const w = wraps as Wraps;
    return new Promise((resolve, reject) => {
      const handle = new w.Pipe(w.socketType);
      const req = new w.PipeConnectWrap();
      req.oncomplete = (status) => {
        if (status < 0) {
          handle.close(() => undefined);
          reject(uvError(status, 'connect', path));
          return;
        }
        const socket = new PipeSocket(handle, w);
        socket.startReading();
        resolve(socket);
      };
      const status = handle.connect(req, path);
      if (status < 0) {
        handle.close(() => undefined);
        reject(uvError(status, 'connect', path));
      }
    });
  }

  write(text: string): boolean {
    if (this.closed) return false;
    const req = new this.w.WriteWrap();
    req.handle = this.handle;
    // Called only when the write completed later (the socket's buffer was full): it failed or is done.
    req.oncomplete = (status) => {
      if (status < 0) this.fail(uvError(status, 'write'));
    };
    const status = this.handle.writeUtf8String(req, text);
    if (status < 0) this.fail(uvError(status, 'write'));
    return status >= 0;
  }

  /** Hang up now; 'close' follows. */
  destroy(): this {
    this.close();
    return this;
  }

  private startReading(): void {
    const { state, readBytes, bufferOffset } = this.w;
    this.handle.onread = (arrayBuffer) => {
      const nread = state[readBytes] as number;
      if (nread > 0 && arrayBuffer !== undefined) {
        if (!this.closed) this.emit('data', Buffer.from(arrayBuffer, state[bufferOffset], nread));
      } else if (nread === UV_EOF) {
        this.close();
      } else if (nread < 0) {
        this.fail(uvError(nread, 'read'));
      }
    };
    const status = this.handle.readStart();
    if (status < 0) queueMicrotask(() => this.fail(uvError(status, 'read')));
  }

  private fail(error: Error): void {
    if (this.closed) return;
    this.emit('error', error);
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handle.readStop();
    this.handle.close(() => this.emit('close'));
  }
}
