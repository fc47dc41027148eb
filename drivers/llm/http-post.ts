/**
 * One JSON POST to a provider, on a pool of kept-alive connections shared by every model driver
 * that uses it. Node's global fetch is undici too, wrapped in WHATWG streams, Headers and
 * AbortSignal plumbing; undici's request() API still puts a Readable and an AsyncResource on each
 * request. A reply read whole goes straight on the dispatcher, on the HTTP client's own thread
 * (http-thread.ts: the kernel's thread only hands it over and takes the reply back), as does the
 * probe; a stream keeps request()'s Readable on this thread, which it needs. The client's CPU a
 * turn is in bench/delay (`delay.http_client_cpu_us_per_turn`).
 *
 * The pool opens a connection per request in flight (HTTP/1.1 without pipelining: one slow reply
 * must not hold up the ones behind it), keeps them alive, and never caps them: the model pool's
 * concurrency limit (kernel/sched) is the one bound on requests in flight.
 *
 * No redirects are followed (fetch followed them): a base URL that redirects is a misconfiguration
 * the caller reports with the address it names. undici's own connect, header and body timeouts are
 * off: the driver's deadlines (deadline.ts) are the one bound, told through progressOf(signal) when
 * an answer begins and as a stream arrives.
 */
import { Agent, type Dispatcher, request } from 'undici';
import { progressOf, type Progress } from './deadline.js';
import { HttpThread } from './http-thread.js';
import { requestWhole, type ReplyHeaders, type WholeReply } from './http-whole.js';
import { ReplyBytes, replyTooLarge } from '../reply-cap.js';

export type HttpReply = WholeReply;

/** A reply whose body is still arriving: a stream of server-sent events. */
export interface HttpStream {
  status: number;
  headers: ReplyHeaders;
  /** The body's text as it arrives (UTF-8 decoded across chunk boundaries). */
  chunks: AsyncIterable<string>;
}

let agent: Agent | null = null;

/** The options of the shared pool (exported for its test). */
export const POOL_OPTIONS = {
  headersTimeout: 0,
  bodyTimeout: 0,
  keepAliveTimeout: 30_000,
  connect: { timeout: 0 },
  // One request a connection at a time, and as many connections as requests in flight.
  pipelining: 1,
  connections: null,
} as const;

function pool(): Agent {
  agent ??= new Agent(POOL_OPTIONS);
  return agent;
}

let thread: HttpThread | null = new HttpThread(POOL_OPTIONS);
let warned = false;

/**
 * Whether whole replies are read on the HTTP client's thread (http-thread.ts; the default) or on
 * this one, as streams are. For tests and benches of either path; the previous setting is returned.
 * `made`: the thread to use (a test's).
 */
export function useHttpThread(on: boolean, made?: HttpThread): boolean {
  const was = thread !== null;
  if (thread !== null && (!on || made !== undefined)) void thread.close();
  thread = on ? (made ?? thread ?? new HttpThread(POOL_OPTIONS)) : null;
  warned = false;
  return was;
}

/**
 * The thread whole replies go to; null: this one. A thread that could not start (a Worker refused
 * where threads are scarce) is not asked again: every request is read here, as before it existed,
 * and the process is warned once (the daemon's log has it).
 */
function wholeThread(): HttpThread | null {
  if (thread === null || thread.startFailure === null) return thread;
  if (!warned) {
    warned = true;
    process.emitWarning(
      `the HTTP client's thread could not start (${thread.startFailure.message.split('\n')[0]}): model replies are read on the kernel's thread`,
      { code: 'AOS_HTTP_THREAD' },
    );
  }
  return null;
}

/**
 * Start the HTTP client's thread, if whole replies are read there, before the first request needs
 * it; resolves once it is up (a driver's open waits for it: the thread's start is then the driver's).
 */
export function startHttpThread(): Promise<void> {
  return thread === null ? Promise.resolve() : thread.ready();
}

/** POST `body` (JSON text) to `url`; resolves with the whole reply, whatever its status. */
export function postJson(
  url: string,
  headers: Record<string, string>,
  body: string | Buffer,
  signal: AbortSignal,
): Promise<HttpReply> {
  const progress = progressOf(signal);
  const on = wholeThread();
  if (on !== null) return on.request('POST', url, headers, body, signal, progress);
  return requestWhole(pool(), 'POST', url, headers, body, signal, progress);
}

/**
 * POST and resolve once the headers are in: an event stream is handed over as it arrives; any other
 * answer (an error, or a server that ignored the request to stream) is read whole, as postJson does.
 */
export async function postForStream(
  url: string,
  headers: Record<string, string>,
  body: string | Buffer,
  signal: AbortSignal,
): Promise<HttpReply | HttpStream> {
  const response = await request(url, { method: 'POST', headers, body, signal, dispatcher: pool() });
  const progress = progressOf(signal);
  progress?.began();
  const type = response.headers['content-type'];
  const isStream = (Array.isArray(type) ? type.join(',') : (type ?? '')).includes('text/event-stream');
  if (!isStream || response.statusCode >= 300) {
    return { status: response.statusCode, headers: response.headers, bodyText: await capped(response.body) };
  }
  return { status: response.statusCode, headers: response.headers, chunks: decoded(response.body, progress) };
}

/** Any answer at all to a GET of `url` (its status; the body is thrown away): is a server there? */
export async function probe(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<number> {
  const on = wholeThread();
  const reply =
    on === null
      ? requestWhole(pool(), 'GET', url, headers, null, signal)
      : on.request('GET', url, headers, null, signal);
  return (await reply).status;
}

/** A body read whole as text, cut (and failed) past param.llmReplyMaxBytes as a stream is. */
async function capped(body: Dispatcher.ResponseData['body']): Promise<string> {
  let text = '';
  for await (const piece of decoded(body, undefined)) text += piece;
  return text;
}

/** UTF-8 text of a byte stream; a character split across two chunks is kept whole; cut past param.llmReplyMaxBytes. */
async function* decoded(body: Dispatcher.ResponseData['body'], progress: Progress | undefined): AsyncIterable<string> {
  const decoder = new TextDecoder();
  const bytes = new ReplyBytes();
  for await (const chunk of body as AsyncIterable<Buffer>) {
    progress?.data();
    if (!bytes.add(chunk.length)) {
      const error = replyTooLarge(bytes.max);
      body.destroy(error);
      throw error;
    }
    yield decoder.decode(chunk, { stream: true });
  }
  const rest = decoder.decode();
  if (rest !== '') yield rest;
}

export function isStream(reply: HttpReply | HttpStream): reply is HttpStream {
  return 'chunks' in reply;
}
