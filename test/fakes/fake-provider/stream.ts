/**
 * Streamed answers as the providers send them: OpenAI's `chat.completion.chunk` server-sent events
 * (then usage when `stream_options.include_usage`, then `data: [DONE]`), Gemini's
 * `streamGenerateContent?alt=sse` GenerateContentResponse chunks (finish reason and usage on the
 * last). The text goes out in STREAM_PIECES pieces, `gapMs` apart.
 */
import type http from 'node:http';
import { type FakeUsage, geminiUsage, openaiUsage, type WireFormat } from './wire.js';

const STREAM_PIECES = 8;

/** The text in at most STREAM_PIECES pieces (never splitting a character); joined, they are the text. */
export function pieces(text: string): string[] {
  const chars = Array.from(text);
  const size = Math.max(1, Math.ceil(chars.length / STREAM_PIECES));
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

function chunks(
  format: WireFormat,
  model: string,
  text: string,
  usage: FakeUsage | null,
  finishReason: string,
  includeUsage: boolean,
): unknown[] {
  const parts = pieces(text);
  if (format === 'gemini') {
    const out: Record<string, unknown>[] = parts.map((piece) => ({
      candidates: [{ content: { parts: [{ text: piece }], role: 'model' }, index: 0 }],
      modelVersion: model,
    }));
    const last: Record<string, unknown> = {
      candidates: [{ content: { parts: [{ text: '' }], role: 'model' }, finishReason, index: 0 }],
      modelVersion: model,
    };
    if (usage !== null) last.usageMetadata = geminiUsage(usage);
    out.push(last);
    return out;
  }
  const base = {
    id: 'chatcmpl-fake-stream',
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
  };
  const out: unknown[] = parts.map((piece, i) => ({
    ...base,
    choices: [
      { index: 0, delta: i === 0 ? { role: 'assistant', content: piece } : { content: piece }, finish_reason: null },
    ],
  }));
  out.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: finishReason }] });
  if (includeUsage && usage !== null) out.push({ ...base, choices: [], usage: openaiUsage(usage) });
  return out;
}

export function sendStream(
  res: http.ServerResponse,
  answer: {
    format: WireFormat;
    model: string;
    text: string;
    usage: FakeUsage | null;
    finishReason: string;
    includeUsage: boolean;
  },
  headers: Record<string, string>,
  gapMs: number,
): void {
  const lines = chunks(
    answer.format,
    answer.model,
    answer.text,
    answer.usage,
    answer.finishReason,
    answer.includeUsage,
  ).map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`);
  if (answer.format === 'openai') lines.push('data: [DONE]\n\n');
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
  let i = 0;
  const next = (): void => {
    if (res.destroyed) return;
    const line = lines[i++];
    if (line === undefined) return void res.end();
    res.write(line);
    if (gapMs > 0) setTimeout(next, gapMs);
    else next();
  };
  next();
}
