/**
 * A model reply's bytes are bounded (param.llmReplyMaxBytes) on every transport: a server that sends
 * without end — a broken local model server, a hostile proxy in front of one — is cut off and the
 * call fails, not retried, where it used to fill the kernel's memory until a deadline passed
 * (a loopback server: ~7.5 GB in 20 s, measured before the bound).
 */
import type http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGeminiDriver } from '../../drivers/llm/gemini.js';
import { GeminiEmbedder, OpenAIEmbedder } from '../../drivers/memory/provider-embedders.js';
import { POOL_OPTIONS, useHttpThread } from '../../drivers/llm/http-post.js';
import { HttpThread } from '../../drivers/llm/http-thread.js';
import { createOpenAIDriver } from '../../drivers/llm/openai.js';
import { ProviderError } from '../../drivers/llm/provider-error.js';
import type { ModelDriver, ModelRequest } from '../../drivers/llm/types.js';
import { param as readonlyParam } from '../../sys/param.js';
import { loopbackServers, pourUntilClosed } from '../helpers/loopback-http.js';

const param = readonlyParam as { -readonly [K in keyof typeof readonlyParam]: (typeof readonlyParam)[K] };
const MAX = 64 * 1024;
const saved = param.llmReplyMaxBytes;
const { serve } = loopbackServers();

beforeEach(() => {
  param.llmReplyMaxBytes = MAX;
  // The thread reads the bound as it starts.
  useHttpThread(true, new HttpThread(POOL_OPTIONS));
});
afterEach(() => {
  param.llmReplyMaxBytes = saved;
  useHttpThread(true, new HttpThread(POOL_OPTIONS));
});

/** A server that answers `head`, then `piece` again and again until the client goes; resolves the bytes it got out. */
function flood(
  head: string,
  piece: string,
  type = 'application/json',
  status = 200,
): { url: Promise<string>; sent: Promise<number> } {
  let done: (n: number) => void = () => undefined;
  const sent = new Promise<number>((resolve) => (done = resolve));
  const url = serve((req: http.IncomingMessage, res: http.ServerResponse) => {
    req.resume();
    res.writeHead(status, { 'content-type': type });
    res.write(head);
    pourUntilClosed(res, Buffer.from(piece.repeat(Math.ceil(16_384 / piece.length))), 400 * MAX, done);
  });
  return { url, sent };
}

function request(stream = false): ModelRequest {
  return {
    system: 'sys',
    messages: [{ role: 'user', text: 'hi' }],
    proc: { pid: 1, name: 'p', turn: 0 },
    signal: new AbortController().signal,
    ...(stream ? { onText: () => undefined } : {}),
  };
}

const openai = (url: string): ModelDriver =>
  createOpenAIDriver({ model: 'm', baseUrl: `${url}/v1`, apiKey: 'k', env: {} });

async function cutOff(driver: ModelDriver, req: ModelRequest, sent: Promise<number>): Promise<void> {
  const error = await driver.complete(req).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  expect(error).toMatchObject({ kind: 'malformed', retryable: false });
  expect((error as Error).message).toContain('the reply passed 65536 bytes (param.llmReplyMaxBytes)');
  // Cut soon after the bound, not read to the server's end (400 times the bound).
  expect(await sent).toBeLessThan(100 * MAX);
}

describe('a model reply past param.llmReplyMaxBytes', () => {
  it.each([
    ['on the HTTP client’s thread', true],
    ['on the kernel’s thread', false],
  ])('read whole %s: cut off, failed as malformed and not retried', async (_, onThread) => {
    if (!onThread) useHttpThread(false);
    const { url, sent } = flood('{"choices":[{"message":{"content":"', 'a');
    await cutOff(openai(await url), request(), sent);
  });

  it.each([
    ['on the HTTP client’s thread', true],
    ['on the kernel’s thread', false],
  ])('a reply of exactly the bound is read %s; one byte more is not', async (_, onThread) => {
    if (!onThread) useHttpThread(false);
    const reply = (content: string): string =>
      JSON.stringify({ choices: [{ message: { role: 'assistant', content }, finish_reason: 'stop' }] });
    const fill = MAX - reply('').length;
    // The first answer is exactly the bound, the second one byte more.
    let served = 0;
    const url = await serve((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(reply('x'.repeat(fill + (served++ === 0 ? 0 : 1))));
    });
    const driver = openai(url);
    expect((await driver.complete(request())).text).toHaveLength(fill);
    await expect(driver.complete(request())).rejects.toMatchObject({ kind: 'malformed', retryable: false });
  });

  it('streamed: an endless run of events is cut off the same way', async () => {
    const event = `data: ${JSON.stringify({ choices: [{ delta: { content: 'a' } }] })}\n\n`;
    const { url, sent } = flood('', event, 'text/event-stream');
    await cutOff(openai(await url), request(true), sent);
  });

  it('streamed: one endless line (no event ever ends) is cut off too', async () => {
    const { url, sent } = flood('data: {"choices":[{"delta":{"content":"', 'b', 'text/event-stream');
    await cutOff(openai(await url), request(true), sent);
  });

  it('asked to stream, answered whole with an endless error body: cut off', async () => {
    const { url, sent } = flood('{"error":{"message":"', 'c', 'application/json', 500);
    await cutOff(openai(await url), request(true), sent);
  });

  it('the Gemini driver (its SDK on our fetch): cut off the same way', async () => {
    const { url, sent } = flood('{"candidates":[{"content":{"parts":[{"text":"', 'd');
    const driver = createGeminiDriver({ model: 'gemini-2.5-flash', apiKey: 'k', baseUrl: await url, env: {} });
    await cutOff(driver, request(), sent);
  });

  it('an embeddings server (OpenAI-compatible, and Gemini through its SDK): cut off the same way', async () => {
    const openaiFlood = flood('{"data":[{"index":0,"embedding":[', '0.1,');
    const openaiEmbedder = new OpenAIEmbedder({ model: 'e', apiKey: 'k', baseUrl: `${await openaiFlood.url}/v1` });
    await expect(openaiEmbedder.embed(['hi'], 'document')).rejects.toThrow(
      /embedder openai:e: .*the answer passed 65536 bytes \(param\.llmReplyMaxBytes\)/,
    );
    expect(await openaiFlood.sent).toBeLessThan(100 * MAX);
    const geminiFlood = flood('{"embeddings":[{"values":[', '0.2,');
    const geminiEmbedder = new GeminiEmbedder({ model: 'e', apiKey: 'k', baseUrl: await geminiFlood.url });
    await expect(geminiEmbedder.embed(['hi'], 'document')).rejects.toThrow(
      /embedder gemini:e: .*the answer passed 65536 bytes \(param\.llmReplyMaxBytes\)/,
    );
    expect(await geminiFlood.sent).toBeLessThan(100 * MAX);
  });
});
