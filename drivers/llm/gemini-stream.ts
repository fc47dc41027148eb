/**
 * A Gemini reply read as it streams (`streamGenerateContent?alt=sse`, through the SDK's
 * generateContentStream): each chunk is a GenerateContentResponse carrying a piece of the text;
 * the finish reason and the usage come on the last ones. The pieces go to `onText` as they arrive,
 * and the chunks are gathered into one response, read by the same `toReply` as a whole one.
 */
import type { GenerateContentResponse } from '@google/genai';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The answer's text in one chunk: thought summaries (`thought: true`) are not the answer. */
function pieceOf(chunk: GenerateContentResponse): string {
  const candidate = Array.isArray(chunk.candidates) ? chunk.candidates[0] : undefined;
  const parts =
    isRecord(candidate) && isRecord(candidate.content) && Array.isArray(candidate.content.parts)
      ? candidate.content.parts
      : [];
  let text = '';
  for (const part of parts)
    if (isRecord(part) && typeof part.text === 'string' && part.thought !== true) text += part.text;
  return text;
}

export async function gather(
  stream: AsyncGenerator<GenerateContentResponse>,
  onText: (delta: string) => void,
): Promise<GenerateContentResponse> {
  let text = '';
  let last: GenerateContentResponse | undefined;
  let usageMetadata: GenerateContentResponse['usageMetadata'];
  let promptFeedback: GenerateContentResponse['promptFeedback'];
  let finishReason: unknown;
  let finishMessage: unknown;
  for await (const chunk of stream) {
    last = chunk;
    const piece = pieceOf(chunk);
    if (piece !== '') {
      text += piece;
      onText(piece);
    }
    usageMetadata = chunk.usageMetadata ?? usageMetadata;
    promptFeedback = chunk.promptFeedback ?? promptFeedback;
    const candidate = Array.isArray(chunk.candidates) ? chunk.candidates[0] : undefined;
    if (isRecord(candidate)) {
      finishReason = candidate.finishReason ?? finishReason;
      finishMessage = candidate.finishMessage ?? finishMessage;
    }
  }
  if (last === undefined) return {} as GenerateContentResponse; // no chunk at all: toReply says so
  const candidate = { content: { role: 'model', parts: [{ text }] }, finishReason, finishMessage };
  return {
    candidates: last.candidates === undefined && text === '' && finishReason === undefined ? undefined : [candidate],
    usageMetadata,
    promptFeedback,
  } as GenerateContentResponse;
}
