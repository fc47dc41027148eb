/**
 * The Gemini driver's side of its deadlines (deadline.ts): the fetch the SDK is handed, the probe,
 * and a stream's pieces counted as they come.
 *
 * The SDK given a fetch of ours no longer lifts node's own header and body timeouts (300 s each,
 * which would cut a call the driver's reply_s allows): this fetch lifts them the way the SDK does
 * for its own (each dispatch through node's global dispatcher with both at 0). Node's connect
 * timeout (10 s) stays; deadline.ts probes the server when it fires.
 */
import { probe } from './http-post.js';
import type { Progress } from './deadline.js';
import { cappedResponse } from '../reply-cap.js';
import { type FetchDispatcher, nodeDispatcher } from '../node-dispatcher.js';

/** Node's global dispatcher, each request without header and body timeouts. */
const withoutTimeouts: FetchDispatcher = {
  dispatch: (options, handler) => nodeDispatcher().dispatch({ ...options, headersTimeout: 0, bodyTimeout: 0 }, handler),
};

/** Node's fetch with the driver's deadlines as its only time bound; its body cut past param.llmReplyMaxBytes. */
export async function fetchUnbounded(input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> {
  return cappedResponse(await fetch(input, { ...init, dispatcher: withoutTimeouts } as RequestInit));
}

/** The probe of a Gemini endpoint: a models listing there (any answer, an error too, says a server is there). */
export function geminiProbe(
  baseUrl: string,
  apiVersion: string,
  apiKey: string,
): (signal: AbortSignal) => Promise<number> {
  const url = `${baseUrl.replace(/\/+$/, '')}/${apiVersion}/models?pageSize=1`;
  return (signal) => probe(url, { 'x-goog-api-key': apiKey }, signal);
}

/** The SDK's stream, each chunk told to the deadlines as it comes (a stream that goes quiet is cut by idle_s). */
export async function* counted<T>(stream: AsyncGenerator<T>, progress: Progress | undefined): AsyncGenerator<T> {
  for await (const chunk of stream) {
    progress?.data();
    yield chunk;
  }
}
