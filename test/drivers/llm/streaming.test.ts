/**
 * Replies as they are written: each driver calls onText with the pieces as they arrive and still
 * resolves with the whole reply (usage, finish reason); without onText nothing streams.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../fakes/fake-provider.js';
import { createOpenAIDriver } from '../../../drivers/llm/openai.js';
import { createGeminiDriver } from '../../../drivers/llm/gemini.js';
import { replayTape, parseTape, streamPieces } from '../../../drivers/llm/replay.js';
import { ProviderError } from '../../../drivers/llm/provider-error.js';
import type { ModelRequest } from '../../../drivers/llm/types.js';

const KEY = 'gm-test-key-0123456789';
const REPLY = 'Reading the notes first, then I will write a summary. [SYS_CALL::FS_READ] {"path": "notes.md"}';

let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider();
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  fake.requests.length = 0;
  fake.setBehavior({
    reply: undefined,
    usage: undefined,
    streams: undefined,
    streamGapMs: undefined,
    fault: undefined,
    apiKey: undefined,
  });
});

function request(onText?: (delta: string) => void): ModelRequest {
  return {
    system: 'You are process 3.',
    messages: [{ role: 'user', text: 'Task: summarise notes.md' }],
    proc: { pid: 3, name: 'root', turn: 0 },
    signal: new AbortController().signal,
    ...(onText ? { onText } : {}),
  };
}

const openai = (baseUrl = `${fake.url}/v1`) => createOpenAIDriver({ model: 'llama3.1:8b', baseUrl, env: {} });

describe('openai-compatible: streaming', () => {
  it('asks for a stream with usage, hands over each piece, and resolves with the whole reply', async () => {
    fake.setBehavior({ reply: REPLY, usage: { prompt: 40, output: 22, cached: 8 }, streamGapMs: 5 });
    const pieces: string[] = [];
    const reply = await openai().complete(request((d) => pieces.push(d)));
    expect(fake.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.join('')).toBe(REPLY);
    expect(reply).toMatchObject({ text: REPLY, usage: { prompt: 40, output: 22, cached: 8 }, finishReason: 'stop' });
  });

  it('does not stream when nobody takes the pieces', async () => {
    fake.setBehavior({ reply: REPLY });
    const reply = await openai().complete(request());
    expect(fake.requests[0]?.body).toMatchObject({ stream: false });
    expect(reply.text).toBe(REPLY);
  });

  it('reads a server that ignores stream and answers whole', async () => {
    fake.setBehavior({ reply: REPLY, streams: false });
    const pieces: string[] = [];
    const reply = await openai().complete(request((d) => pieces.push(d)));
    expect(reply.text).toBe(REPLY);
    expect(pieces).toEqual([]);
  });

  it('asks again whole when the server refuses to stream, and does not ask it to stream again', async () => {
    fake.setBehavior({
      fault: (ctx) =>
        ctx.stream
          ? {
              kind: 'status',
              status: 400,
              body: { error: { message: 'Unrecognized request argument supplied: stream_options' } },
            }
          : undefined,
      reply: REPLY,
    });
    const driver = openai();
    expect((await driver.complete(request(() => undefined))).text).toBe(REPLY);
    expect((await driver.complete(request(() => undefined))).text).toBe(REPLY);
    expect(fake.requests.map((r) => (r.body as { stream: boolean }).stream)).toEqual([true, false, false]);
  });

  it('a stream cut before the reply ends is malformed (retryable), not a short reply', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(
        `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'Half a ' }, finish_reason: null }] })}\n\n`,
      );
      setTimeout(() => res.destroy(), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const pieces: string[] = [];
      const error = await openai(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`)
        .complete(request((d) => pieces.push(d)))
        .catch((e: unknown) => e);
      expect(pieces).toEqual(['Half a ']);
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).retryable).toBe(true);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("an error sent mid-stream is the provider's error, said with its message", async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(
        `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] })}\n\n`,
      );
      res.end(`data: ${JSON.stringify({ error: { message: 'model overloaded, try later' } })}\n\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const error = await openai(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`)
        .complete(request(() => undefined))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as Error).message).toContain('model overloaded, try later');
    } finally {
      server.close();
    }
  });
});

describe('gemini: streaming', () => {
  it('uses streamGenerateContent, hands over each piece, and gathers usage and finish from the last chunks', async () => {
    fake.setBehavior({ reply: REPLY, usage: { prompt: 30, output: 12, thoughts: 4 }, streamGapMs: 5 });
    const driver = createGeminiDriver({ model: 'gemini-2.5-flash', apiKey: KEY, baseUrl: fake.url, env: {} });
    const pieces: string[] = [];
    const reply = await driver.complete(request((d) => pieces.push(d)));
    expect(fake.requests[0]?.path).toMatch(/:streamGenerateContent$/);
    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.join('')).toBe(REPLY);
    expect(reply).toMatchObject({ text: REPLY, usage: { prompt: 30, output: 16 }, finishReason: 'STOP' });
  });

  it('a blocked prompt is still a blocked error when streaming', async () => {
    fake.setBehavior({ fault: { kind: 'blocked', stage: 'prompt', reason: 'SAFETY' } });
    const driver = createGeminiDriver({ model: 'gemini-2.5-flash', apiKey: KEY, baseUrl: fake.url, env: {} });
    const error = await driver.complete(request(() => undefined)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('blocked');
  });
});

describe('replay: streaming', () => {
  it('streams a reply in pieces over its delay; joined they are the reply', async () => {
    const tape = parseTape(`agents:\n  root:\n    - reply: ${JSON.stringify(REPLY)}\n      delay_ms: 60\n`, 'inline');
    const pieces: string[] = [];
    const reply = await replayTape(tape).complete(request((d) => pieces.push(d)));
    expect(reply.text).toBe(REPLY);
    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.join('')).toBe(REPLY);
  });

  it('cuts after whitespace, keeps every character, and never makes more than 24 pieces', () => {
    for (const text of ['', ' ', 'one', '  lead and trail  ', 'a\n\nb\tc', 'x '.repeat(500), '日本語 の テキスト']) {
      const pieces = streamPieces(text);
      expect(pieces.join('')).toBe(text);
      expect(pieces.length).toBeLessThanOrEqual(25);
    }
  });
});
